/**
 * Retention: events are kept N days after they were **received** (`received_at`), N set per
 * project and event type (projects/settings.ts, defaults DEFAULT_RETENTION). Receive time,
 * not event time, because it is what the collector knows for sure (a client clock can be
 * wrong by years) and because WAL day folders are receive days.
 *
 * - Database: rows of (project, type) with `received_at` before `now - days` are deleted,
 *   through the RetentionStore seam, between two loader chunks.
 * - WAL: a day folder goes once the whole day is older than the longest retention of any
 *   project (every line in it is then expired everywhere). Only segments the loader has
 *   passed (seq < checkpoint.seq) are removed, so nothing is deleted before it is loaded and
 *   the segment being written is never touched. With an archive folder, each segment is first
 *   copied to `<archive>/<day>/NNNNNN.jsonl.gz` durably, then deleted.
 */
import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { EVENT_TYPES } from '@footprint/schema';
import type { Settings } from '../projects/settings.js';
import type { RetentionPlan, RetentionStore } from '../sinks/governance.js';
import { listSegments, syncDir, utcDay, type WalPosition } from '../wal/segments.js';
import { archiveSegment, removeStaleTemps } from './files.js';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** What retention needs of the settings (a `Settings` from projects/settings.ts). */
export type RetentionSettings = Pick<Settings, 'retentionOf' | 'file'>;

export interface RetentionContext {
  walDir: string;
  /** Where WAL segments are archived before deletion; null: deleted without a copy. */
  archiveDir: string | null;
  store: RetentionStore;
  settings: RetentionSettings;
  /** Projects known besides those with stored rows (write keys, settings). */
  knownProjects: readonly string[];
  /** The loader's checkpoint: every segment before its seq is loaded. */
  checkpoint(): Promise<WalPosition>;
  /** Runs database writes between two loader chunks. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
}

export interface RetentionEvents {
  project: string;
  type: string;
  days: number;
  /** Rows received before this instant go. */
  received_before: string;
  rows: number;
}

export interface RetentionWalSegment {
  /** `<day>/<NNNNNN>.jsonl`, relative to the WAL folder. */
  segment: string;
  bytes: number;
  /** The archive file it was (or would be) copied to, when archiving. */
  archive: string | null;
}

export interface RetentionReport {
  /** The time retention was evaluated at. */
  at: string;
  dry_run: boolean;
  /** Per project and type with rows due (dry run) or deleted. */
  events: RetentionEvents[];
  events_total: number;
  wal: {
    /** The longest retention of any project: WAL days older than this go. */
    keep_days: number;
    /** Day folders before this day are expired. */
    before_day: string;
    segments: RetentionWalSegment[];
    bytes: number;
    archived: number;
    /** Expired segments kept because the loader has not passed them yet. */
    not_loaded: number;
    folders_removed: string[];
  };
  seconds: number;
}

/** Every project retention applies to: known ones, configured ones and those with rows. */
async function projectsOf(ctx: RetentionContext): Promise<string[]> {
  const all = new Set(ctx.knownProjects);
  for (const p of Object.keys(ctx.settings.file.projects ?? {})) all.add(p);
  for (const p of await ctx.store.projects()) all.add(p);
  return [...all].sort();
}

/** The database rules (one per project and type) and the longest retention in days. */
export function retentionPlan(
  settings: RetentionSettings,
  projects: readonly string[],
  now: number,
): { plan: RetentionPlan; longestDays: number } {
  const rules: RetentionPlan['rules'] = [];
  let longestDays = 0;
  for (const projectId of projects) {
    const days = settings.retentionOf(projectId);
    for (const type of EVENT_TYPES) {
      const d = days[type];
      longestDays = Math.max(longestDays, d);
      rules.push({ projectId, type, days: d, cutoff: new Date(now - d * DAY_MS).toISOString() });
    }
  }
  return { plan: { rules }, longestDays };
}

interface WalCandidates {
  due: Array<{ seq: number; day: string; path: string; bytes: number }>;
  notLoaded: number;
  beforeDay: string;
}

