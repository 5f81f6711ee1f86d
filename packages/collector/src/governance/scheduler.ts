/**
 * Maintenance inside the running collector: retention runs (at start, then every
 * `retention.intervalMinutes`) and erasures go through one queue, one at a time, because
 * both delete or rewrite WAL files and database rows. Each retention run is logged and its
 * outcome shown in /healthz.
 */
import type { Logger } from 'pino';
import type { RetentionReport } from './retention.js';

/** Runs jobs one after the other, in the order they were queued. */
export class MaintenanceQueue {
  private tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const job = this.tail.then(() => fn());
    this.tail = job.then(
      () => undefined,
      () => undefined,
    );
    return job;
  }

  /** Resolves once every job queued so far has finished. */
  idle(): Promise<void> {
    return this.tail;
  }
}

/** What /healthz shows of the last retention run. */
export type RetentionRunStatus =
  | {
      ok: true;
      at: string;
      events_deleted: number;
      events: RetentionReport['events'];
      wal_segments_deleted: number;
      wal_segments_archived: number;
      wal_bytes_deleted: number;
      wal_segments_not_loaded: number;
      wal_folders_removed: string[];
      seconds: number;
    }
  | { ok: false; at: string; error: string };

export interface RetentionSchedulerOptions {
  intervalMs: number;
  run: () => Promise<RetentionReport>;
  log: Logger;
  now?: () => number;
}

export class RetentionScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private last: RetentionRunStatus | null = null;
  private nextAt: number | null = null;
  private runs = 0;
  private deletedTotal = 0;
  private readonly now: () => number;

  constructor(private readonly opts: RetentionSchedulerOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Runs retention now, then every interval. */
  start(): void {
    this.tick();
  }

  private tick(): void {
    if (this.stopped) return;
    this.nextAt = null;
    this.running = this.opts
      .run()
      .then(
        (report) => {
          this.runs++;
          this.deletedTotal += report.events_total;
          this.last = {
            ok: true,
            at: report.at,
            events_deleted: report.events_total,
            events: report.events,
            wal_segments_deleted: report.wal.segments.length,
            wal_segments_archived: report.wal.archived,
            wal_bytes_deleted: report.wal.bytes,
            wal_segments_not_loaded: report.wal.not_loaded,
            wal_folders_removed: report.wal.folders_removed,
            seconds: report.seconds,
          };
          this.opts.log.info(
            { retention: this.last },
            `retention run: ${report.events_total} expired events deleted, ${report.wal.segments.length} WAL segments removed`,
          );
        },
        (err: unknown) => {
          this.runs++;
          this.last = { ok: false, at: new Date(this.now()).toISOString(), error: (err as Error).message };
          this.opts.log.warn({ err }, 'retention run failed; it is tried again at the next interval');
        },
      )
      .finally(() => {
        this.running = undefined;
        this.schedule();
      });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.nextAt = this.now() + this.opts.intervalMs;
    this.timer = setTimeout(() => this.tick(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** Stops scheduling; waits for a run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.nextAt = null;
    await this.running;
  }

  status() {
    return {
      interval_minutes: this.opts.intervalMs / 60_000,
      runs: this.runs,
      events_deleted_total: this.deletedTotal,
      last_run: this.last,
      next_run_at: this.nextAt === null ? null : new Date(this.nextAt).toISOString(),
    };
  }
}
