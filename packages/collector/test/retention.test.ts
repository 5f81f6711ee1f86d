/**
 * Retention: events are kept N days after they were received, per project and type. Rows go
 * from the database; WAL day folders go once older than the longest retention, only when
 * loaded, archived first when an archive folder is set. The data is written in the past
 * through the real pipeline and WAL writer (injected clock) and loaded by the real loader.
 */
import assert from 'node:assert/strict';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { dataPaths } from '../src/app.js';
import { type RetentionContext, runRetention } from '../src/governance/retention.js';
import { RetentionScheduler } from '../src/governance/scheduler.js';
import { parseSettings, type Settings } from '../src/projects/settings.js';
import { DuckDbDatabase } from '../src/sinks/duckdb/database.js';
import { DuckDbGovernanceStore } from '../src/sinks/duckdb/governance.js';
import { DuckDbSink } from '../src/sinks/duckdb/sink.js';
import { listSegments, utcDay } from '../src/wal/segments.js';
import { adminAuth, eventually, listAll, spawnCollector, startInProcess, tempDirs } from './support/collector.js';
import { dumpEvents } from './support/duckdb-file.js';
import { DAY, loadWal, runCli, snapshot, writeEventsAt } from './support/governance.js';

const silent = pino({ level: 'silent' });
/** A fixed "now" for the tests that inject it. */
const NOW = Date.parse('2026-06-15T12:00:00.000Z');

const track = (id: string): Record<string, unknown> => ({ type: 'track', event: 'Order Completed', messageId: id, userId: 'u1' });
const request = (id: string): Record<string, unknown> => ({
  type: 'request',
  messageId: id,
  properties: { method: 'GET', path: '/api/orders', status: 200, duration_ms: 12 },
});
const error = (id: string): Record<string, unknown> => ({
  type: 'error',
  messageId: id,
  properties: { message: 'boom', error_type: 'Error' },
});

/** A retention context over a data folder, as the collector builds it (loader checkpoint from the database). */
function contextOf(dataDir: string, settings: Settings, archiveDir: string | null = null) {
  const paths = dataPaths(dataDir);
  const db = new DuckDbDatabase({ path: paths.duckdb, memoryLimit: '256MB', threads: 1 });
  const sink = new DuckDbSink(db, paths.scratch);
  const ctx: RetentionContext = {
    walDir: paths.wal,
    archiveDir,
    store: new DuckDbGovernanceStore(db),
    settings,
    knownProjects: ['default'],
    checkpoint: async () => {
      await sink.open();
      return sink.checkpoint();
    },
    exclusive: (fn) => fn(),
  };
  return {
    ctx,
    async ids(): Promise<string[]> {
      return db.use(async (conn) => (await conn.runAndReadAll('SELECT id FROM events ORDER BY id')).getRows().map((r) => String(r[0])));
    },
    async close(): Promise<void> {
      await sink.close();
      db.close();
    },
  };
}

