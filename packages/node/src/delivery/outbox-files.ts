/**
 * File-level pieces of the outbox: the delivered-position file, segment names, torn-tail
 * repair and line counting (a folder is claimed with @footprint/folder-lock). Everything here
 * is async except the crash path, which runs while the process is going down anyway.
 */
import { createReadStream } from 'node:fs';
import { open, readFile, rename, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';

/** `00000042.jsonl`: a segment's sequence number, zero-padded so names sort in order. */
export const segmentName = (seq: number): string => `${String(seq).padStart(8, '0')}.jsonl`;
export const SEGMENT_RE = /^(\d{8})\.jsonl$/;

export interface Position {
  seq: number;
  offset: number;
}

export async function readPosition(dir: string): Promise<Position | undefined> {
  try {
    const v = JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8')) as Partial<Position>;
    if (Number.isSafeInteger(v.seq) && Number.isSafeInteger(v.offset) && (v.seq as number) >= 0 && (v.offset as number) >= 0) {
      return { seq: v.seq as number, offset: v.offset as number };
    }
  } catch {
    // Missing or unreadable: start from the oldest segment (resent events keep their messageId).
  }
  return undefined;
}

/** fsyncs a folder, so that files created or renamed in it survive a crash of the machine. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Saves the delivered position atomically: a reader sees the old file or the new one, never half. */
export async function writePosition(dir: string, pos: Position, fsync: boolean): Promise<void> {
  const tmp = join(dir, 'cursor.json.tmp');
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify(pos));
    if (fsync) await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, 'cursor.json'));
  if (fsync) await syncDir(dir);
}

/** Cuts a line left half-written by a crash from the end of a segment; returns the new size. */
export async function cutTornTail(path: string): Promise<number> {
  const size = (await stat(path)).size;
  const fh = await open(path, 'r');
  let end = size;
  try {
    const chunk = Buffer.alloc(64 * 1024);
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await fh.read(chunk, 0, end - start, start);
      const nl = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (nl !== -1) {
        end = start + nl + 1;
        break;
      }
      end = start;
    }
  } finally {
    await fh.close();
  }
  if (end < size) await truncate(path, end);
  return end;
}

/** Number of complete lines in `path` from byte `start`. */
export function countLines(path: string, start: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    createReadStream(path, { start, highWaterMark: 256 * 1024 })
      .on('data', (chunk) => {
        const buf = chunk as Buffer;
        for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) n++;
      })
      .once('error', reject)
      .once('end', () => resolve(n));
  });
}
