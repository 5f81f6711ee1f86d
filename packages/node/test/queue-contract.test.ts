/**
 * The EventQueue contract, run by both implementations (MemoryQueue, DiskOutbox), then what
 * only the disk outbox promises: what was acknowledged stays acknowledged across a reopen,
 * a torn tail is cut, a folder is never shared (not even by processes starting together),
 * and a write that fails halfway or a segment that cannot be opened leaves the outbox whole.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFile, type FileHandle, mkdir, open, readdir, readFile, rmdir, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LOCK_STALE_MS } from '@footprint/folder-lock';
import { LineBlocks } from '../src/delivery/line-blocks.js';
import { DiskOutbox } from '../src/delivery/outbox.js';
import { type EventQueue, MemoryQueue, type QueuedBatch } from '../src/delivery/queue.js';
import { removeDir, tempDir } from './support/harness.js';

const line = (i: number, pad = 0): string => JSON.stringify({ type: 'log', messageId: `m${i}`, properties: { pad: 'x'.repeat(pad) } });
/** Lines as a stage hands them to a queue. */
const taken = (lines: string[]) => {
  const b = new LineBlocks(1e9, 1e12);
  for (const l of lines) b.push(l);
  return b.take();
};
const ids = (batch: QueuedBatch | undefined): string[] => (batch ? JSON.parse(`[${batch.payload}]`).map((e: any) => e.messageId) : []);
const idsOf = (lines: string[]) => lines.map((l) => JSON.parse(l).messageId);

const CLAIM_APP = fileURLToPath(new URL('./fixtures/claim-app.ts', import.meta.url));

/** The pid of a process that has ended. */
async function deadPid(): Promise<number> {
  return spawnSync(process.execPath, ['-e', '0']).pid as number;
}

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await removeDir(d);
});
async function outboxAt(dir?: string, maxBytes = 1024 * 1024, segmentBytes = 4096): Promise<DiskOutbox> {
  const where = dir ?? (await tempDir('fp-outbox-'));
  if (!dir) dirs.push(where);
  return DiskOutbox.open({ dir: where, maxBytes, segmentBytes, fsync: true });
}

function queueContract(name: string, make: (bound: { events: number; bytes: number }) => Promise<EventQueue>): void {
  describe(`${name} (EventQueue contract)`, () => {
    it('gives events back oldest first, and only ack removes them', async () => {
      const q = await make({ events: 1000, bytes: 1 << 20 });
      const lines = Array.from({ length: 10 }, (_, i) => line(i));
      assert.equal(await q.append(taken(lines)), 10);
      const a = await q.next(4, 1 << 20);
      const again = await q.next(4, 1 << 20);
      assert.deepEqual(ids(a), ['m0', 'm1', 'm2', 'm3']);
      assert.deepEqual(ids(again), ids(a), 'next does not remove');
      await q.ack(a as NonNullable<typeof a>);
      const b = await q.next(100, 1 << 20);
      assert.deepEqual(ids(b), ['m4', 'm5', 'm6', 'm7', 'm8', 'm9']);
      assert.deepEqual(q.pending(), { events: 6, bytes: q.pending().bytes });
      await q.ack(b as NonNullable<typeof b>);
      assert.equal(q.pending().events, 0);
      assert.equal(await q.next(10, 1 << 20), undefined);
      await q.close();
    });

    it('cuts a batch at maxBytes, but always gives at least one event', async () => {
      const q = await make({ events: 1000, bytes: 1 << 20 });
      const lines = [line(0, 3000), line(1, 3000), line(2, 10)];
      await q.append(taken(lines));
      const first = await q.next(10, 100);
      assert.deepEqual(ids(first), ['m0']);
      await q.ack(first as NonNullable<typeof first>);
      const rest = await q.next(10, 3300);
      assert.deepEqual(ids(rest), ['m1', 'm2']);
      assert.equal(rest?.bytes, Buffer.byteLength((lines[1] as string) + (lines[2] as string)));
      await q.close();
    });

    it('keeps what fits under its bound and says how many it kept', async () => {
      const q = await make({ events: 5, bytes: 5 * (line(0).length + 1) });
      const lines = Array.from({ length: 8 }, (_, i) => line(i));
      assert.equal(await q.append(taken(lines)), 5);
      assert.equal(q.pending().events, 5);
      await q.close();
    });
  });
}

