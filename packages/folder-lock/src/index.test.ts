import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { claimFolder, LOCK_STALE_MS, lockHolder } from './index.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function folder(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'fp-lock-'));
  dirs.push(d);
  return d;
}
/** The pid of a process that has already exited. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid as number;

describe('claimFolder', () => {
  it('claims a free folder once per process, names its holder, and frees it on release', async () => {
    const dir = await folder();
    const claim = await claimFolder(dir, { lockName: 'app.lock' });
    assert.ok(claim);
    assert.equal(await claimFolder(dir, { lockName: 'app.lock' }), undefined, 'not twice in one process');
    assert.equal((await lockHolder(dir, { lockName: 'app.lock' }))?.pid, process.pid);
    await claim.release();
    assert.equal(await lockHolder(dir, { lockName: 'app.lock' }), undefined);
    const again = await claimFolder(dir, { lockName: 'app.lock' });
    assert.ok(again);
    await again.release();
  });

  it('takes over at once the lock of a dead process of this host and pid space', async () => {
    const dir = await folder();
    // A lock as a process of this very pid space writes it (its space copied from a live claim).
    const probe = await folder();
    const live = await claimFolder(probe);
    const space = (JSON.parse(await readFile(join(probe, 'lock'), 'utf8')) as { space?: string }).space;
    await live?.release();
    await writeFile(join(dir, 'lock'), JSON.stringify({ pid: deadPid(), host: hostname(), space, token: 'gone' }));
    const claim = await claimFolder(dir);
    assert.ok(claim, 'a dead owner here is taken over without waiting');
    await claim.release();
  });

  it('judges a lock of this host name but another pid space (another container) by its age, not by its pid', async () => {
    const dir = await folder();
    const lock = join(dir, 'lock');
    await writeFile(lock, JSON.stringify({ pid: deadPid(), host: hostname(), space: 'another-boot/pid:[1]', token: 'theirs' }));
    assert.equal(await claimFolder(dir), undefined, 'its pid means nothing here: a lock refreshed lately is held');
    const old = new Date(Date.now() - LOCK_STALE_MS - 1000);
    await utimes(lock, old, old);
    const claim = await claimFolder(dir);
    assert.ok(claim, 'a lock nobody refreshed is abandoned');
    await claim.release();
  });
});
