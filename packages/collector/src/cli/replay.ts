/**
 * `footprint replay`: rebuilds the database from the WAL, e.g. after the database file was
 * lost. It loads into a new file beside the old one and swaps it in only when complete, so
 * an interrupted replay leaves the previous database as it was. Loading is the collector's
 * own loader, so the result equals what the running collector built, row for row.
 *
 * Retention is applied to the rebuilt database before it is swapped in: the WAL keeps whole
 * days until the longest retention has passed, so it can hold events whose own type's
 * retention is over, and a replay must not bring those back.
 */
import { rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { dataPaths } from '../app.js';
import { type RetentionSettings, retentionPlan } from '../governance/retention.js';
import { LOADER_DEFAULTS, WalLoader } from '../loader/loader.js';
import { DuckDbDatabase } from '../sinks/duckdb/database.js';
import { DuckDbGovernanceStore } from '../sinks/duckdb/governance.js';
import { DuckDbSink } from '../sinks/duckdb/sink.js';
import { WalReader } from '../wal/reader.js';
import { repairSegment } from '../wal/recovery.js';
import { listSegments, syncDir } from '../wal/segments.js';
import { assertNotInUse, configuredProjectsOffline, megabytes, progressBar, withDataDir } from './common.js';

export interface ReplayOptions {
  dataDir: string;
  memoryLimit: string;
  threads: number;
  /** See Config.dedupWindowMs (default 24 hours). */
  dedupWindowMs?: number;
  progress: boolean;
  /** Retention applied to the rebuilt database (project settings). */
  settings: RetentionSettings;
  /** The time retention is evaluated at. */
  now?: number;
}

export interface ReplayReport {
  segments: number;
  bytes: number;
  rows: number;
  quarantined: number;
  /** Loaded events removed again because their retention is over. */
  expired: number;
  seconds: number;
}

export async function replay(opts: ReplayOptions, log: Logger): Promise<ReplayReport> {
  const paths = dataPaths(opts.dataDir);
  if ((await listSegments(paths.wal)).length === 0) {
    // A mistyped --data-dir, or a WAL moved away: an empty database must not replace the one there.
    throw new Error(`no WAL segments in ${paths.wal}: nothing to rebuild the database from (${paths.duckdb} is left as it is)`);
  }
  return withDataDir(opts.dataDir, 'stop the collector before replaying', () => replayIn(opts, log));
}

async function replayIn(opts: ReplayOptions, log: Logger): Promise<ReplayReport> {
  const started = Date.now();
  const paths = dataPaths(opts.dataDir);
  await assertNotInUse(paths.duckdb, 'stop the collector before replaying');
  const segments = await listSegments(paths.wal);
  const last = segments.at(-1);
  if (last) await repairSegment(last.path);

  const target = `${paths.duckdb}.replay`;
  await rm(target, { force: true });
  await rm(`${target}.wal`, { force: true });
  const db = new DuckDbDatabase({ path: target, memoryLimit: opts.memoryLimit, threads: opts.threads });
  const sink = new DuckDbSink(db, paths.scratch, opts.dedupWindowMs);
  const reader = new WalReader(paths.wal);
  await reader.refresh();
  const total = await reader.bytesAfter({ seq: 0, offset: 0 });
  const loader = new WalLoader(reader, sink, { ...LOADER_DEFAULTS, quarantineFile: paths.quarantine }, log);

  const bar = progressBar('replay', opts.progress);
  let done = 0;
  let expired = 0;
  bar?.start(megabytes(total), 0);
  try {
    await loader.drain((bytes) => {
      done += bytes;
      bar?.update(megabytes(done));
    });
    bar?.stop();
    const store = new DuckDbGovernanceStore(db);
    const projects = new Set([...(await configuredProjectsOffline(opts.dataDir, opts.settings)), ...(await store.projects())]);
    const { plan } = retentionPlan(opts.settings, [...projects], opts.now ?? Date.now());
    expired = (await store.deleteDue(plan)).reduce((n, c) => n + c.rows, 0);
  } finally {
    bar?.stop();
    await sink.close();
    db.close();
  }
  await rm(`${paths.duckdb}.wal`, { force: true });
  await rename(target, paths.duckdb);
  await syncDir(dirname(paths.duckdb));
  const stats = loader.status();
  return {
    segments: segments.length,
    bytes: total,
    rows: stats.rows,
    quarantined: stats.quarantined,
    expired,
    seconds: (Date.now() - started) / 1000,
  };
}