queueContract('MemoryQueue', async (b) => new MemoryQueue(b.events, b.bytes));
queueContract('DiskOutbox', async (b) => outboxAt(undefined, b.bytes));

describe('DiskOutbox across restarts', () => {
  it('does not give back what was acknowledged before a reopen, and gives back all the rest', async () => {
    const dir = await tempDir('fp-outbox-');
    dirs.push(dir);
    const first = await outboxAt(dir);
    const lines = Array.from({ length: 300 }, (_, i) => line(i, 20));
    await first.append(taken(lines));
    const batch = await first.next(120, 1 << 20);
    await first.ack(batch as NonNullable<typeof batch>);
    await first.close();

    const second = await outboxAt(dir);
    assert.equal(second.recovered, 180);
    const got: string[] = [];
    for (let b = await second.next(50, 1 << 20); b; b = await second.next(50, 1 << 20)) {
      got.push(...ids(b));
      await second.ack(b);
    }
    assert.deepEqual(got, idsOf(lines.slice(120)));
    await second.close();
    const left = (await readdir(dir)).filter((f) => f.endsWith('.jsonl'));
    assert.equal(left.length, 0, 'delivered segments are deleted');
  });

  it('saves the delivered position within a second of the last acknowledgement, even when no more come', async () => {
    const dir = await tempDir('fp-outbox-');
    dirs.push(dir);
    const q = await outboxAt(dir, 1024 * 1024, 1024 * 1024);
    await q.append(taken(Array.from({ length: 300 }, (_, i) => line(i, 20))));
    const first = await q.next(100, 1 << 20);
    await q.ack(first as NonNullable<typeof first>);
    const savedFirst = JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8'));
    const second = await q.next(100, 1 << 20);
    await q.ack(second as NonNullable<typeof second>);
    // Right after the second acknowledgement the saved position is still the first one...
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8')), savedFirst);
    // ...and a little over a second later it is the second one, with nothing else happening.
    await new Promise((r) => setTimeout(r, 1_400));
    const savedLater = JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8'));
    assert.equal(savedLater.seq, savedFirst.seq);
    assert.ok(savedLater.offset > savedFirst.offset, `${JSON.stringify(savedLater)} is past ${JSON.stringify(savedFirst)}`);
    await q.close();
    const reopened = await outboxAt(dir);
    assert.equal(reopened.recovered, 100);
    await reopened.close();
  });

  it('cuts a line torn by a crash and delivers the complete events before it', async () => {
    const dir = await tempDir('fp-outbox-');
    dirs.push(dir);
    const lines = [line(1), line(2), line(3)];
    await writeFile(join(dir, '00000001.jsonl'), `${lines.join('\n')}\n`);
    await appendFile(join(dir, '00000001.jsonl'), '{"type":"log","messageId":"m4","prop');
    const q = await outboxAt(dir);
    assert.equal(q.recovered, 3);
    const b = await q.next(10, 1 << 20);
    assert.deepEqual(ids(b), ['m1', 'm2', 'm3']);
    assert.equal((await stat(join(dir, '00000001.jsonl'))).size, Buffer.byteLength(`${lines.join('\n')}\n`));
    await q.close();
  });

  it('rotates segments at segmentBytes and reads across them in order', async () => {
    const q = await outboxAt(undefined, 1 << 20, 1000);
    for (let i = 0; i < 20; i++) {
      const l = [line(i, 100)];
      await q.append(taken(l));
    }
    const files = (await readdir(q.dir)).filter((f) => f.endsWith('.jsonl'));
    assert.ok(files.length > 2, `several segments (${files.length})`);
    const got: string[] = [];
    for (let b = await q.next(7, 1 << 20); b; b = await q.next(7, 1 << 20)) {
      got.push(...ids(b));
      await q.ack(b);
    }
    assert.deepEqual(
      got,
      Array.from({ length: 20 }, (_, i) => `m${i}`),
    );
    await q.close();
  });

  it('gives a second owner in the same process the next folder, never the same one', async () => {
    const dir = await tempDir('fp-outbox-');
    dirs.push(dir, `${dir}.1`);
    const a = await outboxAt(dir);
    const b = await outboxAt(dir);
    assert.equal(a.dir, dir);
    assert.equal(b.dir, `${dir}.1`);
    assert.equal(JSON.parse(await readFile(join(dir, 'lock'), 'utf8')).pid, process.pid);
    await a.close();
    await b.close();
  });

  it('takes over the folder of a process that died (a lock naming a dead pid)', async () => {
    const dir = await tempDir('fp-outbox-');
    dirs.push(dir);
    await writeFile(join(dir, 'lock'), '2147483646');
    const q = await outboxAt(dir);
    assert.equal(q.dir, dir);
    await q.close();
  });
});

