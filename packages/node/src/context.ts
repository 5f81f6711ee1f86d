/**
 * The correlation context of the work in progress (an HTTP request, a cron run), carried by
 * AsyncLocalStorage across every await, so each event written during it (logs, errors, db
 * calls, business events) carries the same request id, trace, user, session and visitor
 * without the application passing anything along.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface CorrelationContext {
  /** Id of the request or run: from `X-Request-Id`, from `traceparent`, or generated. */
  requestId: string;
  traceId?: string;
  spanId?: string;
  anonymousId?: string;
  sessionId?: string;
  /** Set with `setUser`, or found by the middleware's `userId` resolver when an event is written. */
  userId?: string | number;
  /** The middleware's resolver, bound to this request. */
  resolveUser?: () => unknown;
  /**
   * The client's address and user agent, for the events written during the request: they
   * describe the user who caused them, not the server that sends them.
   */
  ip?: string;
  userAgent?: string;
}

/**
 * One storage per process, even when bundlers load this module twice (e.g. Next.js bundling
 * `@footprint/node/next` while keeping `@footprint/node` external): the middleware's copy and
 * the client's copy must see the same context.
 */
const KEY = Symbol.for('footprint.correlation-context');
const storage: AsyncLocalStorage<CorrelationContext> = ((globalThis as Record<symbol, unknown>)[KEY] ??=
  new AsyncLocalStorage<CorrelationContext>()) as AsyncLocalStorage<CorrelationContext>;

/** Runs `fn` with `ctx` as the current correlation context. */
export function runWithContext<T>(ctx: CorrelationContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The current correlation context, if any. */
export function currentContext(): CorrelationContext | undefined {
  return storage.getStore();
}

/** A user id as the wire wants it: a non-empty string of at most 256 characters, or a finite number. */
export function asId(v: unknown): string | number | undefined {
  if (typeof v === 'string') return v.length > 0 && v.length <= 256 ? v : undefined;
  // A whole number past 2^53 (a BIGINT id read as a number) goes as text: the collector refuses such numbers.
  if (typeof v === 'number') return Number.isFinite(v) ? (Number.isInteger(v) && !Number.isSafeInteger(v) ? String(v) : v) : undefined;
  if (typeof v === 'bigint') return String(v);
  return undefined;
}

/** The user of a context: the explicit one, else what the resolver finds (a throwing resolver finds nothing). */
export function userOf(ctx: CorrelationContext, onError: (err: unknown) => void): string | number | undefined {
  if (ctx.userId !== undefined) return ctx.userId;
  if (!ctx.resolveUser) return undefined;
  try {
    return asId(ctx.resolveUser());
  } catch (err) {
    onError(err);
    return undefined;
  }
}
