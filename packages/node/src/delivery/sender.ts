/**
 * The sender: one loop that takes the oldest batch from the queue, POSTs it and acknowledges
 * it, one batch in flight at a time (so the outbox cursor only moves forward). Sending
 * starts when `flushAt` events wait, when the oldest has waited `flushIntervalMs`, or when a
 * flush is asked for; a batch then takes whatever waits, up to `maxBatchEvents` and
 * `maxBatchBytes`, so a backlog drains in few requests. Retries wait with backoff and never give up on a retryable failure:
 * the bound is the queue's size, not time.
 */
import type { DropReporter } from './drops.js';
import type { EventQueue, QueuedBatch } from './queue.js';
import { type BackoffConfig, backoffMs, retryAfterMs, verdictOf } from './retry.js';
import type { HttpTransport, SendResult } from './transport.js';

/** Good batches after which a batch size cut by a 413 doubles again. */
const GROW_AFTER = 50;

export interface SenderConfig extends BackoffConfig {
  flushAt: number;
  /** Most events in one request (the collector takes 2500). */
  maxBatchEvents: number;
  flushIntervalMs: number;
  maxBatchBytes: number;
}

/** What the collector's answer says about the batch's events. */
function rejectedOf(body: string): { count: number; first?: string } {
  try {
    const v = JSON.parse(body) as { rejected?: Array<{ message?: string }>; error?: { message?: string } };
    const list = Array.isArray(v.rejected) ? v.rejected : [];
    return { count: list.length, first: list[0]?.message ?? v.error?.message };
  } catch {
    return { count: 0 };
  }
}

function describe(r: SendResult): string {
  if (r.error) return r.error.message;
  const { first } = rejectedOf(r.body);
  return `HTTP ${r.status}${first ? `: ${first}` : ''}`;
}

export class Sender {
  /** > 0 while someone waits for a flush: send whatever is pending, however little. */
  urgent = 0;
  private stopped = false;
  private due = false;
  private timer: NodeJS.Timeout | undefined;
  private wakeUp: (() => void) | undefined;
  private sleeping: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private batchEvents: number;
  /** Batches delivered since the last 413 or the last growth. */
  private goodSinceSplit = 0;
  readonly done: Promise<void>;

  constructor(
    private readonly queue: EventQueue,
    private readonly transport: HttpTransport,
    private readonly config: SenderConfig,
    private readonly drops: DropReporter,
    /** Called once per batch that left the queue: how many events, and how many were stored. */
    private readonly settled: (events: number, delivered: number) => void,
  ) {
    this.batchEvents = config.maxBatchEvents;
    this.done = this.loop();
  }

  /**
   * Events were queued; `pending` is how many wait now. Wakes the loop only when there is
   * something to do (flushAt reached), else makes sure the interval timer runs: resuming the
   * loop for every event would cost a promise per event, and promises are costly once
   * AsyncLocalStorage is in use.
   */
  added(pending: number): void {
    if (!this.wakeUp) return;
    // A flush waiting (urgent) sends at once, not at the next interval.
    if (pending >= this.config.flushAt || this.urgent > 0) this.wake();
    else this.armTimer();
  }

  /** Something changed (flush asked, stop, timer): look at the queue again. */
  wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  /** Ends the loop after the batch in flight; interrupts a retry wait. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.sleeping) {
      clearTimeout(this.sleeping.timer);
      this.sleeping.resolve();
    }
    this.wake();
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = resolve;
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeping = undefined;
        resolve();
      }, ms).unref();
      this.sleeping = { timer, resolve };
    });
  }

  private armTimer(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.due = true;
      this.wake();
    }, this.config.flushIntervalMs).unref();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        const waiting = this.queue.pending().events;
        if (waiting === 0) {
          await this.idle();
          continue;
        }
        if (waiting < this.config.flushAt && !this.due && this.urgent === 0) {
          this.armTimer();
          await this.idle();
          continue;
        }
        const batch = await this.queue.next(this.batchEvents, this.config.maxBatchBytes);
        if (!batch) {
          await this.idle();
          continue;
        }
        await this.deliver(batch);
        if (this.queue.pending().events < this.config.flushAt) this.due = false;
      } catch (err) {
        // The queue failed (disk trouble): say so, wait, try again. The loop never dies.
        this.drops.report('outbox_write_failed', `the outbox could not be read: ${(err as Error).message}`, 0, err);
        await this.sleep(this.config.maxDelayMs);
      }
    }
  }

  private async deliver(batch: QueuedBatch): Promise<void> {
    const n = batch.count;
    for (let attempt = 1; !this.stopped; attempt++) {
      const r = await this.transport.send(batch.payload);
      const verdict = r.error ? 'retry' : verdictOf(r.status);
      if (verdict === 'delivered') {
        const { count, first } = rejectedOf(r.body);
        if (count > 0) this.drops.report('rejected', `the collector rejected ${count} of ${n} events: ${first ?? ''}`, count);
        // After a 413 made batches smaller, grow them back while they pass, staying under the
        // size that was refused; that size is forgotten after GROW_AFTER good batches.
        if (this.batchEvents < this.config.maxBatchEvents && ++this.goodSinceSplit >= GROW_AFTER) {
          this.goodSinceSplit = 0;
          this.batchEvents = Math.min(this.config.maxBatchEvents, this.batchEvents * 2);
        }
        return this.settle(batch, n - count);
      }
      if (verdict === 'split' && n > 1) {
        // 413: something on the way takes less than our batch; halve it and try again.
        this.batchEvents = Math.max(1, Math.floor(n / 2));
        this.goodSinceSplit = 0;
        return;
      }
      if (verdict === 'drop' || verdict === 'split') {
        const rejected = rejectedOf(r.body).count;
        const code = r.status === 400 && rejected > 0 ? 'rejected' : 'not_retryable';
        this.drops.report(code, `the collector refused ${n} events (${describe(r)}); they are dropped`, n);
        return this.settle(batch, 0);
      }
      const wait = backoffMs(attempt, retryAfterMs(r.retryAfter), this.config);
      this.drops.report('delivery_retrying', `sending ${n} events failed (${describe(r)}); retrying in ${Math.round(wait)} ms`, 0, r.error);
      await this.sleep(wait);
    }
  }

  private async settle(batch: QueuedBatch, delivered: number): Promise<void> {
    try {
      await this.queue.ack(batch);
    } catch (err) {
      this.drops.report('outbox_write_failed', `the delivered position could not be saved: ${(err as Error).message}`, 0, err);
    }
    this.settled(batch.count, delivered);
  }
}
