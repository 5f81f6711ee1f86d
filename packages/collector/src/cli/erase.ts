/**
 * `footprint erase --user <id>` (or `--anonymous-id <id>`): erasure with the collector
 * stopped. The steps and their crash ordering are those of governance/erasure.ts; here the
 * WAL is settled by opening the writer once to start a fresh, empty segment (so that the
 * next collector never appends to a rewritten file) and loading everything before it.
 */
import type { Logger } from 'pino';
import { archiveDirOf, dataPaths } from '../app.js';
import { type ErasureKind, type ErasureReport, erase, type StoredIdOf } from '../governance/erasure.js';
import { LOADER_DEFAULTS, WalLoader } from '../loader/loader.js';
import type { Settings } from '../projects/settings.js';
import { DuckDbDatabase } from '../sinks/duckdb/database.js';
import { DuckDbGovernanceStore } from '../sinks/duckdb/governance.js';
import { DuckDbSink } from '../sinks/duckdb/sink.js';
import { WalReader } from '../wal/reader.js';
import { WalSegmentWriter } from '../wal/writer.js';
import { assertNotInUse, configuredProjectsOffline, withDataDir } from './common.js';

export interface EraseCommandOptions {
  dataDir: string;
  memoryLimit: string;
  threads: number;
  /** See Config.dedupWindowMs (default 24 hours). */
  dedupWindowMs?: number;
  walSegmentBytes: number;
  walSegmentAgeMs: number;
  settings: Pick<Settings, 'archiveDir' | 'file'>;
  projectId: string;
  kind: ErasureKind;
  id: string;
  storedIdOf: StoredIdOf;
}

export async function eraseCommand(opts: EraseCommandOptions, log: Logger): Promise<ErasureReport> {
  return withDataDir(opts.dataDir, 'send POST /v1/erasure to the running collector instead, or stop it first', () => eraseIn(opts, log));
}

async function eraseIn(opts: EraseCommandOptions, log: Logger): Promise<ErasureReport> {
  const paths = dataPaths(opts.dataDir);
  await assertNotInUse(paths.duckdb, 'send POST /v1/erasure to the running collector instead, or stop it first');
  const db = new DuckDbDatabase({ path: paths.duckdb, memoryLimit: opts.memoryLimit, threads: opts.threads });
  const sink = new DuckDbSink(db, paths.scratch, opts.dedupWindowMs);
  const store = new DuckDbGovernanceStore(db);
  const loader = new WalLoader(new WalReader(paths.wal), sink, { ...LOADER_DEFAULTS, quarantineFile: paths.quarantine }, log);
  try {
    const known = new Set([...(await configuredProjectsOffline(opts.dataDir, opts.settings)), ...(await store.projects())]);
    if (!known.has(opts.projectId)) throw new Error(`--project ${opts.projectId}: no such project (no write key, settings or events)`);
    return await erase(
      {
        walDir: paths.wal,
        quarantineFile: paths.quarantine,
        auditFile: paths.audit,
        archiveDir: archiveDirOf(opts.settings, opts.dataDir),
        store,
        storedIdOf: opts.storedIdOf,
        async settle() {
          const wal = await WalSegmentWriter.open({
            dir: paths.wal,
            maxSegmentBytes: opts.walSegmentBytes,
            maxSegmentAgeMs: opts.walSegmentAgeMs,
          });
          let fresh: number;
          try {
            fresh = await wal.rotate();
          } finally {
            await wal.close();
          }
          await loader.drain();
          return fresh;
        },
        checkpoint: () => loader.open(),
        async exclusive(fn) {
          // The database file is swapped: nothing may keep a connection to it.
          await sink.close();
          return fn();
        },
      },
      { projectId: opts.projectId, kind: opts.kind, id: opts.id, actor: 'cli' },
    );
  } finally {
    await sink.close();
    db.close();
  }
}
