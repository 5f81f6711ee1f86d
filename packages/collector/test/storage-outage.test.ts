/**
 * A database outage loses nothing: while another process holds the DuckDB file (a real
 * lock, as when someone opens it in a DuckDB client), the collector keeps acknowledging
 * events into the WAL; once the file is free the loader loads the backlog exactly once. The
 * same when DuckDB cannot write its own log (a full disk, here a log that is /dev/full).
 * When the WAL itself cannot be written, events are refused (never acknowledged unsaved)
 * and /healthz says so until a write succeeds.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, rm, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { listSegments } from '../src/wal/segments.js';
import { adminAuth, eventually, listAll, post, spawnCollector, startInProcess, tempDataDir, trackEvent } from './support/collector.js';

const HOLDER = fileURLToPath(new URL('./support/hold-duckdb.mjs', import.meta.url));

/** Waits until the read API lists as many events as `ids`, then checks they are exactly those. */
async function backlogLoaded(url: string, ids: string[], what: string): Promise<void> {
  const rows = await eventually(
    async () => {
      const all = await listAll(url);
      return all.length >= ids.length ? all : undefined;
    },
    20_000,
    what,
  );
  assert.deepEqual(rows.map((r) => r.id).sort(), [...ids].sort());
}

describe('database outage', () => {
  let dataDir: string;
  after(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps accepting while DuckDB is locked by another process and loads the backlog once when it is free', async () => {
    dataDir = await tempDataDir('fp-outage-');
    const holder = spawn(process.execPath, [HOLDER, join(dataDir, 'footprint.duckdb')], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      holder.stdout.once('data', () => resolve());
      holder.once('exit', (code) => reject(new Error(`the lock holder exited with ${code}`)));
    });
    const fp = await spawnCollector(dataDir);
    try {
      const ids: string[] = [];
      for (let b = 0; b < 20; b++) {
        const batch = Array.from({ length: 25 }, (_, i) => trackEvent(`out-${b}-${i}`));
        const res = await post(`${fp.url}/v1/batch`, { batch });
        assert.equal(res.status, 200, 'ingestion must not depend on the database');
        ids.push(...batch.map((e) => e.messageId as string));
      }
      const health = await eventually(async () => {
        const h = (await (await fetch(`${fp.url}/healthz`)).json()) as any;
        return h.loader.state === 'retrying' ? h : undefined;
      });
      assert.equal(health.status, 'degraded');
      assert.equal(health.loader.database_open, false);
      assert.ok(health.loader.lag_bytes > 0);
      assert.match(health.loader.last_error, /DuckDB/);

      const read = await fetch(`${fp.url}/v1/events`, { headers: adminAuth });
      assert.equal(read.status, 503);
      assert.equal(((await read.json()) as any).error.code, 'storage_unavailable');

      holder.stdin.end();
      await new Promise((r) => holder.once('exit', r));
      await backlogLoaded(fp.url, ids, 'the backlog to load');
      const after = (await (await fetch(`${fp.url}/healthz`)).json()) as any;
      assert.equal(after.status, 'ok');
    } finally {
      holder.kill();
      fp.proc.kill('SIGTERM');
      await fp.exited;
    }
  });

  it('keeps accepting while DuckDB cannot write its log, and loads the backlog once when space is back', async () => {
    const dir = await tempDataDir('fp-outage-full-');
    try {
      const first = await startInProcess({}, dir);
      const before = Array.from({ length: 10 }, (_, i) => trackEvent(`full-before-${i}`));
      assert.equal((await post(`${first.url}/v1/batch`, { batch: before })).status, 200);
      await eventually(async () => ((await listAll(first.url)).length === 10 ? true : undefined));
      await first.dispose();
      const log = join(dir, 'footprint.duckdb.wal');
      await assert.rejects(access(log), 'closing folds DuckDB’s log into the file');
      await symlink('/dev/full', log);

      const fp = await startInProcess({}, dir);
      try {
        const ids = before.map((e) => e.messageId as string);
        for (let b = 0; b < 5; b++) {
          const batch = Array.from({ length: 20 }, (_, i) => trackEvent(`full-${b}-${i}`));
          assert.equal((await post(`${fp.url}/v1/batch`, { batch })).status, 200, 'ingestion must not depend on the database');
          ids.push(...batch.map((e) => e.messageId as string));
        }
        const health = await eventually(async () => {
          const h = (await (await fetch(`${fp.url}/healthz`)).json()) as any;
          return h.loader.state === 'retrying' && h.loader.failures >= 2 ? h : undefined;
        });
        assert.equal(health.status, 'degraded');
        assert.match(health.loader.last_error, /No space left on device/);
        assert.ok(health.loader.lag_bytes > 0);

        await rm(log);
        await backlogLoaded(fp.url, ids, 'the backlog to load once the log can be written');
        const recovered = (await (await fetch(`${fp.url}/healthz`)).json()) as any;
        assert.equal(recovered.status, 'ok');
        assert.ok(recovered.loader.database_opens >= 2, 'the database was opened afresh after the failure');
      } finally {
        await fp.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('WAL outage', () => {
  it('refuses events with 503 while the WAL cannot be written, says so in /healthz and the log, and recovers by itself', async () => {
    const dir = await tempDataDir('fp-wal-full-');
    // Small segments, so the second batch rotates into a segment that is /dev/full.
    const fp = await spawnCollector(dir, { FOOTPRINT_WAL_SEGMENT_BYTES: '4096' });
    try {
      const first = Array.from({ length: 30 }, (_, i) => trackEvent(`wal-full-a-${i}`));
      assert.equal((await post(`${fp.url}/v1/batch`, { batch: first })).status, 200);
      const [segment] = await listSegments(join(dir, 'wal'));
      const { path, seq } = segment as { path: string; seq: number };
      await symlink('/dev/full', join(dirname(path), `${String(seq + 1).padStart(6, '0')}.jsonl`));

      const refused = await post(`${fp.url}/v1/batch`, { batch: [trackEvent('wal-full-refused')] });
      assert.equal(refused.status, 503);
      assert.equal(refused.body.error.code, 'wal_unavailable');
      const down = await fetch(`${fp.url}/healthz`);
      const report = (await down.json()) as any;
      assert.equal(down.status, 503, 'a load balancer sees the collector cannot take events');
      assert.equal(report.ok, false);
      assert.equal(report.status, 'failing');
      assert.match(report.wal.last_error, /no space left on device/i);
      await eventually(async () => (/writing to the WAL failed/.test(fp.output()) ? true : undefined), 5_000, 'the failure logged');
      // Without any event to try again, /healthz sees the end of the failure (checked every 5 s).
      await eventually(
        async () => ((await fetch(`${fp.url}/healthz`)).status === 200 ? true : undefined),
        15_000,
        'a recovery without traffic',
      );
      assert.match(fp.output(), /the WAL takes writes again/);

      const later = Array.from({ length: 3 }, (_, i) => trackEvent(`wal-full-b-${i}`));
      assert.equal((await post(`${fp.url}/v1/batch`, { batch: later })).status, 200, 'the next write goes to a fresh segment');
      const up = await fetch(`${fp.url}/healthz`);
      const recovered = (await up.json()) as any;
      assert.equal(up.status, 200);
      assert.equal(recovered.status, 'ok');
      assert.equal(recovered.wal.last_error, undefined);
      await backlogLoaded(
        fp.url,
        [...first, ...later].map((e) => e.messageId as string),
        'the acknowledged events, and only those',
      );
    } finally {
      fp.proc.kill('SIGTERM');
      await fp.exited;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
