/**
 * Erasure: removes every event of one user id or anonymous id of a project from everything
 * the collector keeps on disk: the database, the WAL segments, the archived `.jsonl.gz`
 * segments and `quarantine.jsonl`.
 *
 * What is erased. A row of the project goes when its `user_id`, `anonymous_id` or
 * `previous_id` is one of the stored forms of the id (`storedIdOf`: masking may store an id
 * hashed). For a user id, the ids linked to it go too: the `anonymous_id` and `previous_id`
 * values found on that user's rows (database, WAL, archive, quarantine), so the visits made
 * before the user signed in are erased with the user. Free text that merely mentions the id
 * is not searched.
 *
 * Offsets. The loader's checkpoint is a byte offset in a segment, so a segment may be
 * rewritten only once it is complete and fully loaded. `settle()` makes sure of that: the
 * server rotates the WAL writer to a new segment and drains the loader up to it; the CLI
 * (collector stopped) opens the writer once to start a fresh empty segment, so that later
 * appends never go into a rewritten file, and drains the loader to the end. Only segments
 * before the returned sequence are rewritten, and each is checked against the checkpoint.
 *
 * Crash ordering (every step is safe to interrupt, and running the erasure again finishes it):
 *  1. audit line `started` (fsync'd): an interrupted erasure is visible in the audit log;
 *  2. settle (rotate/fresh segment, drain): changes no data;
 *  3. find linked ids (reads only);
 *  4. with loading paused: delete the rows (one transaction), rewrite quarantine.jsonl, then
 *     rewrite the database file without free blocks (`purge`, an atomic file swap);
 *  5. rewrite each affected WAL segment, then each affected archive file: the new version is
 *     written to `.<name>.tmp`, fsync'd, renamed over the old one, and the folder fsync'd. A
 *     crash leaves each file either old or new, never torn; a leftover `.tmp` holds only
 *     lines that are kept and is removed by the next run;
 *  6. audit line `completed` with the counts.
 * Until step 5 is done a replay could still load the old lines, which is why an interrupted
 * erasure must be run again (the audit log shows `started` without `completed`).
 *
 * The audit log holds no personal data: erasure id, time, actor, project, which kind of id,
 * and counts. Never the id, not even hashed (a hash of a known id is as good as the id).
 */
import { randomUUID } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isRoundedInteger, LIMITS } from '@footprint/schema';
import type { ErasureStore } from '../sinks/governance.js';
import { appendDurably, fileSize, listSegments, type WalPosition } from '../wal/segments.js';
import { DurableOutput, forEachLine, lineChunks, listArchived, removeStaleTemps, tempPathOf } from './files.js';

/** The stored forms of a raw id in a project (what masking turns it into); at least one. */
export type StoredIdOf = (projectId: string, rawId: string) => string[];

/** Without masking of ids, an id is stored as it was sent. */
export const rawIdOnly: StoredIdOf = (_projectId, rawId) => [rawId];

export type ErasureKind = 'user_id' | 'anonymous_id';

export interface ErasureRequest {
  projectId: string;
  kind: ErasureKind;
  /** The raw id, as the application knows it. */
  id: string;
  actor: 'cli' | 'api';
}

/** A request value that cannot be an id; `field` names it (`user_id`, `--user`, ...). */
export class ErasureInputError extends Error {
  override name = 'ErasureInputError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Checks a raw id: a string of 1 to 256 characters (the longest id the collector stores) or
 * a finite number, which is stored as text like any numeric id.
 */
export function checkErasureId(value: unknown, field: string): string {
  if (typeof value === 'number' && isRoundedInteger(value)) {
    throw new ErasureInputError(field, `${field} is a whole number past 2^53, which no event can hold; send the id as text`);
  }
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  return checkProjectId(text, field);
}

/** Checks a project id given to an erasure (and, through checkErasureId, the id to erase). */
export function checkProjectId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > LIMITS.maxIdLength) {
    throw new ErasureInputError(field, `${field} must be a non-empty string of at most ${LIMITS.maxIdLength} characters`);
  }
  // In a u-mode expression a surrogate pair is one code point: \p{Cs} finds only lone halves.
  if (/\p{Cs}/u.test(value)) {
    throw new ErasureInputError(
      field,
      `${field} contains a lone UTF-16 surrogate, which no stored event can hold; send well-formed Unicode text`,
    );
  }
  return value;
}