describe('retention', () => {
  const dirs = tempDirs();
  after(dirs.removeAll);

  it('deletes exactly the rows past their type retention and the WAL days past the longest retention', async () => {
    const dir = await dirs.make('fp-ret-exact-');
    const settings = parseSettings(
      { projects: { default: { retention: { request: 30, error: 90, '*': 120 } }, shop: { retention: { '*': 10 } } } },
      null,
    );
    await writeEventsAt(dir, NOW - 400 * DAY, [track('t400'), request('r400'), error('e400')]);
    await writeEventsAt(dir, NOW - 100 * DAY, [track('t100'), request('r100'), error('e100')]);
    // The request cutoff is NOW - 30 days: one millisecond before it goes, at it stays.
    await writeEventsAt(dir, NOW - 30 * DAY - 1, [request('r30-just-expired')]);
    await writeEventsAt(dir, NOW - 30 * DAY, [request('r30-at-cutoff'), error('e30')]);
    await writeEventsAt(dir, NOW - 20 * DAY, [track('shop20')], { projectId: 'shop' });
    await writeEventsAt(dir, NOW - 5 * DAY, [track('shop5')], { projectId: 'shop' });
    await writeEventsAt(dir, NOW - DAY, [track('t1'), request('r1')]);
    await loadWal(dir);
    const daysBefore = new Set((await listSegments(dataPaths(dir).wal)).map((s) => s.day));

    const t = contextOf(dir, settings);
    try {
      const report = await runRetention(t.ctx, { now: NOW });
      assert.deepEqual(await t.ids(), ['e30', 'r1', 'r30-at-cutoff', 'shop5', 't1', 't100']);
      assert.deepEqual(
        report.events.map((e) => [e.project, e.type, e.rows]),
        [
          ['default', 'error', 2],
          ['default', 'request', 3],
          ['default', 'track', 1],
          ['shop', 'track', 1],
        ],
      );
      assert.equal(report.events_total, 7);
      const requestRule = report.events.find((e) => e.type === 'request');
      assert.equal(requestRule?.received_before, new Date(NOW - 30 * DAY).toISOString());

      // The longest retention is 120 days: only the folder of 400 days ago is past it.
      assert.equal(report.wal.keep_days, 120);
      assert.deepEqual(report.wal.folders_removed, [utcDay(NOW - 400 * DAY)]);
      const daysAfter = new Set((await listSegments(dataPaths(dir).wal)).map((s) => s.day));
      assert.deepEqual([...daysAfter].sort(), [...daysBefore].filter((d) => d !== utcDay(NOW - 400 * DAY)).sort());
      await assert.rejects(stat(join(dataPaths(dir).wal, utcDay(NOW - 400 * DAY))), { code: 'ENOENT' });

      // A second run finds nothing more.
      const again = await runRetention(t.ctx, { now: NOW });
      assert.equal(again.events_total, 0);
      assert.equal(again.wal.segments.length, 0);
    } finally {
      await t.close();
    }
  });

  it('archives expired WAL segments as gzip files that decompress to the original lines, then removes them', async () => {
    const dir = await dirs.make('fp-ret-archive-');
    const archive = join(dir, 'archive');
    const settings = parseSettings({ projects: { default: { retention: { '*': 30 } } }, retention: { archiveDir: archive } }, null);
    // Small segments, so one expired day holds several.
    const many = Array.from({ length: 40 }, (_, i) => track(`old-${i}`));
    await writeEventsAt(dir, NOW - 200 * DAY, many, { maxSegmentBytes: 4096 });
    await writeEventsAt(dir, NOW - 200 * DAY, [track('old-last')], { maxSegmentBytes: 4096 });
    await writeEventsAt(dir, NOW - 45 * DAY, [track('mid-1'), error('mid-2')]);
    await writeEventsAt(dir, NOW - DAY, [track('new-1')]);
    await loadWal(dir);
    const walDir = dataPaths(dir).wal;
    const expired = (await listSegments(walDir)).filter((s) => s.day < utcDay(NOW - 30 * DAY));
    assert.ok(expired.length >= 3, `the fixture must hold several expired segments (got ${expired.length})`);
    const original = new Map<string, Buffer>();
    for (const s of expired) original.set(`${s.day}/${s.path.slice(-12)}`, await readFile(s.path));

    const t = contextOf(dir, settings, archive);
    try {
      const report = await runRetention(t.ctx, { now: NOW });
      assert.equal(report.wal.archived, expired.length);
      assert.equal(report.wal.segments.length, expired.length);
      for (const [name, bytes] of original) {
        const gz = await readFile(join(archive, `${name}.gz`));
        assert.deepEqual(gunzipSync(gz), bytes, `${name}.gz must decompress to the original segment`);
      }
      const left = await listSegments(walDir);
      assert.deepEqual(
        left.map((s) => s.day),
        [utcDay(NOW - DAY)],
        'every expired segment is gone from the WAL',
      );
      assert.deepEqual(await t.ids(), ['new-1']);
    } finally {
      await t.close();
    }
  });

  it('never deletes an expired WAL segment the loader has not passed', async () => {
    const dir = await dirs.make('fp-ret-unloaded-');
    const settings = parseSettings({ projects: { default: { retention: { '*': 30 } } } }, null);
    await writeEventsAt(dir, NOW - 300 * DAY, [track('s1')]); // segment 1
    await writeEventsAt(dir, NOW - 299 * DAY, [track('s2')]); // segment 2
    await writeEventsAt(dir, NOW - 298 * DAY, [track('s3')]); // segment 3
    // The loader may read segments 1 and 2 only: its checkpoint ends in segment 2.
    await loadWal(dir, (seq) => (seq >= 3 ? 0 : undefined));
    const walDir = dataPaths(dir).wal;

    const t = contextOf(dir, settings);
    try {
      const first = await runRetention(t.ctx, { now: NOW });
      assert.deepEqual(
        (await listSegments(walDir)).map((s) => s.seq),
        [2, 3],
        'only the segment before the checkpoint segment may go',
      );
      assert.equal(first.wal.not_loaded, 2);
      assert.deepEqual(await t.ids(), []);

      await t.close();
      await loadWal(dir);
      const second = await runRetention(t.ctx, { now: NOW });
      assert.deepEqual(
        (await listSegments(walDir)).map((s) => s.seq),
        [3],
      );
      assert.equal(second.events_total, 1, 'the late-loaded row of segment 3 is deleted from the database');
      assert.deepEqual(await t.ids(), []);
    } finally {
      await t.close();
    }
  });

  it('a dry run shows per project and type what would go and changes no byte of the data folder', async () => {
    const dir = await dirs.make('fp-ret-dry-');
    const now = Date.now();
    // Built-in retention defaults, whatever the working folder holds.
    const config = join(dir, 'footprint.config.json');
    await writeFile(config, '{}');
    await writeEventsAt(dir, now - 400 * DAY, [track('old-track'), request('old-request')]);
    await writeEventsAt(dir, now - 40 * DAY, [request('r40a'), request('r40b'), error('e40')]);
    await writeEventsAt(dir, now - DAY, [request('r1')]);
    await loadWal(dir);
    const before = await snapshot(dir);

    const res = await runCli(['retention', '--dry-run', '--data-dir', dir, '--no-progress'], { FOOTPRINT_CONFIG: config });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /dry run: nothing was changed/);
    assert.match(res.stdout, /default\s+request\s+30 days\s+received before \S+\s+3\n/);
    assert.match(res.stdout, /default\s+track\s+90 days\s+received before \S+\s+1\n/);
    assert.match(res.stdout, /total: 4/);
    assert.ok(res.stdout.includes(`${utcDay(now - 400 * DAY)}/000001.jsonl`), res.stdout);
    assert.deepEqual(await snapshot(dir), before, 'a dry run must not change any file');
  });

  it('the retention command deletes what is due, and a replay afterwards does not bring expired events back', async () => {
    const dir = await dirs.make('fp-ret-replay-');
    const now = Date.now();
    const config = join(dir, 'footprint.config.json');
    await writeFile(config, '{}');
    const env = { FOOTPRINT_CONFIG: config };
    await writeEventsAt(dir, now - 400 * DAY, [track('old-track')]);
    // 40 days: past the request retention (30) but inside the WAL's (365), so still in the WAL.
    await writeEventsAt(dir, now - 40 * DAY, [request('r40'), error('e40'), track('t40')]);
    await writeEventsAt(dir, now - DAY, [request('r1')]);
    await loadWal(dir);

    const res = await runCli(['retention', '--data-dir', dir, '--no-progress'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /total: 2/);
    const dbPath = dataPaths(dir).duckdb;
    const kept = await dumpEvents(dbPath);
    assert.deepEqual(kept.map((r) => r[1]).sort(), ['e40', 'r1', 't40']);
    assert.ok((await readFile(join(dataPaths(dir).wal, utcDay(now - 40 * DAY), '000002.jsonl'), 'utf8')).includes('"r40"'));

    await rm(dbPath);
    const replayed = await runCli(['replay', '--data-dir', dir, '--no-progress'], env);
    assert.equal(replayed.code, 0, replayed.stderr);
    assert.match(replayed.stdout, /1 past their retention removed again/);
    assert.deepEqual(await dumpEvents(dbPath), kept);
  });

  it('a running collector applies retention at start and reports the run in /healthz', async () => {
    const dir = await dirs.make('fp-ret-serve-');
    const now = Date.now();
    const config = join(dir, 'footprint.config.json');
    await writeFile(config, JSON.stringify({ projects: { default: { retention: { request: 7, '*': 60 } } } }));
    await writeEventsAt(dir, now - 100 * DAY, [track('t100')]);
    await writeEventsAt(dir, now - 10 * DAY, [request('r10'), track('t10')]);
    await writeEventsAt(dir, now - DAY, [request('r1')]);
    await loadWal(dir);

    const fp = await startInProcess({ FOOTPRINT_CONFIG: config }, dir);
    try {
      const health = await eventually(async () => {
        const h = (await (await fetch(`${fp.url}/healthz`)).json()) as any;
        return h.retention.last_run ? h : undefined;
      });
      assert.equal(health.retention.interval_minutes, 60);
      assert.equal(health.retention.last_run.ok, true);
      assert.equal(health.retention.last_run.events_deleted, 2);
      assert.deepEqual(
        health.retention.last_run.events.map((e: any) => [e.type, e.rows]),
        [
          ['request', 1],
          ['track', 1],
        ],
      );
      assert.deepEqual(health.retention.last_run.wal_folders_removed, [utcDay(now - 100 * DAY)]);
      assert.ok(health.retention.next_run_at);
      assert.deepEqual((await listAll(fp.url)).map((e) => e.id).sort(), ['r1', 't10']);
      const read = await fetch(`${fp.url}/v1/events?type=request`, { headers: adminAuth });
      assert.equal(read.status, 200);
    } finally {
      await fp.stop();
    }
  });

  it('the retention command refuses while a collector holds the database', async () => {
    const dir = await dirs.make('fp-ret-busy-');
    await writeEventsAt(dir, Date.now() - DAY, [track('t1')]);
    await loadWal(dir);
    const fp = await spawnCollector(dir);
    try {
      for (const args of [['retention'], ['retention', '--dry-run']]) {
        const res = await runCli([...args, '--data-dir', dir, '--no-progress']);
        assert.equal(res.code, 1);
        assert.match(res.stderr, /in use.*a running collector applies retention itself every 60 minutes/);
      }
    } finally {
      fp.proc.kill('SIGTERM');
      await fp.exited;
    }
  });

  it('the scheduler runs retention again after each interval and keeps the last outcome', async () => {
    let runs = 0;
    const scheduler = new RetentionScheduler({
      intervalMs: 10,
      log: silent,
      run: async () => {
        runs++;
        if (runs === 2) throw new Error('database unavailable (test)');
        return {
          at: new Date().toISOString(),
          dry_run: false,
          events: [{ project: 'default', type: 'log', days: 30, received_before: '', rows: 1 }],
          events_total: 1,
          wal: { keep_days: 30, before_day: '', segments: [], bytes: 0, archived: 0, not_loaded: 0, folders_removed: [] },
          seconds: 0,
        };
      },
    });
    scheduler.start();
    await eventually(async () => (runs >= 4 ? true : undefined));
    await scheduler.stop();
    const status = scheduler.status();
    assert.ok(status.runs >= 4);
    assert.equal(status.last_run?.ok, true);
    assert.equal(status.events_deleted_total, status.runs - 1, 'the failed run deleted nothing');
    assert.equal(status.next_run_at, null);
  });
});
