/**
 * Crash-safe file work for retention and erasure: WAL segments, archived `.jsonl.gz`
 * segments and the quarantine file are never edited in place. A new version is written to a
 * temporary name beside the file (`.<name>.tmp`, which no listing picks up), fsync'd, renamed
 * over the file, and the folder is fsync'd. A crash leaves the old file or the new one, whole,
 * plus at most a temporary file that the next run removes.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { ensureDir, syncDir } from '../wal/segments.js';

const TEMP = /^\..+\.tmp$/;

/** The temporary name a new version of `path` is written to. */
export const tempPathOf = (path: string): string => join(dirname(path), `.${basename(path)}.tmp`);

/** Removes temporary files left in `dir` by an interrupted run; answers how many. */
export async function removeStaleTemps(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  const stale = names.filter((n) => TEMP.test(n));
  for (const name of stale) await rm(join(dir, name), { force: true });
  if (stale.length > 0) await syncDir(dir);
  return stale.length;
}

/** fsyncs a file's data and metadata. */
export async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Reads a file (gunzipping `.gz`) as buffers that each end on a line boundary (but maybe the last). */
export async function* lineChunks(path: string): AsyncGenerator<Buffer> {
  const file = createReadStream(path, { highWaterMark: 4 * 1024 * 1024 });
  const source: Readable = path.endsWith('.gz') ? file.pipe(createGunzip()) : file;
  file.once('error', (err) => source.destroy(err));
  let carry: Buffer | undefined;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
    const nl = buf.lastIndexOf(10);
    if (nl === -1) {
      carry = buf;
      continue;
    }
    yield buf.subarray(0, nl + 1);
    carry = nl + 1 < buf.length ? buf.subarray(nl + 1) : undefined;
  }
  if (carry && carry.length > 0) yield carry;
}

/** Calls `fn` for each line of a chunk (with its newline). */
export function forEachLine(chunk: Buffer, fn: (line: Buffer) => void): void {
  let start = 0;
  while (start < chunk.length) {
    const nl = chunk.indexOf(10, start);
    const end = nl === -1 ? chunk.length : nl + 1;
    fn(chunk.subarray(start, end));
    start = end;
  }
}

/** A file being written under its temporary name; `commit()` makes it replace the target. */
export class DurableOutput {
  private readonly file: Writable;
  private readonly sink: Writable;
  readonly temp: string;
  private failed: Error | undefined;

  constructor(readonly target: string) {
    this.temp = tempPathOf(target);
    this.file = createWriteStream(this.temp, { highWaterMark: 1024 * 1024 });
    this.sink = target.endsWith('.gz') ? createGzip() : this.file;
    if (this.sink !== this.file) this.sink.pipe(this.file);
    for (const s of new Set([this.sink, this.file])) {
      s.on('error', (err: Error) => {
        this.failed ??= err;
      });
    }
  }

  async write(buf: Buffer): Promise<void> {
    if (this.failed) throw this.failed;
    if (buf.length === 0) return;
    if (!this.sink.write(buf)) await new Promise<void>((resolve) => this.sink.once('drain', resolve));
  }

  private async close(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      this.file.once('close', resolve);
      this.file.once('error', reject);
    });
    this.sink.end();
    await done;
    if (this.failed) throw this.failed;
  }

  /** Ends the file, fsyncs it, renames it over the target and fsyncs the folder. */
  async commit(): Promise<void> {
    await this.close();
    await syncFile(this.temp);
    await rename(this.temp, this.target);
    await syncDir(dirname(this.target));
  }

  /** Drops the temporary file; the target stays as it was. */
  async abort(): Promise<void> {
    await this.close().catch(() => undefined);
    await rm(this.temp, { force: true });
  }
}

/**
 * Copies a WAL segment to `<archiveDir>/<day>/<name>.gz`, durably (temp name, fsync, rename,
 * fsync of the folder). The caller deletes the segment afterwards.
 */
export async function archiveSegment(segmentPath: string, archiveDir: string, day: string): Promise<string> {
  const dayDir = join(archiveDir, day);
  await ensureDir(archiveDir, dirname(archiveDir));
  await ensureDir(dayDir, archiveDir);
  const target = join(dayDir, `${basename(segmentPath)}.gz`);
  const out = new DurableOutput(target);
  try {
    for await (const chunk of createReadStream(segmentPath, { highWaterMark: 4 * 1024 * 1024 }) as AsyncIterable<Buffer>) {
      await out.write(chunk);
    }
    await out.commit();
  } catch (err) {
    await out.abort();
    throw err;
  }
  return target;
}

export interface ArchivedSegment {
  day: string;
  path: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const ARCHIVED = /^\d{6,}\.jsonl\.gz$/;

/** Every archived segment (`<archiveDir>/<day>/NNNNNN.jsonl.gz`), oldest day first. */
export async function listArchived(archiveDir: string): Promise<ArchivedSegment[]> {
  let days: string[];
  try {
    days = await readdir(archiveDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: ArchivedSegment[] = [];
  for (const day of days.filter((d) => DAY.test(d)).sort()) {
    for (const name of (await readdir(join(archiveDir, day))).filter((n) => ARCHIVED.test(n)).sort()) {
      out.push({ day, path: join(archiveDir, day, name) });
    }
  }
  return out;
}
