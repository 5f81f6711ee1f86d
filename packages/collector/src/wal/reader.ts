/**
 * WalReader: finds the next run of complete lines after a position. The loader and the
 * replay command share it; a writer (when there is one) bounds the segment it is still
 * writing to its durable offset, so nothing unacknowledged is ever read.
 */
import { open } from 'node:fs/promises';
import { fileSize, listSegments, readWalId, type SegmentRef, type WalPosition } from './segments.js';

export interface WalChunk {
  segment: SegmentRef;
  from: number;
  /** Complete JSON lines. */
  bytes: Buffer;
  /** The position right after the chunk: the checkpoint once it is loaded. */
  to: WalPosition;
}

/** Where the readable end of a segment is: its durable offset if still being written. */
export type SegmentBound = (seq: number) => number | undefined;

export class WalReader {
  private segments: SegmentRef[] = [];

  constructor(
    private readonly dir: string,
    private readonly bound: SegmentBound = () => undefined,
  ) {}

  /** Re-reads the folder listing (after a rotation, or when the loader finds nothing). */
  async refresh(): Promise<SegmentRef[]> {
    this.segments = await listSegments(this.dir);
    return this.segments;
  }

  /** The WAL's identity, if it has one. */
  id(): Promise<string | undefined> {
    return readWalId(this.dir);
  }

  list(): readonly SegmentRef[] {
    return this.segments;
  }

  /**
   * The next chunk of at most `maxBytes` after `pos`, or undefined when there is nothing
   * new. Segments removed by retention are skipped.
   */
  async next(pos: WalPosition, maxBytes: number): Promise<WalChunk | undefined> {
    for (const seg of this.segments) {
      if (seg.seq < pos.seq) continue;
      const from = seg.seq === pos.seq ? pos.offset : 0;
      const end = this.bound(seg.seq) ?? (await fileSize(seg.path));
      if (end <= from) continue;
      const bytes = await readLines(seg.path, from, Math.min(end - from, maxBytes));
      if (bytes.length === 0) {
        if (end - from > maxBytes) throw new Error(`${seg.path}: a line at offset ${from} is longer than ${maxBytes} bytes`);
        continue;
      }
      return { segment: seg, from, bytes, to: { seq: seg.seq, offset: from + bytes.length } };
    }
    return undefined;
  }

  /** Bytes between `pos` and the end of the WAL (for lag reporting and progress bars). */
  async bytesAfter(pos: WalPosition): Promise<number> {
    let total = 0;
    for (const seg of this.segments) {
      if (seg.seq < pos.seq) continue;
      const end = this.bound(seg.seq) ?? (await fileSize(seg.path));
      total += Math.max(0, end - (seg.seq === pos.seq ? pos.offset : 0));
    }
    return total;
  }
}

/** Reads up to `length` bytes at `from`, cut back to the last complete line. */
async function readLines(path: string, from: number, length: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(length);
    const { bytesRead } = await fh.read(buf, 0, length, from);
    // Only the bytes read: lastIndexOf(10, -1) would search the whole (uninitialised) buffer.
    const lastNl = bytesRead > 0 ? buf.lastIndexOf(10, bytesRead - 1) : -1;
    return lastNl === -1 ? Buffer.alloc(0) : buf.subarray(0, lastNl + 1);
  } finally {
    await fh.close();
  }
}
