/**
 * The delivery pipeline of one client:
 *
 *   enqueue(json) ─► memory stage (bounded) ─► queue: DiskOutbox | MemoryQueue ─► Sender ─► POST /v1/batch
 *        sync, O(1)      one group write per loop turn, off the request path      batches, gzip, retries
 *
 * `enqueue` is the only call on the application's path: it pushes a string into an array
 * and schedules the rest. Every event is counted once as accepted and once as settled
 * (stored, refused or dropped), which is what `flush` waits on. Bounds: `maxQueueEvents` /
 * `maxQueueBytes` in memory, `outbox.maxBytes` on disk; beyond them events are dropped and
 * counted.
 */
import { AsyncResource } from 'node:async_hooks';
import { LIMITS } from '@footprint/schema/limits';
import type { ResolvedOptions } from '../options.js';
import type { DropReporter } from './drops.js';
import { LineBlocks } from './line-blocks.js';
import { ADOPT_INTERVAL_MS, DiskOutbox } from './outbox.js';
import { type EventQueue, MemoryQueue } from './queue.js';
import { Sender } from './sender.js';
import { HttpTransport } from './transport.js';

/** Longest an event waits in memory before its group is written to the outbox. */
const OUTBOX_GROUP_MS = 5;

export interface FlushResult {
  /** Every event queued before the call was stored by the collector, or refused for good. */
  ok: boolean;
  /** Events not delivered yet (in memory or in the outbox). */
  pending: number;
}

export interface PipelineStats {
  /** `outbox` once the disk outbox is open; `memory` without one (or when it could not open). */
  mode: 'opening' | 'outbox' | 'memory' | 'disabled';
  outboxDir: string | undefined;
  /** Events in memory, not yet written to the outbox. */
  staged: number;
  /** Events not delivered yet. */
  pending: number;
  /** Events the collector stored. */
  delivered: number;
  /** Events dropped, per reason. */
  dropped: DropReporter['totals'];
}

interface Waiter {
  target: number;
  resolve: () => void;
}

