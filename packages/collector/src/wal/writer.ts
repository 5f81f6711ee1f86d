/**
 * WalSegmentWriter: appends JSON lines to the current segment with group commit.
 *
 * Invariants
 * - `append()` resolves only after its bytes are written *and* fdatasync'd: the HTTP layer
 *   acks on that promise, so an acked event survives kill -9 and power loss.
 * - Group commit: while one write+fsync is in flight, later appends queue up and share the
 *   next one. Under load one fsync covers many requests; an idle writer adds no delay.
 * - Appends are written in call order; the published durable position only moves forward
 *   and always falls on a line boundary.
 * - A segment is fsync'd before the next one is created, so only the newest segment can
 *   ever have a torn tail (repaired at open, see recovery.ts).
 * - On a failed write the segment is cut back to the last durable offset and the waiting
 *   appends are rejected (their clients get a 503 and retry).
 */
import { EventEmitter } from 'node:events';
import { type FileHandle, open, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { repairSegment } from './recovery.js';
import { ensureDir, ensureWalId, fileSize, listSegments, segmentPath, syncDir, utcDay, type WalPosition } from './segments.js';

export interface WalWriterOptions {
  /** The WAL folder (`<data>/wal`). */
  dir: string;
  /** Rotate once a segment reaches this many bytes. */
  maxSegmentBytes: number;
  /** Rotate once a segment is this old (ms), at the next append. */
  maxSegmentAgeMs: number;
  /** Clock, for tests of rotation. */
  now?: () => number;
}

export const WAL_DEFAULTS = { maxSegmentBytes: 64 * 1024 * 1024, maxSegmentAgeMs: 60 * 60 * 1000 } as const;

interface Pending {
  /** Encoded when appended, so a flush only gathers buffers (writev) and copies nothing. */
  data: Buffer;
  resolve: () => void;
  reject: (err: Error) => void;
}

export interface WalWriterEvents {
  durable: [WalPosition];
  rotated: [{ closed: number; opened: number }];
  /** A rotation due by size, age or day could not open the next segment; writing went on into the current one. */
  'rotation-failed': [unknown];
  /** A group could not be written or fsync'd (its appends were rejected), after the last one was. */
  'write-failed': [Error];
  /** A group was written again after 'write-failed'. */
  'write-recovered': [];
}

export class WalSegmentWriter extends EventEmitter<WalWriterEvents> {
  private fh: FileHandle | undefined;
  private seq = 0;
  private day = '';
  private offset = 0;
  private openedAt = 0;
  /** A failed write could not be cut back: the next group starts a new segment. */
  private torn = false;
  /** The WAL's identity (segments.ts: readWalId). */
  id = '';
  private pending: Pending[] = [];
  private rotations: Array<{ resolve: (seq: number) => void; reject: (err: Error) => void }> = [];
  private flushing = false;
  private closed = false;
  private readonly now: () => number;
  /** Counters for /healthz. */
  readonly stats = { appends: 0, fsyncs: 0, bytes: 0, failures: 0, repairedBytes: 0 };
  /** The last group failed and none was written since: appends are being refused. */
  failing: { since: number; error: string } | undefined;

  private constructor(private readonly opts: WalWriterOptions) {
    super();
    this.now = opts.now ?? Date.now;
  }

  /** Opens the WAL: repairs the newest segment's tail, then continues it or starts a new one. */
  static async open(opts: WalWriterOptions): Promise<WalSegmentWriter> {
    const w = new WalSegmentWriter(opts);
    await ensureDir(opts.dir, dirname(opts.dir));
    w.id = await ensureWalId(opts.dir);
    const segments = await listSegments(opts.dir);
    const last = segments.at(-1);
    if (last) {
      const repair = await repairSegment(last.path);
      w.stats.repairedBytes = repair.cutBytes;
      w.seq = last.seq;
      w.day = last.day;
      if (last.day === utcDay(w.now()) && repair.size < opts.maxSegmentBytes) {
        await w.openSegment(last.day, last.seq);
        return w;
      }
    }
    await w.openSegment(utcDay(w.now()), w.seq + 1);
    return w;
  }

  /** The end of what is on disk and fsync'd. */
  durable(): WalPosition {
    return { seq: this.seq, offset: this.offset };
  }

  /** Sequence number of the segment being written. */
  currentSeq(): number {
    return this.seq;
  }

  /** Bytes queued and not yet on disk. */
  queuedBytes(): number {
    let n = 0;
    for (const p of this.pending) n += p.data.length;
    return n;
  }

  /**
   * Appends complete JSON lines (each ending in "\n"); resolves once they are fsync'd.
   * @example await wal.append(`${JSON.stringify(row)}\n`);
   */
  append(lines: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the WAL is closed'));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ data: Buffer.from(lines), resolve, reject });
      this.kick();
    });
  }

  /**
   * Closes the segment being written (fsync'd) and starts the next one, between two group
   * commits; resolves with the sequence of the segment now being written. Every segment
   * before it is complete and will never grow again (erasure relies on this before it
   * rewrites segments). A segment still empty is kept as the current one.
   */
  rotate(): Promise<number> {
    if (this.closed) return Promise.reject(new Error('the WAL is closed'));
    return new Promise<number>((resolve, reject) => {
      this.rotations.push({ resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = true;
    // Let the other requests of this event-loop turn join the same fsync.
    setImmediate(() => void this.flushLoop());
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0 || this.rotations.length > 0) {
      if (this.rotations.length > 0) {
        const waiting = this.rotations;
        this.rotations = [];
        try {
          if (this.offset > 0) await this.startNext(utcDay(this.now()));
          for (const r of waiting) r.resolve(this.seq);
        } catch (err) {
          this.stats.failures++;
          for (const r of waiting) r.reject(err instanceof Error ? err : new Error(String(err)));
        }
        continue;
      }
      const group = this.pending;
      this.pending = [];
      const bufs = group.map((p) => p.data);
      let size = 0;
      for (const b of bufs) size += b.length;
      try {
        await this.rotateIfDue(size);
        await this.writeDurably(bufs, size);
        this.stats.appends += group.length;
        for (const p of group) p.resolve();
        this.emit('durable', this.durable());
        if (this.failing) {
          this.failing = undefined;
          this.emit('write-recovered');
        }
      } catch (err) {
        this.stats.failures++;
        const error = err instanceof Error ? err : new Error(String(err));
        for (const p of group) p.reject(error);
        if (!this.failing) {
          this.failing = { since: this.now(), error: error.message };
          this.emit('write-failed', error);
        }
      }
    }
    this.flushing = false;
  }

  private async writeDurably(bufs: Buffer[], size: number): Promise<void> {
    const fh = this.fh as FileHandle;
    try {
      const { bytesWritten } = await fh.writev(bufs);
      if (bytesWritten !== size) throw new Error(`short write: ${bytesWritten} of ${size} bytes`);
      await fh.datasync();
    } catch (err) {
      // Cut whatever part landed, so the segment still ends on an acked line boundary. If
      // even that fails, the next group goes to a new segment, so no acked line follows the
      // torn bytes; the loader takes whole lines only (the failed group's whole lines were not
      // acked, and their resend is stored once).
      await fh.truncate(this.offset).catch(() => {
        this.torn = true;
      });
      throw err;
    }
    this.offset += size;
    this.stats.fsyncs++;
    this.stats.bytes += size;
  }

  private async rotateIfDue(incoming: number): Promise<void> {
    const now = this.now();
    const day = utcDay(now);
    const full = this.offset > 0 && this.offset + incoming > this.opts.maxSegmentBytes;
    const old = this.offset > 0 && now - this.openedAt >= this.opts.maxSegmentAgeMs;
    if (day === this.day && !full && !old && !this.torn) return;
    if (this.torn) {
      await this.startNext(day);
      return;
    }
    // A segment that cannot be opened (no file handles left, a full disk) leaves this one
    // growing past its size, age or day; the next group tries again. Events are not refused
    // for a rotation.
    await this.startNext(day).catch((err: unknown) => {
      this.stats.failures++;
      this.emit('rotation-failed', err);
    });
  }

  /**
   * fsyncs the current segment, opens the next one in `day`'s folder, then lets the current
   * one go: if opening fails, nothing changed. After a write that could not be cut back (torn),
   * the old segment's fsync may fail too: its acknowledged lines were synced when they were
   * acknowledged.
   */
  private async startNext(day: string): Promise<void> {
    const closed = this.seq;
    const old = this.fh;
    await old?.sync().catch((err: unknown) => {
      if (!this.torn) throw err;
    });
    await this.openSegment(day, this.seq + 1);
    this.torn = false;
    await old?.close().catch(() => undefined);
    this.emit('rotated', { closed, opened: this.seq });
  }

  /** Opens (creating it durably) the segment `seq` of `day`, and makes it the current one once all of that succeeded. */
  private async openSegment(day: string, seq: number): Promise<void> {
    const dayDir = dirname(segmentPath(this.opts.dir, day, seq));
    await ensureDir(dayDir, this.opts.dir);
    const path = segmentPath(this.opts.dir, day, seq);
    const size = await fileSize(path);
    const fh = await open(path, 'a');
    try {
      if (size === 0) await syncDir(dayDir);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
    this.fh = fh;
    this.seq = seq;
    this.day = day;
    this.offset = size;
    this.openedAt = this.now();
  }

  /**
   * While appends are failing and none arrive to try again (a load balancer that stopped
   * sending on the 503), checks whether the WAL folder takes a write and an fsync again:
   * a scratch file of 4 KB, removed at once. On success the failure is over (the next group
   * starts a new segment if the last one could not be cut back).
   */
  async probe(): Promise<boolean> {
    if (!this.failing || this.flushing || this.closed) return !this.failing;
    const path = join(this.opts.dir, '.probe');
    try {
      const fh = await open(path, 'w');
      try {
        await fh.write(Buffer.alloc(4096, 0x20));
        await fh.datasync();
      } finally {
        await fh.close();
        await unlink(path).catch(() => undefined);
      }
    } catch {
      return false;
    }
    if (this.failing && !this.flushing) {
      this.failing = undefined;
      this.torn = true;
      this.emit('write-recovered');
    }
    return true;
  }

  /** Waits for queued appends to be durable, then closes the segment. */
  async close(): Promise<void> {
    while (this.flushing || this.pending.length > 0 || this.rotations.length > 0) await new Promise((r) => setImmediate(r));
    this.closed = true;
    await this.fh?.sync();
    await this.fh?.close();
    this.fh = undefined;
  }
}