describe('DiskOutbox folder locks', () => {
  /** Processes that open `dir` at the same moment; answers the folder each got, and a way to end them. */
  async function race(dir: string, n: number): Promise<{ got: string[]; end: () => Promise<void> }> {
    const startAt = String(Date.now() + 3000);
    const procs = Array.from({ length: n }, () =>
      spawn(process.execPath, ['--import', 'tsx', CLAIM_APP, dir, startAt], { stdio: ['pipe', 'pipe', 'inherit'] }),
    );
    const got = await Promise.all(
      procs.map(
        (p) =>
          new Promise<string>((resolve, reject) => {
            let out = '';
            p.stdout?.on('data', (c: Buffer) => {
              out += c.toString();
              if (out.includes('\n')) resolve(out.trim());
            });
            p.once('exit', (code) => reject(new Error(`a claiming process ended with ${code} before claiming`)));
          }),
      ),
    );
    const end = async () => {
      await Promise.all(
        procs.map((p) => {
          const exited = new Promise((r) => p.once('exit', r));
          p.stdin?.end();
          return exited;
        }),
      );
    };
    return { got, end };
  }

  for (const [name, lock] of [
    ['no lock at all', undefined],
    ['the lock of a process that died', async () => JSON.stringify({ pid: await deadPid(), host: hostname(), token: 'old' })],
    ['the bare-pid lock of a process that died', async () => String(await deadPid())],
  ] as const) {
    it(`gives processes starting together a folder each, never the same one (${name})`, async () => {
      const dir = await tempDir('fp-outbox-race-');
      for (let i = 0; i <= 6; i++) dirs.push(i === 0 ? dir : `${dir}.${i}`);
      if (lock) await writeFile(join(dir, 'lock'), await lock());
      const { got, end } = await race(dir, 6);
      try {
        assert.equal(new Set(got).size, 6, `folders: ${got.join(', ')}`);
        assert.ok(got.includes(dir), 'the first folder is taken (by exactly one of them)');
      } finally {
        await end();
      }
    });
  }

  it('gives two clients of one process opening at the same moment two folders', async () => {
    const dir = await tempDir('fp-outbox-');
    dirs.push(dir, `${dir}.1`);
    const [a, b] = await Promise.all([outboxAt(dir), outboxAt(dir)]);
    assert.deepEqual([a.dir, b.dir].sort(), [dir, `${dir}.1`]);
    await a.close();
    await b.close();
  });

  it('waits LOCK_STALE_MS for a lock of another host, then takes its folder over', async () => {
    const dir = await tempDir('fp-outbox-');
    dirs.push(dir, `${dir}.1`);
    const lock = join(dir, 'lock');
    await writeFile(lock, JSON.stringify({ pid: 1, host: 'another-host', token: 't' }));
    const fresh = await outboxAt(dir);
    assert.equal(fresh.dir, `${dir}.1`, 'a lock refreshed lately is held, whoever holds it');
    await fresh.close();
    const old = new Date(Date.now() - LOCK_STALE_MS - 1000);
    await utimes(lock, old, old);
    const q = await outboxAt(dir);
    assert.equal(q.dir, dir, 'a lock nobody refreshed is abandoned');
    await q.close();
  });

  it('takes in the events of sibling folders nobody holds any more, and leaves held ones alone', async () => {
    const dir = await tempDir('fp-outbox-');
    dirs.push(dir, `${dir}.2`, `${dir}.3`);
    const lines3 = [line(1), line(2), line(3)].map((l) => `${l}\n`).join('');
    // .2: its process died with two events undelivered (the cursor is past the first).
    await mkdir(`${dir}.2`);
    await writeFile(join(`${dir}.2`, 'lock'), JSON.stringify({ pid: await deadPid(), host: hostname(), token: 'gone' }));
    await writeFile(join(`${dir}.2`, '00000004.jsonl'), lines3);
    await writeFile(join(`${dir}.2`, 'cursor.json'), JSON.stringify({ seq: 4, offset: Buffer.byteLength(`${line(1)}\n`) }));
    // .3: held by a process on another host that refreshes its lock.
    await mkdir(`${dir}.3`);
    await writeFile(join(`${dir}.3`, 'lock'), JSON.stringify({ pid: 1, host: 'another-host', token: 'live' }));
    await writeFile(join(`${dir}.3`, '00000001.jsonl'), lines3);
    const q = await outboxAt(dir);
    assert.equal(q.dir, dir);
    assert.equal(q.recovered, 2);
    assert.deepEqual(ids(await q.next(100, 1 << 20)), ['m2', 'm3']);
    assert.deepEqual(
      (await readdir(`${dir}.2`)).filter((n) => n.endsWith('.jsonl')),
      [],
      'the abandoned folder is emptied',
    );
    assert.equal(await readFile(join(`${dir}.3`, '00000001.jsonl'), 'utf8'), lines3, 'a held folder is not touched');
    await q.close();
  });

  it('never takes over the folder of a live process on this host, however old its lock', async () => {
    const dir = await tempDir('fp-outbox-');
    dirs.push(dir, `${dir}.1`);
    const lock = join(dir, 'lock');
    // The parent process (the test runner) is alive; an older SDK version never refreshes its lock.
    await writeFile(lock, String(process.ppid));
    const old = new Date(Date.now() - LOCK_STALE_MS - 60_000);
    await utimes(lock, old, old);
    const q = await outboxAt(dir);
    assert.equal(q.dir, `${dir}.1`);
    await q.close();
  });

  it('leaves a lock that is no longer its own in place when it closes', async () => {
    const dir = await tempDir('fp-outbox-');
    dirs.push(dir);
    const q = await outboxAt(dir);
    const other = JSON.stringify({ pid: 1, host: 'another-host', token: 'newer' });
    await writeFile(join(dir, 'lock'), other);
    await q.close();
    assert.equal(await readFile(join(dir, 'lock'), 'utf8'), other);
  });
});

