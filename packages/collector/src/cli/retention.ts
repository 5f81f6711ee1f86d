/**
 * `footprint retention [--dry-run]`: applies retention once, with the collector stopped (a
 * running collector applies it itself, at start and every `retention.intervalMinutes`).
 * With --dry-run it opens the database read-only and only reports, per project and type, how
 * many events would go and which WAL segments would be archived or deleted.
 */
import type { Logger } from 'pino';
import { archiveDirOf, dataPaths } from '../app.js';
import { type RetentionReport, type RetentionSettings, runRetention } from '../governance/retention.js';
import type { Settings } from '../projects/settings.js';
import { DuckDbDatabase } from '../sinks/duckdb/database.js';
import { DuckDbGovernanceStore } from '../sinks/duckdb/governance.js';
import { CHECKPOINT_TABLE } from '../sinks/duckdb/schema.js';
import type { RetentionStore } from '../sinks/governance.js';
import { fileSize, type WalPosition } from '../wal/segments.js';
import { assertNotInUse, configuredProjectsOffline, megabytes, progressBar, withDataDir } from './common.js';

export interface RetentionCommandOptions {
  dataDir: string;
  memoryLimit: string;
  threads: number;
  settings: RetentionSettings & Pick<Settings, 'archiveDir' | 'intervalMinutes'>;
  dryRun: boolean;
  progress: boolean;
  now?: number;
}

/** A store with no rows, for a data folder whose database does not exist yet. */
const EMPTY_STORE: RetentionStore = {
  projects: async () => [],
  countDue: async () => [],
  deleteDue: async () => [],
};

export async function retentionCommand(opts: RetentionCommandOptions, log: Logger): Promise<RetentionReport> {
  // A dry run changes nothing: it needs no lock.
  if (opts.dryRun) return retentionIn(opts, log);
  return withDataDir(
    opts.dataDir,
    `stop the collector first, or let it work: a running collector applies retention itself every ${opts.settings.intervalMinutes} minutes`,
    () => retentionIn(opts, log),
  );
}

async function retentionIn(opts: RetentionCommandOptions, _log: Logger): Promise<RetentionReport> {
  const paths = dataPaths(opts.dataDir);
  await assertNotInUse(
    paths.duckdb,
    `stop the collector first, or let it work: a running collector applies retention itself every ${opts.settings.intervalMinutes} minutes`,
    opts.dryRun ? 'READ_ONLY' : 'READ_WRITE',
  );
  const hasDatabase = (await fileSize(paths.duckdb)) > 0;
  const db = hasDatabase
    ? new DuckDbDatabase({ path: paths.duckdb, memoryLimit: opts.memoryLimit, threads: opts.threads, readOnly: opts.dryRun })
    : undefined;
  const bar = progressBar('archive', opts.progress && !opts.dryRun);
  let barStarted = false;
  try {
    return await runRetention(
      {
        walDir: paths.wal,
        archiveDir: archiveDirOf(opts.settings, opts.dataDir),
        store: db ? new DuckDbGovernanceStore(db) : EMPTY_STORE,
        settings: opts.settings,
        knownProjects: await configuredProjectsOffline(opts.dataDir, opts.settings),
        // Without a database nothing was ever loaded, so no WAL segment may go.
        checkpoint: async (): Promise<WalPosition> => (db ? readCheckpoint(db) : { seq: 0, offset: 0 }),
        exclusive: (fn) => fn(),
      },
      {
        now: opts.now ?? Date.now(),
        dryRun: opts.dryRun,
        onWalProgress: (done, total) => {
          if (!barStarted) {
            bar?.start(megabytes(total), 0);
            barStarted = true;
          }
          bar?.update(megabytes(done));
        },
      },
    );
  } finally {
    if (barStarted) bar?.stop();
    db?.close();
  }
}

async function readCheckpoint(db: DuckDbDatabase): Promise<WalPosition> {
  return db.use(async (conn) => {
    const row = (await conn.runAndReadAll(`SELECT seq, "offset" FROM ${CHECKPOINT_TABLE} WHERE id = 1`)).getRows()[0];
    return row ? { seq: Number(row[0]), offset: Number(row[1]) } : { seq: 0, offset: 0 };
  });
}

const sizeOf = (bytes: number): string =>
  bytes < 1024 ? `${bytes} bytes` : bytes < 1048576 ? `${(bytes / 1024).toFixed(1)} KB` : `${megabytes(bytes)} MB`;

/** The report as text for people: one line per project and type, then the WAL work. */
export function formatRetention(r: RetentionReport, archiveDir: string | null): string {
  const out: string[] = [];
  const verb = r.dry_run ? 'would be deleted' : 'deleted';
  out.push(`retention as of ${r.at}${r.dry_run ? ' (dry run: nothing was changed)' : ''}`);
  if (r.events.length === 0) out.push(`events: none ${verb}`);
  else {
    out.push(`events ${verb} (kept N days after they were received):`);
    const rows = r.events.map((e) => [e.project, e.type, `${e.days} days`, `received before ${e.received_before}`, String(e.rows)]);
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
    for (const row of rows)
      out.push(
        `  ${row.map((cell, i) => (i === row.length - 1 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  ')}`,
      );
    out.push(`  total: ${r.events_total}`);
  }
  const w = r.wal;
  const action = archiveDir ? `archived to ${archiveDir} and deleted` : 'deleted';
  if (w.segments.length === 0)
    out.push(
      `WAL: no segment ${r.dry_run ? 'would be' : 'was'} ${action} (day folders before ${w.before_day} go; kept ${w.keep_days} days)`,
    );
  else {
    out.push(
      `WAL segments ${r.dry_run ? 'that would be' : ''} ${action} (day folders before ${w.before_day}; kept ${w.keep_days} days):`.replace(
        '  ',
        ' ',
      ),
    );
    for (const s of w.segments) out.push(`  ${s.segment} (${sizeOf(s.bytes)})`);
    if (w.folders_removed.length > 0)
      out.push(`  day folders ${r.dry_run ? 'that would be ' : ''}removed: ${w.folders_removed.join(', ')}`);
  }
  if (w.not_loaded > 0) out.push(`WAL: ${w.not_loaded} expired segments are kept until the collector has loaded them`);
  return `${out.join('\n')}\n`;
}
