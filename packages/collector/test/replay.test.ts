/**
 * `footprint replay` rebuilds the database from the WAL, equal to the original row for row.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, eventually, listAll, post, spawnCollector, startInProcess, tempDirs, trackEvent } from './support/collector.js';
import { dumpEvents } from './support/duckdb-file.js';

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    p.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    p.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';

function mixedBatch(n: number): unknown[] {
  return [
    trackEvent(`t-${n}`, {
      userId: 42,
      context: { page: { url: `https://shop.example/p/${n}?utm_source=mail&utm_campaign=d1` }, userAgent: UA },
    }),
    {
      type: 'page',
      name: 'Home',
      anonymousId: `a-${n}`,
      messageId: `p-${n}`,
      properties: { title: 'Home' },
      context: { page: { referrer: 'https://www.google.com/' } },
    },
    { type: 'identify', userId: `u-${n}`, messageId: `i-${n}`, traits: { plan: 'pro', tags: ['a', 'b'] } },
    {
      type: 'request',
      messageId: `r-${n}`,
      properties: { method: 'post', path: `/api/register/${n}`, route: '/api/register/:id', status: 201, duration_ms: 245.5 },
    },
    {
      type: 'error',
      messageId: `e-${n}`,
      properties: {
        message: `Failed to allocate survey number ${n}`,
        error_type: 'Error',
        stack: 'Error: x\n    at register (route.ts:825:3)',
      },
    },
    {
      type: 'cron',
      messageId: `c-${n}`,
      properties: { job: 'aggregate-marketing-stats', status: 'success', duration_ms: 1234, records_processed: 150 },
    },
    {
      type: 'ai',
      messageId: `ai-${n}`,
      properties: { provider: 'gemini', model: 'gemini-1.5-pro', input_tokens: 1500, output_tokens: 800, cost_usd: 0.015 },
    },
    { type: 'log', messageId: `l-${n}`, properties: { level: 'info', message: '한글 메시지 ✓', module: 'daily_logger' } },
  ];
}

describe('footprint replay', () => {
  const dirs = tempDirs();
  after(dirs.removeAll);

  it('rebuilds a deleted database from the WAL, equal to the original row for row', async () => {
    const dataDir = await dirs.make('fp-replay-');
    const fp = await startInProcess({ FOOTPRINT_WAL_SEGMENT_BYTES: '8192' }, dataDir);
    let sent = 0;
    for (let n = 0; n < 30; n++) {
      const batch = mixedBatch(n);
      const res = await post(`${fp.url}/v1/batch`, { batch });
      assert.equal(res.status, 200);
      sent += batch.length;
    }
    // Events without messageId get server-made ids; those must survive a replay too.
    await post(`${fp.url}/v1/track`, { event: 'No Id', anonymousId: 'anon' });
    sent++;
    await eventually(async () => ((await listAll(fp.url)).length === sent ? true : undefined));
    await fp.stop();

    const dbPath = join(dataDir, 'footprint.duckdb');
    const original = await dumpEvents(dbPath);
    assert.equal(original.length, sent);
    await rm(dbPath);
    await rm(`${dbPath}.wal`, { force: true });

    const res = await runCli(['replay', '--data-dir', dataDir, '--no-progress']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`${sent} events loaded`));
    assert.deepEqual(await dumpEvents(dbPath), original);

    // Replaying over an existing database gives the same result again.
    const again = await runCli(['replay', '--data-dir', dataDir, '--no-progress']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(await dumpEvents(dbPath), original);
  });

  it('refuses to replay without WAL segments, leaving the database as it is and making no folder', async () => {
    const dataDir = await dirs.make('fp-replay-nowal-');
    const fp = await startInProcess({}, dataDir);
    assert.equal((await post(`${fp.url}/v1/batch`, { batch: mixedBatch(1) })).status, 200);
    await eventually(async () => ((await listAll(fp.url)).length === mixedBatch(1).length ? true : undefined));
    await fp.stop();
    const dbPath = join(dataDir, 'footprint.duckdb');
    const before = await dumpEvents(dbPath);
    await rename(join(dataDir, 'wal'), join(dataDir, 'wal-moved'));
    const res = await runCli(['replay', '--data-dir', dataDir, '--no-progress']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /no WAL segments in .*wal: nothing to rebuild the database from .* is left as it is/);
    assert.deepEqual(await dumpEvents(dbPath), before);

    const typo = join(dataDir, 'no-such-folder');
    const mistyped = await runCli(['replay', '--data-dir', typo, '--no-progress']);
    assert.equal(mistyped.code, 1);
    assert.match(mistyped.stderr, /no WAL segments/);
    await assert.rejects(stat(typo), { code: 'ENOENT' });
  });

  it('refuses to replay while a collector holds the database, leaving it untouched', async () => {
    const dataDir = await dirs.make('fp-replay-busy-');
    const fp = await spawnCollector(dataDir);
    try {
      assert.equal((await post(`${fp.url}/v1/batch`, { batch: [trackEvent('busy-1')] })).status, 200);
      await eventually(async () => ((await listAll(fp.url)).length === 1 ? true : undefined));
      const res = await runCli(['replay', '--data-dir', dataDir, '--no-progress']);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /is in use by process \d+ \(.*footprint\.lock\): stop the collector before replaying/);
      assert.equal((await listAll(fp.url)).length, 1);
    } finally {
      fp.proc.kill('SIGTERM');
      await fp.exited;
    }
  });

  it('explains a bad configuration value instead of starting', async () => {
    const res = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, [CLI, 'serve'], {
        env: { ...process.env, FOOTPRINT_PORT: 'eighty' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      p.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      p.once('exit', (code) => resolve({ code, stderr }));
    });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /FOOTPRINT_PORT must be a whole number from 0 to 65535/);
    // The same value given as an option is named as the option.
    const option = await runCli(['serve', '--port', 'eighty']);
    assert.equal(option.code, 1);
    assert.match(option.stderr, /^footprint: --port must be a whole number from 0 to 65535 \(got "eighty"\)/);
    const unknown = await runCli(['srve']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown command "srve": the commands are serve, replay, retention and erase/);
  });
});