describe('DiskOutbox write faults', () => {
  it('cuts a group that landed only in part (a full disk), so later batches stay whole JSON and nothing stays pending', async () => {
    const q = await outboxAt(undefined, 1 << 20, 1 << 20);
    assert.equal(await q.append(taken([0, 1, 2].map((i) => line(i, 40)))), 3);
    // Fault injection: the next write stores 50 bytes, then the disk is full.
    const probe = await open(join(q.dir, 'probe'), 'w');
    await probe.close();
    const proto = Object.getPrototypeOf(probe);
    const { writev, write } = proto;
    proto.writev = async function (this: FileHandle, bufs: Buffer[]) {
      await write.call(this, Buffer.concat(bufs).subarray(0, 50));
      return { bytesWritten: 50, buffers: bufs };
    };
    proto.write = async () => {
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    };
    try {
      await assert.rejects(q.append(taken([3, 4, 5].map((i) => line(i, 40)))), /ENOSPC/);
    } finally {
      proto.writev = writev;
      proto.write = write;
    }
    assert.equal(await q.append(taken([6, 7].map((i) => line(i, 40)))), 2);
    const batch = await q.next(100, 1 << 20);
    assert.deepEqual(ids(batch), ['m0', 'm1', 'm2', 'm6', 'm7']);
    await q.ack(batch as QueuedBatch);
    assert.deepEqual(q.pending(), { events: 0, bytes: 0 });
    await q.close();
  });

  it('keeps writing into the current segment while the next one cannot be opened, and rotates once it can', async () => {
    const q = await outboxAt(undefined, 1 << 20, 200);
    assert.equal(await q.append(taken([line(0, 150)])), 1);
    // A folder where the next segment's file goes: opening it fails (as with no file handles left).
    const next = join(q.dir, '00000002.jsonl');
    await mkdir(next);
    assert.equal(await q.append(taken([line(1, 150)])), 1, 'the group goes into the current segment');
    await rmdir(next);
    assert.equal(await q.append(taken([line(2, 150)])), 1);
    assert.ok((await readdir(q.dir)).includes('00000002.jsonl'), 'the next group rotated');
    const first = await q.next(100, 1 << 20);
    assert.deepEqual(ids(first), ['m0', 'm1']);
    await q.ack(first as QueuedBatch);
    assert.deepEqual(ids(await q.next(100, 1 << 20)), ['m2']);
    await q.close();
  });
});