export interface ErasureContext {
  walDir: string;
  quarantineFile: string;
  auditFile: string;
  archiveDir: string | null;
  store: ErasureStore;
  storedIdOf: StoredIdOf;
  /** Makes every segment before the returned sequence complete and loaded (see the header). */
  settle(): Promise<number>;
  /** The loader's checkpoint. */
  checkpoint(): Promise<WalPosition>;
  /** Runs `fn` with loading paused and the loader's own connection released. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  now?: () => number;
}

export interface ErasureReport {
  erasure_id: string;
  project: string;
  by: ErasureKind;
  rows_deleted: number;
  /** Linked ids (anonymous ids of the user) erased with it. */
  linked_ids: number;
  wal: { segments_rewritten: number; lines_removed: number };
  archive: { files_rewritten: number; lines_removed: number };
  quarantine: { lines_removed: number };
  seconds: number;
}

type Row = Record<string, unknown>;

/** Appends one JSON line to the audit log and fsyncs it. */
export async function appendAudit(path: string, entry: Record<string, unknown>): Promise<void> {
  await appendDurably(path, `${JSON.stringify(entry)}\n`);
}

/** The ids as they appear in a WAL line (JSON.stringify'd, quotes included). */
const needlesOf = (ids: Iterable<string>): Buffer[] => [...ids].map((id) => Buffer.from(JSON.stringify(id)));

/** True when `buf` holds one of the needles; with no needles, every line is a candidate. */
const holdsAny = (buf: Buffer, needles: readonly Buffer[]): boolean => needles.length === 0 || needles.some((n) => buf.includes(n));

const parse = (line: Buffer): Row | undefined => {
  try {
    const v: unknown = JSON.parse(line.toString('utf8'));
    return typeof v === 'object' && v !== null ? (v as Row) : undefined;
  } catch {
    return undefined;
  }
};

/** A quarantine entry's WAL line, parsed. */
const quarantinedRow = (line: Buffer): Row | undefined => {
  const entry = parse(line);
  if (!entry || typeof entry.line !== 'string') return undefined;
  try {
    const v: unknown = JSON.parse(entry.line);
    return typeof v === 'object' && v !== null ? (v as Row) : undefined;
  } catch {
    return undefined;
  }
};

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Calls `onRow` for each parseable line holding one of the needles. */
async function scanRows(path: string, needles: readonly Buffer[], rowOf: (line: Buffer) => Row | undefined, onRow: (row: Row) => void) {
  for await (const chunk of lineChunks(path)) {
    if (!holdsAny(chunk, needles)) continue;
    forEachLine(chunk, (line) => {
      if (!holdsAny(line, needles)) return;
      const row = rowOf(line);
      if (row) onRow(row);
    });
  }
}

async function containsAny(path: string, needles: readonly Buffer[]): Promise<boolean> {
  for await (const chunk of lineChunks(path)) if (holdsAny(chunk, needles)) return true;
  return false;
}

/**
 * Rewrites `path` (plain or `.gz`) without the lines `drop` selects, crash-safely. A file
 * with nothing to drop is left as it is. Answers the number of lines removed.
 */
async function rewriteWithout(path: string, needles: readonly Buffer[], drop: (line: Buffer) => boolean): Promise<number> {
  if (!(await containsAny(path, needles))) return 0;
  const out = new DurableOutput(path);
  let removed = 0;
  try {
    for await (const chunk of lineChunks(path)) {
      if (!holdsAny(chunk, needles)) {
        await out.write(chunk);
        continue;
      }
      const kept: Buffer[] = [];
      forEachLine(chunk, (line) => {
        if (holdsAny(line, needles) && drop(line)) removed++;
        else kept.push(line);
      });
      await out.write(Buffer.concat(kept));
    }
  } catch (err) {
    await out.abort();
    throw err;
  }
  if (removed === 0) await out.abort();
  else await out.commit();
  return removed;
}