async function walCandidates(walDir: string, checkpoint: WalPosition, longestDays: number, now: number): Promise<WalCandidates> {
  const beforeDay = utcDay(now - longestDays * DAY_MS);
  const due: WalCandidates['due'] = [];
  let notLoaded = 0;
  for (const seg of await listSegments(walDir)) {
    if (seg.day >= beforeDay) continue;
    if (seg.seq >= checkpoint.seq) {
      notLoaded++;
      continue;
    }
    due.push({ ...seg, bytes: (await stat(seg.path)).size });
  }
  return { due, notLoaded, beforeDay };
}

export interface RetentionRunOptions {
  now: number;
  dryRun?: boolean;
  /** Called as WAL segments are archived/deleted: bytes done so far and in all. */
  onWalProgress?: (done: number, total: number) => void;
}

/**
 * Applies retention as of `now` (or, with `dryRun`, only reports what would go). Safe to run
 * again after a crash at any point: deleting is idempotent, an archive copy is complete
 * before its segment is removed, and leftover temporary files are removed.
 */
export async function runRetention(ctx: RetentionContext, opts: RetentionRunOptions): Promise<RetentionReport> {
  const started = Date.now();
  const { now } = opts;
  const dryRun = opts.dryRun === true;
  const { plan, longestDays } = retentionPlan(ctx.settings, await projectsOf(ctx), now);
  const counts = dryRun ? await ctx.store.countDue(plan) : await ctx.exclusive(() => ctx.store.deleteDue(plan));
  const ruleOf = new Map(plan.rules.map((r) => [`${r.projectId}\u0000${r.type}`, r]));
  const events: RetentionEvents[] = counts
    .map((c) => {
      const rule = ruleOf.get(`${c.projectId}\u0000${c.type}`);
      return { project: c.projectId, type: c.type, days: rule?.days ?? 0, received_before: rule?.cutoff ?? '', rows: c.rows };
    })
    .sort((a, b) => (a.project === b.project ? (a.type < b.type ? -1 : 1) : a.project < b.project ? -1 : 1));

  const checkpoint = await ctx.checkpoint();
  const wal = await walCandidates(ctx.walDir, checkpoint, longestDays, now);
  const total = wal.due.reduce((n, s) => n + s.bytes, 0);
  const segments: RetentionWalSegment[] = [];
  let done = 0;
  for (const seg of wal.due) {
    const name = `${seg.day}/${basename(seg.path)}`;
    let archive: string | null = ctx.archiveDir ? join(ctx.archiveDir, `${name}.gz`) : null;
    if (!dryRun) {
      if (ctx.archiveDir) archive = await archiveSegment(seg.path, ctx.archiveDir, seg.day);
      await rm(seg.path, { force: true });
      done += seg.bytes;
      opts.onWalProgress?.(done, total);
    }
    segments.push({ segment: name, bytes: seg.bytes, archive });
  }
  // Day folders left without segments are removed (a dry run names the ones it would empty).
  const foldersRemoved: string[] = [];
  const dueDays = new Set(wal.due.map((s) => s.day));
  const dueSeqs = new Set(wal.due.map((s) => s.seq));
  const remaining = new Set((await listSegments(ctx.walDir)).filter((s) => !dueSeqs.has(s.seq)).map((s) => s.day));
  for (const day of [...dueDays].sort()) {
    if (remaining.has(day)) continue;
    if (!dryRun) {
      const dir = join(ctx.walDir, day);
      await removeStaleTemps(dir);
      if ((await readdir(dir)).length > 0) continue;
      await rmdir(dir);
    }
    foldersRemoved.push(day);
  }
  if (!dryRun && dueDays.size > 0) {
    for (const day of dueDays) if (remaining.has(day)) await syncDir(join(ctx.walDir, day));
    await syncDir(ctx.walDir);
  }

  return {
    at: new Date(now).toISOString(),
    dry_run: dryRun,
    events,
    events_total: events.reduce((n, e) => n + e.rows, 0),
    wal: {
      keep_days: longestDays,
      before_day: wal.beforeDay,
      segments,
      bytes: total,
      archived: ctx.archiveDir ? segments.length : 0,
      not_loaded: wal.notLoaded,
      folders_removed: foldersRemoved,
    },
    seconds: (Date.now() - started) / 1000,
  };
}
