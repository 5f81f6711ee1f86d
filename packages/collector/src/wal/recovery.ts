/**
 * Torn-tail repair. A crash can leave the end of the last segment half-written: a line cut
 * short, or a run of zero bytes where the file system extended the file but the data never
 * landed. Nothing there was acknowledged (acks follow fsync), so the segment is cut back to
 * the end of its last complete line that parses. Lines before it are never touched, even
 * when one of them does not parse (damage inside the acknowledged part, not a torn tail):
 * such a line stays for the loader, which moves it to the quarantine file and loads the
 * lines after it.
 */
import { open } from 'node:fs/promises';

export interface RepairResult {
  path: string;
  /** Bytes cut from the end; 0 when the segment was whole. */
  cutBytes: number;
  /** Size after the repair. */
  size: number;
}

/** The end of the last complete line of `buf` that parses as a JSON object (0 when there is none). */
export function validPrefixLength(buf: Buffer): number {
  let start = 0;
  let end = 0;
  while (start < buf.length) {
    const nl = buf.indexOf(10, start);
    if (nl === -1) break;
    if (nl > start && buf[start] === 123 /* { */) {
      try {
        JSON.parse(buf.toString('utf8', start, nl));
        end = nl + 1;
      } catch {
        // Not a whole event: kept if a whole one follows, cut otherwise.
      }
    }
    start = nl + 1;
  }
  return end;
}

/** Cuts a segment back to the end of its last whole event and fsyncs it. */
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
