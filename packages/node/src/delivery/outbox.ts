/**
 * DiskOutbox: the durable queue of a long-running server. Events survive a collector outage
 * (up to `maxBytes` on disk), a crash and a restart, and are sent again only if their
 * acknowledgement was not yet saved.
 *
 * Layout of the folder (one per process: a second process takes `<dir>.1`, then `.2`, ...;
 * a process that opens one also takes in what abandoned siblings still hold):
 *
 *   lock            the owner (pid, host, token), refreshed while held; an abandoned lock is
 *                   taken over on start (outbox-files.ts says when a lock is abandoned)
 *   cursor.json     {"seq":N,"offset":M}: every byte before offset M of segment N is delivered
 *   00000001.jsonl  segments: one event's JSON text per line, append-only, oldest first
 *
 * Invariants:
 * 1. Lines are appended whole, a group per write; a torn tail is cut at open. A write
 *    survives a crash of the process at once (it is in the kernel's page cache); fdatasync,
 *    for a crash of the machine, follows within FSYNC_INTERVAL_MS, and always before a
 *    segment is closed.
 * 2. The cursor moves forward only after the collector acknowledged (or permanently refused)
 *    every event before it, and is saved by write-temp-then-rename: at once when nothing is
 *    left to send, else at most every second. After a crash it points at or before the first
 *    unacknowledged event: events acknowledged before the last save are not resent, and the
 *    few acknowledged since are resent with their messageIds, which the collector stores once.
 * 3. Each start writes to a new segment; segments wholly before the cursor are deleted.
 */