export class Pipeline {
  private readonly stage: LineBlocks;
  private queue: EventQueue | undefined;
  private memory: MemoryQueue | undefined;
  private sender: Sender | undefined;
  private readonly transport: HttpTransport;
  private readonly opening: Promise<void>;
  private pumpScheduled = false;
  /** Events taken from the stage whose write to the outbox has not finished. */
  private writingEvents = 0;
  private pumping: Promise<void> | undefined;
  private accepted = 0;
  private settledCount = 0;
  private delivered = 0;
  private waiters: Waiter[] = [];
  private closed = false;
  /** Background work runs outside any request's async context, so it never holds one alive. */
  private readonly pumpSoon = AsyncResource.bind(() => {
    this.pumpScheduled = false;
    // A running pump takes everything staged before it ends; what comes after, the next one.
    if (this.pumping) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      if (this.stage.events > 0) this.schedulePump();
    });
  });

  constructor(
    private readonly o: ResolvedOptions,
    private readonly drops: DropReporter,
  ) {
    this.stage = new LineBlocks(o.maxQueueEvents, o.maxQueueBytes);
    this.transport = new HttpTransport({
      endpoint: o.endpoint,
      writeKey: o.writeKey,
      gzip: o.gzip,
      gzipLevel: o.gzipLevel,
      timeoutMs: o.timeoutMs,
      context: o.context,
    });
    this.opening = this.open();
  }

  private async open(): Promise<void> {
    if (this.o.outbox) {
      try {
        const outbox = await DiskOutbox.open(this.o.outbox);
        this.accepted += outbox.recovered;
        this.start(outbox);
        this.schedulePump();
        if (this.closed) return;
        this.adoptTimer = setInterval(() => {
          outbox.adoptAbandoned().then(
            (n) => {
              if (n === 0) return;
              this.accepted += n;
              this.sender?.added(outbox.pending().events);
            },
            () => {},
          );
        }, this.o.outbox.adoptIntervalMs ?? ADOPT_INTERVAL_MS).unref();
        return;
      } catch (err) {
        this.drops.report(
          'outbox_unavailable',
          `the outbox cannot be used (${(err as Error).message}); events are kept in memory only`,
          0,
          err,
        );
      }
    }
    this.memory = new MemoryQueue(this.o.maxQueueEvents, this.o.maxQueueBytes);
    // Events staged while the outbox was being tried move to memory, within its bound.
    const staged = this.stage.take();
    const kept = this.memory.pushAll(staged);
    if (kept < staged.events) this.dropAccepted('queue_full', staged.events - kept);
    this.start(this.memory);
  }

  private start(queue: EventQueue): void {
    this.queue = queue;
    if (this.closed) {
      // shutdown() ran out of time while the outbox was still opening: release it again.
      void queue.close();
      return;
    }
    this.sender = new Sender(queue, this.transport, { ...this.senderConfig() }, this.drops, (events, delivered) => {
      this.delivered += delivered;
      this.settle(events);
    });
  }

  private senderConfig() {
    const o = this.o;
    return {
      flushAt: o.flushAt,
      maxBatchEvents: LIMITS.maxBatchEvents,
      flushIntervalMs: o.flushIntervalMs,
      maxBatchBytes: o.maxBatchBytes,
      minDelayMs: o.retryMinDelayMs,
      maxDelayMs: o.retryMaxDelayMs,
      retryAfterMaxMs: o.retryAfterMaxMs,
    };
  }

  /** Queues one serialized event. Synchronous and O(1); drops (and counts) beyond the memory bound. */
  enqueue(line: string): void {
    if (this.closed) {
      this.drops.report('shutdown_timeout', 'an event was sent after shutdown(); it is dropped', 1);
      return;
    }
    if (this.memory) {
      if (!this.memory.push(line)) {
        this.drops.report(
          'queue_full',
          `the in-memory queue is full (${this.o.maxQueueEvents} events or ${this.o.maxQueueBytes} bytes)`,
          1,
        );
        return;
      }
      this.accepted++;
      this.sender?.added(this.memory.pending().events);
      return;
    }
    if (this.stage.push(line) === false) {
      this.drops.report('queue_full', `events arrive faster than the outbox takes them (${this.stage.events} waiting in memory)`, 1);
      return;
    }
    this.accepted++;
    this.schedulePump();
  }

  /**
   * Events reach the disk in groups, one write per OUTBOX_GROUP_MS at most: a busy server
   * makes a few hundred writes a second, not one per request, and an event waits in memory
   * for a few milliseconds at most.
   */
  private schedulePump(): void {
    if (this.pumpScheduled || !this.queue || this.stage.events === 0) return;
    this.pumpScheduled = true;
    setTimeout(this.pumpSoon, OUTBOX_GROUP_MS);
  }

  /** Moves what is staged to the outbox in one group write; what arrives meanwhile waits for the next group. */
  private async pump(): Promise<void> {
    const queue = this.queue;
    if (!queue || this.stage.events === 0) return;
    const taken = this.stage.take();
    let kept = 0;
    this.writingEvents = taken.events;
    try {
      kept = await queue.append(taken);
    } catch (err) {
      this.writingEvents = 0;
      this.dropAccepted('outbox_write_failed', taken.events, `writing to the outbox failed: ${(err as Error).message}`, err);
      return;
    }
    this.writingEvents = 0;
    if (kept < taken.events) this.dropAccepted('outbox_full', taken.events - kept, `the outbox is full (${this.o.outbox?.maxBytes} bytes)`);
    this.sender?.added(queue.pending().events);
  }

  private dropAccepted(code: 'queue_full' | 'outbox_full' | 'outbox_write_failed', n: number, message?: string, cause?: unknown): void {
    this.drops.report(code, message ?? `${n} events were dropped (${code})`, n, cause);
    this.settle(n);
  }

  private settle(n: number): void {
    this.settledCount += n;
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (this.settledCount >= w.target) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  /**
   * Sends everything queued before the call. Resolves (never rejects) when it is stored, or
   * after `timeoutMs`; events still pending then stay queued (and on disk, with an outbox).
   */
  async flush(timeoutMs: number): Promise<FlushResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    try {
      await Promise.race([this.opening, timeout]);
      const target = this.accepted;
      if (this.settledCount < target) {
        let waiter: Waiter | undefined;
        const reached = new Promise<void>((resolve) => {
          waiter = { target, resolve };
          this.waiters.push(waiter);
        });
        this.schedulePump();
        if (this.sender) this.sender.urgent++;
        this.sender?.wake();
        await Promise.race([reached, timeout]);
        if (this.sender) this.sender.urgent--;
        // A flush that timed out stops waiting: flushes during a long outage must not pile up.
        this.waiters = this.waiters.filter((w) => w !== waiter);
      }
      return { ok: this.settledCount >= target, pending: this.pendingCount() };
    } finally {
      clearTimeout(timer);
    }
  }

  private shutdownOnce: Promise<FlushResult> | undefined;
  /** Looks for abandoned sibling outbox folders (set once the outbox is open). */
  private adoptTimer: NodeJS.Timeout | undefined;

  /** Flushes, then stops sending and closes the outbox. Later events are dropped. A second call gets the first one's result. */
  shutdown(timeoutMs: number): Promise<FlushResult> {
    this.shutdownOnce ??= this.shutdownNow(timeoutMs);
    return this.shutdownOnce;
  }

  private async shutdownNow(timeoutMs: number): Promise<FlushResult> {
    const result = await this.flush(timeoutMs);
    this.closed = true;
    // After the flush, which waited for the outbox to open (and so for the timer to exist).
    clearInterval(this.adoptTimer);
    this.sender?.stop();
    await Promise.race([this.sender?.done, new Promise((r) => setTimeout(r, 1000).unref())]);
    await this.pumping;
    if (this.stage.events > 0 && this.queue?.kind === 'outbox') await this.pump();
    if (this.queue?.kind === 'memory' && result.pending > 0) {
      this.drops.report('shutdown_timeout', `shutdown() ended with ${result.pending} events undelivered; they are dropped`, result.pending);
      // Counted as dropped now: no longer pending, and not reported again when the process exits.
      this.discarded = true;
      this.lostReported = true;
    }
    await this.queue?.close();
    this.transport.close();
    this.drops.flushPending();
    return result;
  }

  private lostReported = false;

  /**
   * The process is ending with events undelivered: with memory only they are lost, and
   * reported at once, and only once (nothing is lost with an open outbox).
   */
  reportLostAtExit(): void {
    const pending = this.pendingCount();
    if (pending === 0 || this.queue?.kind === 'outbox' || this.lostReported) return;
    this.lostReported = true;
    this.drops.report(
      'shutdown_timeout',
      `the process is ending with ${pending} events undelivered (the collector did not take them in time); without an outbox they are lost`,
      pending,
    );
    this.drops.flushPending();
  }

  /** Crash path: writes staged events to the outbox synchronously (the process is exiting). */
  persistSync(): void {
    if (this.queue instanceof DiskOutbox && this.stage.events > 0) {
      try {
        this.queue.appendSync(this.stage.take());
      } catch {
        // Disk trouble while dying: nothing more can be done.
      }
    }
  }

  /** A memory-only shutdown gave up the events it could not deliver. */
  private discarded = false;

  private pendingCount(): number {
    if (this.discarded) return 0;
    return this.stage.events + this.writingEvents + (this.queue?.pending().events ?? 0);
  }

  stats(): PipelineStats {
    return {
      mode: this.queue ? this.queue.kind : 'opening',
      outboxDir: this.queue instanceof DiskOutbox ? this.queue.dir : undefined,
      staged: this.stage.events + this.writingEvents,
      pending: this.pendingCount(),
      delivered: this.delivered,
      dropped: { ...this.drops.totals },
    };
  }
}
