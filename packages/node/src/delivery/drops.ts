/**
 * The SDK's one error handler. Every event dropped at a bound or refused by the collector
 * is counted under a stable code, and the application hears about it through `onError`,
 * at most once per code per report interval (the counts add up meanwhile), so a flood of
 * drops cannot become a flood of callbacks. Nothing here ever throws into the app.
 */

/** Why events were dropped, or what went wrong without a drop (`dropped` is then 0). */
export type SdkErrorCode =
  /** The in-memory queue was full (maxQueueEvents / maxQueueBytes). */
  | 'queue_full'
  /** The outbox reached its size bound (outbox.maxBytes). */
  | 'outbox_full'
  /** An event was larger than 32 KB. */
  | 'event_too_large'
  /** beforeSend threw; the event was dropped rather than sent unmasked. */
  | 'before_send_failed'
  /** The collector rejected events as invalid (listed in its `rejected` answer). */
  | 'rejected'
  /** The collector answered a 4xx that retrying cannot fix (e.g. 401 invalid write key). */
  | 'not_retryable'
  /** shutdown() ran out of time with events only in memory. */
  | 'shutdown_timeout'
  /** Writing to the outbox failed; the events of that write are dropped. */
  | 'outbox_write_failed'
  /** The outbox could not be opened; the SDK keeps events in memory only. */
  | 'outbox_unavailable'
  /** A send failed and will be retried (network error, 429, 5xx). */
  | 'delivery_retrying'
  /** An application hook (user id resolver, route resolver) threw. */
  | 'hook_failed'
  /** An option of createFootprint was not usable (an endpoint that is not an http(s) URL, an unknown log level). */
  | 'invalid_option';

export class FootprintSdkError extends Error {
  override name = 'FootprintSdkError';
  constructor(
    readonly code: SdkErrorCode,
    message: string,
    /** Events dropped since the last report of this code. */
    readonly dropped = 0,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const DEFAULT_HANDLER = (err: FootprintSdkError): void => {
  process.emitWarning(err.message, { type: 'FootprintWarning', code: `FOOTPRINT_${err.code.toUpperCase()}` });
};

interface Pending {
  dropped: number;
  message: string;
  cause: unknown;
}

export class DropReporter {
  /** Events dropped since start, per code. */
  readonly totals: Partial<Record<SdkErrorCode, number>> = {};
  private readonly lastReport = new Map<SdkErrorCode, number>();
  private readonly pending = new Map<SdkErrorCode, Pending>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly handler: (err: FootprintSdkError) => void = DEFAULT_HANDLER,
    private readonly intervalMs = 10_000,
  ) {}

  /**
   * Counts `dropped` events under `code` and reports, now or at the end of the interval.
   * Cheap when it only counts (no Error is made until a report goes out), since a full
   * queue calls it for every event.
   */
  report(code: SdkErrorCode, message: string, dropped = 0, cause?: unknown): void {
    if (dropped > 0) this.totals[code] = (this.totals[code] ?? 0) + dropped;
    const p = this.pending.get(code);
    if (p) {
      p.dropped += dropped;
      p.message = message;
      p.cause = cause;
      return;
    }
    const now = Date.now();
    const last = this.lastReport.get(code);
    if (last === undefined || now - last >= this.intervalMs) {
      this.lastReport.set(code, now);
      this.emit(new FootprintSdkError(code, message, dropped, { cause }));
      return;
    }
    this.pending.set(code, { dropped, message, cause });
    this.timer ??= setTimeout(() => this.flushPending(), this.intervalMs - (now - last)).unref();
  }

  /** Reports what is still waiting for its interval (called on shutdown). */
  flushPending(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const now = Date.now();
    for (const [code, p] of this.pending) {
      this.lastReport.set(code, now);
      this.emit(new FootprintSdkError(code, p.message, p.dropped, { cause: p.cause }));
    }
    this.pending.clear();
  }

  get droppedTotal(): number {
    let n = 0;
    for (const v of Object.values(this.totals)) n += v ?? 0;
    return n;
  }

  private emit(err: FootprintSdkError): void {
    try {
      this.handler(err);
    } catch {
      // The application's handler failed; there is no one left to tell.
    }
  }
}
