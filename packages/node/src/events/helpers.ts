/**
 * Typed helpers for the operational events a back end writes besides logs: database calls,
 * cron runs, email sends, AI calls and realtime channel changes. Inputs use the property
 * names of the event model (`duration_ms`, `rows`, ...; see docs/events.md), plus an
 * optional `error` that fills `error_message` / `error_code`. Numbers are made valid (a
 * negative duration becomes 0, a fractional count is rounded down) rather than rejected.
 */
import { randomUUID } from 'node:crypto';
import type { AiEvent, DbEvent, EmailEvent, RealtimeEvent } from '@footprint/schema';
import { currentContext, runWithContext } from '../context.js';
import { maskEmail } from './mask.js';

type Extra = Record<string, unknown>;
type WithError<P> = Partial<P> & { error?: unknown } & Extra;

export type DbInput = WithError<DbEvent['properties']> & { operation: string; duration_ms: number };
export type EmailInput = WithError<EmailEvent['properties']> & { status: EmailEvent['properties']['status'] };
export type AiInput = WithError<AiEvent['properties']> & { provider: string; model: string };
export type RealtimeInput = WithError<RealtimeEvent['properties']> & { channel: string; status: string };

export interface CronRun {
  /** Id of this run (or of the request it runs in); every event written during it carries it as `requestId`. */
  readonly runId: string;
  /** Names the step in progress: a failure reports it as `failed_step`. */
  step(name: string): void;
  /** Sets the number of records processed. */
  records(n: number): void;
  /** Adds to the number of records processed. */
  addRecords(n: number): void;
}

export interface CronOptions {
  /** Also send a `started` event when a run begins. Default true. */
  recordStart?: boolean;
}

export type Emit = (event: { type: string; properties: Extra }) => void;
export type Capture = (err: unknown, context?: Extra) => void;
/** Where a helper reports what it could not record (the client's onError); it never throws into the app. */
export type Report = (what: string, err: unknown) => void;

/** Runs `record`; an exception (a foreign input: null, a throwing getter) is reported, not thrown. */
function safely(what: string, report: Report, record: () => void): void {
  try {
    record();
  } catch (err) {
    report(what, err);
  }
}

// At most 2^53 - 1: the collector refuses whole numbers past it (they could not be stored as sent).
const ms = (v: unknown): number =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.min(Math.round(v * 1000) / 1000, Number.MAX_SAFE_INTEGER) : 0;
const count = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.min(Math.floor(v), Number.MAX_SAFE_INTEGER) : undefined;
const elapsed = (start: number): number => ms(performance.now() - start);

/** Copies the input without `undefined` values and with `error` turned into `error_message` / `error_code`. */
function propsOf(given: Extra | null | undefined): Extra {
  const input: Extra = given !== null && typeof given === 'object' ? given : {};
  const out: Extra = {};
  for (const k in input) if (input[k] !== undefined && k !== 'error') out[k] = input[k];
  const err = input.error;
  if (err !== undefined && err !== null) {
    out.error_message ??= err instanceof Error ? err.message || err.name : String(err);
    const code = (err as { code?: unknown }).code;
    if (out.error_code === undefined && (typeof code === 'string' || typeof code === 'number')) out.error_code = code;
  }
  for (const k of ['duration_ms', 'cost_usd']) if (k in out) out[k] = ms(out[k]);
  for (const k of ['rows', 'records_processed', 'input_tokens', 'output_tokens', 'retries', 'reconnect_tries', 'batch_size']) {
    if (k in out) {
      const c = count(out[k]);
      if (c === undefined) delete out[k];
      else out[k] = c;
    }
  }
  return out;
}

export function dbHelper(emit: Emit, report: Report) {
  const db = (input: DbInput): void =>
    safely('db', report, () => {
      const p = propsOf(input);
      p.operation = String(p.operation ?? '').slice(0, 64) || 'unknown';
      p.duration_ms = ms(p.duration_ms);
      emit({ type: 'db', properties: p });
    });
  /**
   * Times `fn` and records it; `rowsOf` reads the row count from its result. Errors are recorded and rethrown.
   * @example const users = await fp.db.measure({ operation: 'SELECT', table: 'users' }, () => pool.query(sql), (r) => r.rowCount);
   */
  db.measure = async <T>(what: Omit<DbInput, 'duration_ms'>, fn: () => T | Promise<T>, rowsOf?: (result: T) => number): Promise<T> => {
    const start = performance.now();
    try {
      const result = await fn();
      let rows: number | undefined;
      try {
        rows = rowsOf?.(result);
      } catch {
        rows = undefined;
      }
      safely('db', report, () => db({ ...what, duration_ms: elapsed(start), rows } as DbInput));
      return result;
    } catch (error) {
      safely('db', report, () => db({ ...what, duration_ms: elapsed(start), error } as DbInput));
      throw error;
    }
  };
  return db;
}

