/**
 * Torn-tail repair. A crash can leave the end of the last segment half-written: a line cut
 * short, or a run of zero bytes where the file system extended the file but the data never
 * landed. Nothing there was acknowledged (acks follow fsync), so the segment is cut back to
 * the end of its last complete, parseable line. Lines before it are never touched.
 */
import { open } from 'node:fs/promises';

export interface RepairResult {
  path: string;
  /** Bytes cut from the end; 0 when the segment was whole. */
  cutBytes: number;
  /** Size after the repair. */
  size: number;
}

/** Length of the longest prefix of `buf` made of complete lines that parse as JSON. */
export function validPrefixLength(buf: Buffer): number {
  let start = 0;
  while (start < buf.length) {
    const nl = buf.indexOf(10, start);
    if (nl === -1) break;
    try {
      const line = buf.toString('utf8', start, nl);
      if (line.length === 0 || line.charCodeAt(0) !== 123 /* { */) break;
      JSON.parse(line);
    } catch {
      break;
    }
    start = nl + 1;
  }
  return start;
}

/** Cuts a segment back to its valid prefix and fsyncs it. */
export async function repairSegment(path: string): Promise<RepairResult> {
  const fh = await open(path, 'r+');
  try {
    const buf = await fh.readFile();
    const keep = validPrefixLength(buf);
    if (keep < buf.length) {
      await fh.truncate(keep);
      await fh.sync();
    }
    return { path, cutBytes: buf.length - keep, size: keep };
  } finally {
    await fh.close();
  }
}
