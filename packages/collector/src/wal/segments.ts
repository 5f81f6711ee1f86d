/**
 * WAL layout on disk:
 *
 *   <data>/wal/YYYY-MM-DD/NNNNNN.jsonl
 *
 * One folder per UTC day (the day the segment was opened), segments numbered by one
 * sequence that keeps growing across days (six digits, more when needed). A position in the
 * WAL is (segment sequence, byte offset); everything before it is complete JSON lines.
 */
import { mkdir, open, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface WalPosition {
  seq: number;
  offset: number;
}

export interface SegmentRef {
  seq: number;
  day: string;
  path: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const SEGMENT = /^(\d{6,})\.jsonl$/;

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function segmentPath(walDir: string, day: string, seq: number): string {
  return join(walDir, day, `${String(seq).padStart(6, '0')}.jsonl`);
}

/** Every segment under the WAL folder, in sequence order. Unrelated files are ignored. */
export async function listSegments(walDir: string): Promise<SegmentRef[]> {
  let days: string[];
  try {
    days = await readdir(walDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: SegmentRef[] = [];
  for (const day of days) {
    if (!DAY.test(day)) continue;
    for (const name of await readdir(join(walDir, day))) {
      const m = SEGMENT.exec(name);
      if (m) out.push({ seq: Number(m[1]), day, path: join(walDir, day, name) });
    }
  }
  return out.sort((a, b) => a.seq - b.seq);
}

export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

/** fsyncs a directory so that files created or renamed in it survive a crash. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Appends text to a file (made with mode 0600 if new) and fsyncs it, and its folder when the
 * file is new: for the side files that may hold the only copy of something (audit log, quarantine).
 */
export async function appendDurably(path: string, text: string): Promise<void> {
  const existed = await stat(path).then(
    () => true,
    () => false,
  );
  const fh = await open(path, 'a', 0o600);
  try {
    await fh.write(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  if (!existed) await syncDir(dirname(path));
}

/** Creates a folder (and parents) and makes its entry durable in its parent. */
export async function ensureDir(dir: string, parent: string): Promise<void> {
  const made = await mkdir(dir, { recursive: true });
  if (made !== undefined) await syncDir(parent);
}