export function cronHelper(emit: Emit, capture: Capture, report: Report) {
  /**
   * Wraps a job: each call is one run, recorded as `started`, then `success` (duration, records
   * processed) or `failure` (error, failed step). The job's own errors are rethrown.
   * @example schedule('*\/5 * * * *', fp.cron('aggregate-marketing-stats', async (run) => { run.step('load'); run.records(await aggregate()); }));
   */
  return function cron<A extends unknown[], R>(
    job: string,
    fn: (run: CronRun, ...args: A) => R | Promise<R>,
    options: CronOptions = {},
  ): (...args: A) => Promise<Awaited<R>> {
    return async (...args: A): Promise<Awaited<R>> => {
      // A run started inside a request (a cron endpoint) belongs to that request.
      const outer = currentContext();
      const name = typeof job === 'string' && job !== '' ? job.slice(0, 256) : 'unnamed';
      const runId = outer?.requestId ?? randomUUID();
      let step: string | undefined;
      let records: number | undefined;
      const run: CronRun = {
        runId,
        step: (name) => {
          // The event model wants text; a number or a label object is kept readable.
          step = typeof name === 'string' ? name : String(name);
        },
        records: (n) => {
          records = count(n);
        },
        addRecords: (n) => {
          records = (records ?? 0) + (count(n) ?? 0);
        },
      };
      return runWithContext({ ...outer, requestId: runId }, async (): Promise<Awaited<R>> => {
        if (options?.recordStart !== false)
          safely('cron', report, () => emit({ type: 'cron', properties: { job: name, status: 'started' } }));
        const start = performance.now();
        try {
          const result = await fn(run, ...args);
          safely('cron', report, () =>
            emit({
              type: 'cron',
              properties: propsOf({ job: name, status: 'success', duration_ms: elapsed(start), records_processed: records }),
            }),
          );
          return result;
        } catch (error) {
          safely('cron', report, () => {
            const failure = propsOf({
              job: name,
              status: 'failure',
              duration_ms: elapsed(start),
              records_processed: records,
              failed_step: step,
              error,
            });
            emit({ type: 'cron', properties: failure });
            capture(error, { handled: false, job: name, failed_step: step });
          });
          throw error;
        }
      });
    };
  };
}

export function emailHelper(emit: Emit, report: Report) {
  /** Records an email send; the recipient is masked (`u***@example.com`) before it is queued. */
  return (input: EmailInput): void =>
    safely('email', report, () => {
      const p = propsOf(input);
      if (typeof p.recipient === 'string') p.recipient = maskEmail(p.recipient);
      emit({ type: 'email', properties: p });
    });
}

export function aiHelper(emit: Emit, report: Report) {
  const ai = (input: AiInput): void =>
    safely('ai', report, () => {
      const p = propsOf(input);
      const err = input?.error;
      if (err instanceof Error && p.error_type === undefined) p.error_type = err.name;
      emit({ type: 'ai', properties: p });
    });
  /**
   * Times an AI call and records it; `usageOf` reads tokens and cost from the result. Errors are recorded and rethrown.
   * @example await fp.ai.measure({ provider: 'gemini', model: 'gemini-1.5-pro' }, () => model.generate(prompt), (r) => ({ input_tokens: r.usage.in, output_tokens: r.usage.out }));
   */
  ai.measure = async <T>(what: AiInput, fn: () => T | Promise<T>, usageOf?: (result: T) => Partial<AiInput>): Promise<T> => {
    const start = performance.now();
    try {
      const result = await fn();
      let usage: Partial<AiInput> = {};
      try {
        usage = usageOf?.(result) ?? {};
      } catch {
        usage = {};
      }
      safely('ai', report, () => ai({ ...what, ...usage, duration_ms: elapsed(start) }));
      return result;
    } catch (error) {
      safely('ai', report, () => ai({ ...what, duration_ms: elapsed(start), error }));
      throw error;
    }
  };
  return ai;
}

export function realtimeHelper(emit: Emit, report: Report) {
  return (input: RealtimeInput): void =>
    safely('realtime', report, () => {
      const p = propsOf(input);
      p.status = String(p.status ?? '').slice(0, 64) || 'unknown';
      emit({ type: 'realtime', properties: p });
    });
}
