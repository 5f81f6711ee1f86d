/**
 * WAL layout on disk:
 *
 *   <data>/wal/YYYY-MM-DD/NNNNNN.jsonl
 *   <data>/wal/wal-id        this WAL's identity (a UUID), made with the folder
 *
 * One folder per UTC day (the day the segment was opened), segments numbered by one
 * sequence that keeps growing across days (six digits, more when needed). A position in the
 * WAL is (segment sequence, byte offset); everything before it is complete JSON lines.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat } from 'node:fs/promises';
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

/** The file holding the WAL's identity, in the WAL folder. */
export const WAL_ID_FILE = 'wal-id';
const WAL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The WAL's identity: a new WAL (its folder removed, or a fresh data dir) has a new one, so
 * the loader can tell it from the WAL its checkpoint points into, whatever the segment
 * numbers. Undefined when the folder has none (made before identities existed, or not a WAL
 * the collector opened).
 */
export async function readWalId(walDir: string): Promise<string | undefined> {
  try {
    const id = (await readFile(join(walDir, WAL_ID_FILE), 'utf8')).trim();
    return WAL_ID.test(id) ? id : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The WAL's identity, made (durably) if it has none or an unreadable one. */
export async function ensureWalId(walDir: string): Promise<string> {
  const existing = await readWalId(walDir);
  if (existing) return existing;
  const id = randomUUID();
  const tmp = join(walDir, `${WAL_ID_FILE}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.write(`${id}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(walDir, WAL_ID_FILE));
  await syncDir(walDir);
  return id;
}

/** Creates a folder (and parents) and makes its entry durable in its parent. */
export async function ensureDir(dir: string, parent: string): Promise<void> {
  const made = await mkdir(dir, { recursive: true });
  if (made !== undefined) await syncDir(parent);
}