import { fdatasyncSync, writeSync } from 'node:fs';
import { type FileHandle, open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { claimFolder, type FolderClaim } from '@footprint/folder-lock';
import type { TakenLines } from './line-blocks.js';
import { countLines, cutTornTail, type Position, readPosition, SEGMENT_RE, segmentName, syncDir, writePosition } from './outbox-files.js';
import type { EventQueue, QueuedBatch, QueueStats } from './queue.js';

/** The longest run of whole lines of `taken` within `maxBytes`. */
function linesWithin(taken: TakenLines, maxBytes: number): TakenLines {
  const buffers: Buffer[] = [];
  let events = 0;
  let bytes = 0;
  for (const buf of taken.buffers) {
    let end = 0;
    for (let nl = buf.indexOf(0x0a); nl !== -1 && bytes + nl + 1 <= maxBytes; nl = buf.indexOf(0x0a, nl + 1)) {
      end = nl + 1;
      events++;
    }
    if (end > 0) buffers.push(buf.subarray(0, end));
    bytes += end;
    if (end < buf.length) break;
  }
  return { buffers, events, bytes };
}

export interface OutboxConfig {
  dir: string;
  maxBytes: number;
  segmentBytes: number;
  fsync: boolean;
  /** How often folders abandoned since the start are looked for (default ADOPT_INTERVAL_MS). */
  adoptIntervalMs?: number;
}

/**
 * A folder left by a process of another pid namespace (a container restarted under the same
 * host name) counts as abandoned only once its lock is LOCK_STALE_MS old, after this process
 * started: the siblings are looked at again at this interval, not only at the start.
 */
export const ADOPT_INTERVAL_MS = 60_000;

interface Segment {
  seq: number;
  size: number;
}

interface BatchEnd extends Position {
  events: number;
  diskBytes: number;
}

/** How many sibling folders a process may try when the first is held by a live process. */
const SLOTS = 16;
/** The folder of a slot: `<dir>`, then `<dir>.1`, `<dir>.2`, ... */
const slotDir = (dir: string, slot: number): string => (slot === 0 ? dir : `${dir}.${slot}`);

/** The segment numbers in a folder, oldest first. */
async function segmentSeqs(dir: string): Promise<number[]> {
  return (await readdir(dir))
    .map((name) => SEGMENT_RE.exec(name)?.[1])
    .filter((x): x is string => x !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** Newline-terminated lines in a buffer. */
function lineCount(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) n++;
  return n;
}
/** Longest a written group waits for its fdatasync (one sync covers every group written before it). */
const FSYNC_INTERVAL_MS = 1_000;
/** While events keep coming, the delivered position is saved at most this often. */
const CURSOR_SAVE_MS = 1_000;

export class DiskOutbox implements EventQueue {
  readonly kind = 'outbox' as const;
  private reader: { seq: number; fh: FileHandle } | undefined;
  private writing: Promise<unknown> = Promise.resolve();
  private syncTimer: NodeJS.Timeout | undefined;
  /** Saves the delivered position once acknowledgements stop coming for a while. */
  private cursorTimer: NodeJS.Timeout | undefined;
  /** Cursor saves run one after another (they share cursor.json.tmp). */
  private cursorSaving: Promise<void> = Promise.resolve();
  private readBuf: Buffer | undefined;
  /** When the delivered position was last saved (it is saved at most every CURSOR_SAVE_MS while busy). */
  private cursorSavedAt = 0;
  private closed = false;
  /** A failed write left bytes past the segment's size that could not be cut: the next group starts a new segment. */
  private torn = false;

  /** The folder this process claimed. */
  readonly dir: string;

  private constructor(
    private readonly claim: FolderClaim,
    private readonly config: OutboxConfig,
    private segments: Segment[],
    private cursor: Position,
    private writer: FileHandle,
    private pendingEvents: number,
    private pendingBytes: number,
    /** Events found undelivered at open (left by an earlier process, in this folder or an abandoned sibling). */
    public recovered: number,
  ) {
    this.dir = claim.dir;
  }

  /** Claims a folder, repairs what a crash left, and opens a new segment for writing. */
  static async open(config: OutboxConfig): Promise<DiskOutbox> {
    let claim: FolderClaim | undefined;
    for (let slot = 0; slot < SLOTS && !claim; slot++) claim = await claimFolder(slotDir(config.dir, slot));
    if (!claim) throw new Error(`every outbox folder ${config.dir}[.1-${SLOTS - 1}] is held by a running process`);
    let outbox: DiskOutbox;
    try {
      outbox = await DiskOutbox.recover(claim, config);
    } catch (err) {
      await claim.release();
      throw err;
    }
    await outbox.adoptSiblings(config);
    return outbox;
  }

  /** A look at the siblings in progress (close() waits for it). */
  private adopting: Promise<void> | undefined;

  /** Takes in what sibling folders abandoned since the last look hold; answers how many events. */
  async adoptAbandoned(): Promise<number> {
    if (this.adopting || this.closed) return 0;
    const before = this.recovered;
    this.adopting = this.adoptSiblings(this.config).finally(() => {
      this.adopting = undefined;
    });
    await this.adopting;
    return this.recovered - before;
  }

  /**
   * Takes in the events left in sibling folders nobody holds any more (a cluster that
   * shrank from four workers to two leaves `<dir>.2` and `<dir>.3` behind): their lines are
   * appended here, then their files removed. A crash in between sends them twice, with the
   * same messageIds, which the collector stores once. Best effort: a folder that cannot be
   * read, or that would not fit under maxBytes, stays for later.
   */
  private async adoptSiblings(config: OutboxConfig): Promise<void> {
    for (let slot = 0; slot < SLOTS && !this.closed; slot++) {
      const dir = slotDir(config.dir, slot);
      if (dir === this.dir || (await segmentSeqs(dir).catch(() => [])).length === 0) continue;
      const claim = await claimFolder(dir).catch(() => undefined);
      if (!claim) continue;
      try {
        this.recovered += await this.adoptFrom(dir);
      } catch {
        // Left as it is: the next start tries again.
      } finally {
        await claim.release();
      }
    }
  }

  /**
   * Appends the undelivered lines of the folder `dir` (claimed) here, a segment at a time,
   * removing each once it is appended; stops at the first that would not fit. Answers how
   * many events it took in.
   */
  private async adoptFrom(dir: string): Promise<number> {
    const pos = await readPosition(dir);
    const seqs = await segmentSeqs(dir);
    let adopted = 0;
    for (const seq of seqs) {
      const path = join(dir, segmentName(seq));
      if (pos && seq < pos.seq) {
        await unlink(path).catch(() => {});
        continue;
      }
      const size = await cutTornTail(path);
      const from = pos && seq === pos.seq ? Math.min(pos.offset, size) : 0;
      if (size > from) {
        if (this.pendingBytes + (size - from) > this.config.maxBytes) return adopted;
        const fh = await open(path, 'r');
        let part: Buffer;
        try {
          const buf = Buffer.allocUnsafe(size - from);
          part = buf.subarray(0, (await fh.read(buf, 0, buf.length, from)).bytesRead);
        } finally {
          await fh.close();
        }
        const events = lineCount(part);
        if (events > 0) {
          const taken = await this.append({ buffers: [part], events, bytes: part.length });
          adopted += taken;
          // The sibling's copy stays unless every line is here (a bound reached meanwhile, or
          // a close); a later look takes it again, and ids make a second copy harmless.
          if (taken < events || this.closed) return adopted;
          // On disk here for good before the sibling's copy goes (with fsync on).
          if (this.config.fsync) await this.sync();
        }
      }
      await unlink(path).catch(() => {});
    }
    await unlink(join(dir, 'cursor.json')).catch(() => {});
    return adopted;
  }

  private static async recover(claim: FolderClaim, config: OutboxConfig): Promise<DiskOutbox> {
    const dir = claim.dir;
    const seqs = await segmentSeqs(dir);
    let cursor = (await readPosition(dir)) ?? { seq: seqs[0] ?? 1, offset: 0 };
    const segments: Segment[] = [];
    for (const seq of seqs) {
      const path = join(dir, segmentName(seq));
      if (seq < cursor.seq) await unlink(path);
      // Any segment may end in a torn line: the last one (a crash mid-write), an earlier one
      // (a failed write whose bytes could not be cut).
      else segments.push({ seq, size: await cutTornTail(path) });
    }
    const first = segments[0];
    if (!first) cursor = { seq: Math.max(cursor.seq, 1), offset: 0 };
    else if (first.seq !== cursor.seq) cursor = { seq: first.seq, offset: 0 };
    else cursor = { seq: cursor.seq, offset: Math.min(cursor.offset, first.size) };

    let events = 0;
    let bytes = 0;
    for (const s of segments) {
      const from = s.seq === cursor.seq ? cursor.offset : 0;
      events += await countLines(join(dir, segmentName(s.seq)), from);
      bytes += s.size - from;
    }
    const writeSeq = (segments[segments.length - 1]?.seq ?? cursor.seq - 1) + 1;
    const writer = await open(join(dir, segmentName(writeSeq)), 'a');
    if (config.fsync) await syncDir(dir);
    segments.push({ seq: writeSeq, size: 0 });
    const outbox = new DiskOutbox(claim, config, segments, cursor, writer, events, bytes, events);
    await outbox.settleCursor();
    return outbox;
  }

  append(lines: TakenLines): Promise<number> {
    const run = this.writing.then(() => this.appendNow(lines));
    this.writing = run.catch(() => {});
    return run;
  }

  private async appendNow(taken: TakenLines): Promise<number> {
    if (this.closed || taken.events === 0) return 0;
    const data =
      this.pendingBytes + taken.bytes <= this.config.maxBytes ? taken : linesWithin(taken, this.config.maxBytes - this.pendingBytes);
    if (data.events === 0) return 0;
    let seg = this.segments[this.segments.length - 1] as Segment;
    if (this.torn) seg = await this.rotate();
    else if (seg.size > 0 && seg.size + data.bytes > this.config.segmentBytes) {
      // A segment that cannot be opened (no file handles left) leaves this one growing a
      // little past segmentBytes; the next group tries again.
      seg = await this.rotate().catch(() => seg);
    }
    try {
      const written = (await this.writer.writev(data.buffers)).bytesWritten;
      if (written < data.bytes) {
        // A short writev (rare for files): write the rest from where it stopped.
        const rest = Buffer.concat(data.buffers).subarray(written);
        for (let off = 0; off < rest.length; ) off += (await this.writer.write(rest, off)).bytesWritten;
      }
    } catch (err) {
      // Part of the group may have landed (a full disk): cut it, so the segment still ends
      // on a whole line where its size says. If even that fails, the next group goes to a
      // new segment, and the torn bytes, past the size this one is read to, are never sent.
      await this.writer.truncate(seg.size).catch(() => {
        this.torn = true;
      });
      throw err;
    }
    if (this.config.fsync) this.syncSoon();
    seg.size += data.bytes;
    this.pendingBytes += data.bytes;
    this.pendingEvents += data.events;
    return data.events;
  }

  /** fdatasync of what was written so far, after the writes in progress. */
  private sync(): Promise<void> {
    const run = this.writing.then(() => (this.closed ? undefined : this.writer.datasync()));
    this.writing = run.catch(() => {});
    return run;
  }

  /** One fdatasync for all the groups written in the last FSYNC_INTERVAL_MS. */
  private syncSoon(): void {
    if (this.syncTimer) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      const sync = this.writing.then(() => (this.closed ? undefined : this.writer.datasync()));
      this.writing = sync.catch(() => {});
    }, FSYNC_INTERVAL_MS);
    // The bytes are in the page cache already: this timer must not keep the process alive.
    this.syncTimer.unref();
  }

  /**
   * Moves writing to a new segment. The new file is opened before the old one is let go: if
   * opening fails (no file handles left, a full disk), writing goes on where it was.
   */
  private async rotate(): Promise<Segment> {
    if (this.config.fsync) await this.writer.datasync();
    const seg = { seq: (this.segments[this.segments.length - 1] as Segment).seq + 1, size: 0 };
    const next = await open(join(this.dir, segmentName(seg.seq)), 'a');
    if (this.config.fsync) await syncDir(this.dir).catch(() => {});
    const old = this.writer;
    this.writer = next;
    this.segments.push(seg);
    this.torn = false;
    await old.close().catch(() => {});
    return seg;
  }

  async next(maxEvents: number, maxBytes: number): Promise<QueuedBatch | undefined> {
    if (this.closed) return undefined;
    let pos = this.cursor;
    let seg = this.segmentOf(pos.seq);
    const last = this.segments[this.segments.length - 1] as Segment;
    while (seg && pos.offset >= seg.size && seg !== last) {
      seg = this.segments[this.segments.indexOf(seg) + 1] as Segment;
      pos = { seq: seg.seq, offset: 0 };
    }
    if (!seg || pos.offset >= seg.size) return undefined;
    const fh = await this.readerFor(seg.seq);
    // One read covers a full batch; a line longer than that (never written: events are at most 32 KB) is read whole.
    let want = Math.min(seg.size - pos.offset, maxBytes + maxEvents);
    let buf = this.readBuffer(want);
    let got = (await fh.read(buf, 0, want, pos.offset)).bytesRead;
    if (buf.subarray(0, got).indexOf(0x0a) === -1 && got < seg.size - pos.offset) {
      want = seg.size - pos.offset;
      buf = this.readBuffer(want);
      got = (await fh.read(buf, 0, want, pos.offset)).bytesRead;
    }
    // Take whole lines up to the limits, then turn the newlines between them into commas:
    // the bytes on disk become the request body's array without being split into strings.
    let count = 0;
    let used = 0;
    let jsonBytes = 0;
    let lastNl = -1;
    while (count < maxEvents) {
      const nl = buf.indexOf(0x0a, used);
      if (nl === -1 || nl >= got) break;
      const len = nl - used;
      if (count > 0 && jsonBytes + len > maxBytes) break;
      if (lastNl !== -1) buf[lastNl] = 0x2c;
      lastNl = nl;
      jsonBytes += len;
      used = nl + 1;
      count++;
    }
    if (count === 0) return undefined;
    const end: BatchEnd = { seq: seg.seq, offset: pos.offset + used, events: count, diskBytes: used };
    return { count, payload: buf.subarray(0, used - 1), bytes: jsonBytes, end };
  }

  async ack(batch: QueuedBatch): Promise<void> {
    // An answer that arrives after close (shutdown ran out of time): the folder is released;
    // those events are sent again by the next owner and stored once.
    if (this.closed) return;
    const end = batch.end as BatchEnd;
    this.pendingEvents -= end.events;
    this.pendingBytes -= end.diskBytes;
    this.cursor = { seq: end.seq, offset: end.offset };
    // Saved at once when everything is delivered, else at most every CURSOR_SAVE_MS: a crash
    // in between resends at most that much, which the collector stores once (messageIds).
    if (this.pendingEvents === 0 || Date.now() - this.cursorSavedAt >= CURSOR_SAVE_MS) {
      await this.saveCursor();
    } else if (!this.cursorTimer) {
      // Acknowledgements may stop here (an outage): save this position within CURSOR_SAVE_MS anyway.
      this.cursorTimer = setTimeout(() => {
        this.cursorTimer = undefined;
        if (!this.closed) void this.saveCursor().catch(() => {});
      }, CURSOR_SAVE_MS);
      this.cursorTimer.unref();
    }
  }

  /** Saves the cursor after any save in progress. */
  private saveCursor(): Promise<void> {
    if (this.cursorTimer) {
      clearTimeout(this.cursorTimer);
      this.cursorTimer = undefined;
    }
    const run = this.cursorSaving.then(() => this.settleCursor());
    this.cursorSaving = run.catch(() => {});
    return run;
  }

  /** Moves the cursor past fully delivered segments, deletes them, and saves the cursor. */
  private async settleCursor(): Promise<void> {
    this.cursorSavedAt = Date.now();
    const last = this.segments[this.segments.length - 1] as Segment;
    let seg = this.segmentOf(this.cursor.seq);
    while (seg && seg !== last && this.cursor.offset >= seg.size) {
      const nextSeg = this.segments[this.segments.indexOf(seg) + 1] as Segment;
      this.cursor = { seq: nextSeg.seq, offset: 0 };
      seg = nextSeg;
    }
    const gone = this.segments.filter((s) => s.seq < this.cursor.seq);
    this.segments = this.segments.filter((s) => s.seq >= this.cursor.seq);
    await writePosition(this.dir, this.cursor, this.config.fsync);
    for (const s of gone) {
      const reader = this.reader;
      if (reader?.seq === s.seq) {
        // Let go before awaiting: a read may open the next segment's reader meanwhile.
        this.reader = undefined;
        await reader.fh.close().catch(() => {});
      }
      await unlink(join(this.dir, segmentName(s.seq))).catch(() => {});
    }
  }

  /**
   * One read buffer, reused: a batch's payload points into it, and the next batch is read
   * only after that one was acknowledged (one sender, one batch in flight).
   */
  private readBuffer(size: number): Buffer {
    if (!this.readBuf || this.readBuf.length < size) this.readBuf = Buffer.allocUnsafe(Math.max(size, 64 * 1024));
    return this.readBuf;
  }

  private segmentOf(seq: number): Segment | undefined {
    return this.segments.find((s) => s.seq === seq);
  }

  private async readerFor(seq: number): Promise<FileHandle> {
    if (this.reader?.seq === seq) return this.reader.fh;
    const old = this.reader;
    this.reader = undefined;
    await old?.fh.close().catch(() => {});
    const fh = await open(join(this.dir, segmentName(seq)), 'r');
    this.reader = { seq, fh };
    return fh;
  }

  pending(): QueueStats {
    return { events: this.pendingEvents, bytes: this.pendingBytes };
  }

  /**
   * Crash path (uncaught exception): appends synchronously so the events are on disk before
   * the process exits. Only for a process that is about to die; never on a request path.
   */
  appendSync(taken: TakenLines): void {
    if (this.closed || taken.events === 0) return;
    const buf = Buffer.concat(taken.buffers);
    for (let off = 0; off < buf.length; ) off += writeSync(this.writer.fd, buf, off);
    fdatasyncSync(this.writer.fd);
    // With O_APPEND the bytes land at the end whatever async write is in flight, and sizes
    // only add up, so the sender may still deliver them in the moments left.
    (this.segments[this.segments.length - 1] as Segment).size += buf.length;
    this.pendingBytes += buf.length;
    this.pendingEvents += taken.events;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.adopting?.catch(() => {});
    await this.writing;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    if (this.config.fsync) await this.writer.datasync().catch(() => {});
    this.closed = true;
    await this.writer.close().catch(() => {});
    await this.reader?.fh.close().catch(() => {});
    await this.saveCursor().catch(() => {});
    if (this.pendingEvents === 0) {
      // Everything was delivered: leave an empty folder, with the cursor where the next segment starts.
      const last = this.segments[this.segments.length - 1] as Segment;
      await writePosition(this.dir, { seq: last.seq + 1, offset: 0 }, this.config.fsync).catch(() => {});
      for (const s of this.segments) await unlink(join(this.dir, segmentName(s.seq))).catch(() => {});
    }
    await this.claim.release();
  }
}
