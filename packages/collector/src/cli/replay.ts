/**
 * `footprint replay`: rebuilds the database from the WAL, e.g. after the database file was
 * lost. It loads into a new file beside the old one and swaps it in only when complete, so
 * an interrupted replay leaves the previous database as it was. Loading is the collector's
 * own loader, so the result equals what the running collector built, row for row.
 */
import { rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import cliProgress from 'cli-progress';
import type { Logger } from 'pino';
import { dataPaths } from '../app.js';
import { LOADER_DEFAULTS, WalLoader } from '../loader/loader.js';
import { DuckDbDatabase } from '../sinks/duckdb/database.js';
import { DuckDbSink } from '../sinks/duckdb/sink.js';
import { WalReader } from '../wal/reader.js';
import { repairSegment } from '../wal/recovery.js';
import { fileSize, listSegments, syncDir } from '../wal/segments.js';

export interface ReplayOptions {
  dataDir: string;
  memoryLimit: string;
  threads: number;
  progress: boolean;
}

export interface ReplayReport {
  segments: number;
  bytes: number;
  rows: number;
  quarantined: number;
  seconds: number;
}

/** Fails with a clear message when a running collector holds the database. */
async function assertNotInUse(path: string): Promise<void> {
  if ((await fileSize(path)) === 0) return;
  try {
    const probe = await DuckDBInstance.create(path, { access_mode: 'READ_WRITE' });
    probe.closeSync();
  } catch (err) {
    throw new Error(`${path} is in use (${(err as Error).message.split('\n')[0]}); stop the collector before replaying`, { cause: err });
  }
}

export async function replay(opts: ReplayOptions, log: Logger): Promise<ReplayReport> {
  const started = Date.now();
  const paths = dataPaths(opts.dataDir);
  await assertNotInUse(paths.duckdb);
  const segments = await listSegments(paths.wal);
  const last = segments.at(-1);
  if (last) await repairSegment(last.path);

  const target = `${paths.duckdb}.replay`;
  await rm(target, { force: true });
  await rm(`${target}.wal`, { force: true });
  const db = new DuckDbDatabase({ path: target, memoryLimit: opts.memoryLimit, threads: opts.threads });
  const sink = new DuckDbSink(db, paths.scratch);
  const reader = new WalReader(paths.wal);
  await reader.refresh();
  const total = await reader.bytesAfter({ seq: 0, offset: 0 });
  const loader = new WalLoader(reader, sink, { ...LOADER_DEFAULTS, quarantineFile: paths.quarantine }, log);

  const bar = opts.progress
    ? new cliProgress.SingleBar(
        { format: 'replay [{bar}] {percentage}% | {value}/{total} MB | eta {eta}s', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const mb = (b: number): number => Math.round((b / 1048576) * 10) / 10;
  let done = 0;
  bar?.start(mb(total), 0);
  try {
    await loader.drain((bytes) => {
      done += bytes;
      bar?.update(mb(done));
    });
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
    seconds: (Date.now() - started) / 1000,
  };
}