/** Runs one erasure (see the header for what it removes and in which order). */
export async function erase(ctx: ErasureContext, req: ErasureRequest): Promise<ErasureReport> {
  const now = ctx.now ?? Date.now;
  const started = now();
  const erasureId = `er_${randomUUID()}`;
  const audit = { erasure_id: erasureId, actor: req.actor, project: req.projectId, by: req.kind };
  await appendAudit(ctx.auditFile, { ...audit, at: new Date(started).toISOString(), status: 'started' });
  try {
    const report = await run(ctx, req, erasureId);
    report.seconds = (now() - started) / 1000;
    const { erasure_id: _id, project: _p, by: _b, ...counts } = report;
    await appendAudit(ctx.auditFile, { ...audit, at: new Date(now()).toISOString(), status: 'completed', ...counts });
    return report;
  } catch (err) {
    // The reason stays out of the audit log: an engine's message could quote a value.
    await appendAudit(ctx.auditFile, { ...audit, at: new Date(now()).toISOString(), status: 'failed' }).catch(() => undefined);
    throw err;
  }
}

async function run(ctx: ErasureContext, req: ErasureRequest, erasureId: string): Promise<ErasureReport> {
  const project = req.projectId;
  const boundary = await ctx.settle();
  const checkpoint = await ctx.checkpoint();
  const segments = (await listSegments(ctx.walDir)).filter((s) => s.seq < boundary);
  for (const s of segments) {
    const loaded = s.seq < checkpoint.seq || (s.seq === checkpoint.seq && checkpoint.offset >= (await fileSize(s.path)));
    if (!loaded) throw new Error(`WAL segment ${s.day}/${s.seq} is not fully loaded; nothing was erased, try again`);
  }
  const archives = ctx.archiveDir ? await listArchived(ctx.archiveDir) : [];
  // Leftovers of an interrupted run: only kept lines, but not the files of record.
  for (const dir of new Set(segments.map((s) => dirname(s.path)))) await removeStaleTemps(dir);
  for (const dir of new Set(archives.map((a) => dirname(a.path)))) await removeStaleTemps(dir);
  await rm(tempPathOf(ctx.quarantineFile), { force: true });
  const quarantineExists = await exists(ctx.quarantineFile);

  const ids = [...new Set(ctx.storedIdOf(project, req.id).filter((s) => typeof s === 'string' && s.length > 0))];
  if (ids.length === 0) throw new Error('storedIdOf gave no stored form of the id');
  const erased = new Set(ids);
  let linked = 0;
  if (req.kind === 'user_id') {
    const users = new Set(ids);
    const found = new Set(await ctx.store.linkedIds(project, ids));
    const collect = (row: Row): void => {
      if (row.project_id !== project || typeof row.user_id !== 'string' || !users.has(row.user_id)) return;
      if (typeof row.anonymous_id === 'string') found.add(row.anonymous_id);
      if (typeof row.previous_id === 'string') found.add(row.previous_id);
    };
    const needles = needlesOf(ids);
    for (const s of segments) await scanRows(s.path, needles, parse, collect);
    for (const a of archives) await scanRows(a.path, needles, parse, collect);
    if (quarantineExists) await scanRows(ctx.quarantineFile, [], quarantinedRow, collect);
    for (const v of found) {
      if (v === '' || erased.has(v)) continue;
      erased.add(v);
      linked++;
    }
  }

  const matches = (row: Row | undefined): boolean =>
    row !== undefined &&
    row.project_id === project &&
    [row.user_id, row.anonymous_id, row.previous_id].some((v) => typeof v === 'string' && erased.has(v));
  const needles = needlesOf(erased);

  const { rows, quarantined } = await ctx.exclusive(async () => {
    const rows = await ctx.store.erase({ projectId: project, ids: [...erased] });
    const quarantined = quarantineExists ? await rewriteWithout(ctx.quarantineFile, [], (line) => matches(quarantinedRow(line))) : 0;
    await ctx.store.purge();
    return { rows, quarantined };
  });

  const report: ErasureReport = {
    erasure_id: erasureId,
    project,
    by: req.kind,
    rows_deleted: rows,
    linked_ids: linked,
    wal: { segments_rewritten: 0, lines_removed: 0 },
    archive: { files_rewritten: 0, lines_removed: 0 },
    quarantine: { lines_removed: quarantined },
    seconds: 0,
  };
  for (const s of segments) {
    const removed = await rewriteWithout(s.path, needles, (line) => matches(parse(line)));
    if (removed > 0) {
      report.wal.segments_rewritten++;
      report.wal.lines_removed += removed;
    }
  }
  for (const a of archives) {
    const removed = await rewriteWithout(a.path, needles, (line) => matches(parse(line)));
    if (removed > 0) {
      report.archive.files_rewritten++;
      report.archive.lines_removed += removed;
    }
  }
  return report;
}
