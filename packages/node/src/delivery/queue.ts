import { LineBlocks, type TakenLines } from './line-blocks.js';

/**
 * The queue seam between the client and the sender: serialized events go in at one end and
 * leave in batches at the other, and only an `ack` (the collector said 2xx, or the batch can
 * never be delivered) removes them. Two implementations: `MemoryQueue` (serverless, tests)
 * and `DiskOutbox` (long-running servers; survives crashes and restarts). Both run the
 * contract in test/queue-contract.test.ts.
 *
 * Invariants: FIFO; `next` returns the oldest unacknowledged events and never removes them;
 * one consumer at a time, which acks the batch it was given before asking for the next.
 */

export interface QueuedBatch {
  /** Number of events. */
  count: number;
  /** The events' JSON texts joined by commas, oldest first: the inside of a JSON array. */
  payload: Buffer;
  /** UTF-8 bytes of the events' JSON texts (without separators). */
  bytes: number;
  /** Where the batch ends, for `ack` (opaque to callers). */
  end: unknown;
}

export interface QueueStats {
  events: number;
  bytes: number;
}

export interface EventQueue {
  readonly kind: 'memory' | 'outbox';
  /** Adds serialized events (newline-terminated lines); resolves with how many were kept (the rest hit the size bound). */
  append(lines: TakenLines): Promise<number>;
  /** The oldest unacknowledged events: at most `maxEvents`, at most `maxBytes` of text (but at least one). */
  next(maxEvents: number, maxBytes: number): Promise<QueuedBatch | undefined>;
  /** Removes a batch returned by `next`, for good. */
  ack(batch: QueuedBatch): Promise<void>;
  pending(): QueueStats;
  close(): Promise<void>;
}

/** Events in memory, bounded by count and bytes, packed in buffers (line-blocks.ts). */
export class MemoryQueue implements EventQueue {
  readonly kind = 'memory' as const;
  private readonly lines: LineBlocks;

  constructor(maxEvents: number, maxBytes: number) {
    this.lines = new LineBlocks(maxEvents, maxBytes);
  }

  /** Synchronous append for the hot path; returns false when the bound is reached. */
  push(line: string): boolean {
    return this.lines.push(line) !== false;
  }

  async append(taken: TakenLines): Promise<number> {
    return this.pushAll(taken);
  }

  /** Appends newline-terminated lines (e.g. what a stage held); returns how many were kept. */
  pushAll(taken: TakenLines): number {
    let kept = 0;
    for (const buf of taken.buffers) {
      for (let from = 0, nl = buf.indexOf(0x0a); nl !== -1; from = nl + 1, nl = buf.indexOf(0x0a, from)) {
        if (this.push(buf.toString('utf8', from, nl))) kept++;
      }
    }
    return kept;
  }

  async next(maxEvents: number, maxBytes: number): Promise<QueuedBatch | undefined> {
    const r = this.lines.read(maxEvents, maxBytes);
    return r && { count: r.count, payload: r.payload, bytes: r.jsonBytes, end: r.consumed };
  }

  async ack(batch: QueuedBatch): Promise<void> {
    this.lines.consume(batch.count, batch.end as number);
  }

  pending(): QueueStats {
    return { events: this.lines.events, bytes: this.lines.bytes };
  }

  async close(): Promise<void> {}
}
