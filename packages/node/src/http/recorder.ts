/**
 * The framework-neutral core of the request middleware. `begin` runs first in a request: it
 * reads the ids (request, trace, visitor, session) into the correlation context the adapter
 * then runs the request in. `end` runs once the response is finished or the client went
 * away and writes one `request` event; `fail` turns an exception of the handler into an
 * `error` event of the same request. Ignore rules and sampling are compiled once, here.
 * The adapters (frameworks/*.ts) only translate their framework's request and response.
 */
import { EMIT_IN, type EmitIn, type Footprint, type OutgoingEvent } from '../client.js';
import { type CorrelationContext, runWithContext } from '../context.js';
import { isoTime } from '../events/clock.js';
import { errorProperties } from '../events/exception.js';
import { maskQuery, SECRET_QUERY_KEYS } from '../events/mask.js';
import { type HeaderGetter, plainIp, requestIdsOf, splitUrl, userAgentOf, visitorIdsOf } from './request-info.js';

export interface RequestLoggingOptions<Req> {
  /** Finds the signed-in user of a request (e.g. `(req) => req.user?.id`). Called when an event is written. */
  userId?: (req: Req) => unknown;
  /** Paths not recorded: exact strings, `prefix*` strings or regular expressions. */
  ignorePaths?: Array<string | RegExp>;
  /** Methods not recorded. Default `['OPTIONS']` (CORS preflights). */
  ignoreMethods?: string[];
  /** Share of requests recorded, 0 to 1. Failed requests (5xx or an exception) are always recorded. Default 1. */
  sampleRate?: number;
  /** Query parameters whose values are masked. Default: names like password, token, secret, key, auth, session, code. */
  secretQueryKeys?: RegExp;
  /** Header that carries the request id in and out. Default `x-request-id`. */
  requestIdHeader?: string;
}

export interface RequestState {
  readonly ctx: CorrelationContext;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly start: number;
  readonly startWall: number;
  readonly recorded: boolean;
  readonly parentSpanId: string | undefined;
  /** The request id was made here (so it is unique). */
  readonly generatedId: boolean;
  errorMessage: string | undefined;
  ended: boolean;
}

/** What the adapter knows once the response is done. */
export interface RequestFacts {
  status: number;
  route?: string;
  ip?: string;
  userAgent?: string;
  referrer?: string;
  requestBytes?: number;
  responseBytes?: number;
  /** The client went away before the response was complete. */
  aborted?: boolean;
  /** The response failed on the server's side (a body stream that errored). */
  errorMessage?: string;
}

/** nginx's "client closed request", for responses the client did not wait for. */
export const CLIENT_CLOSED = 499;

const sizeOf = (v: unknown): number | undefined => {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
};

export { sizeOf as contentLength };

function compileIgnore(paths: Array<string | RegExp>, methods: string[]): (method: string, path: string) => boolean {
  const m = new Set(methods.map((x) => x.toUpperCase()));
  const exact = new Set(paths.filter((p): p is string => typeof p === 'string' && !p.endsWith('*')));
  const prefixes = paths.filter((p): p is string => typeof p === 'string' && p.endsWith('*')).map((p) => p.slice(0, -1));
  // Without g/y flags: RegExp#test would otherwise carry lastIndex from one request to the next.
  const patterns = paths.filter((p): p is RegExp => p instanceof RegExp).map((r) => new RegExp(r.source, r.flags.replace(/[gy]/g, '')));
  if (m.size === 0 && exact.size === 0 && prefixes.length === 0 && patterns.length === 0) return () => false;
  return (method, path) =>
    m.has(method) || exact.has(path) || prefixes.some((p) => path.startsWith(p)) || patterns.some((r) => r.test(path));
}

export class RequestRecorder<Req> {
  readonly requestIdHeader: string;
  private readonly ignored: (method: string, path: string) => boolean;
  private readonly sampleRate: number;
  private readonly secretKeys: RegExp;
  private readonly resolveUser: ((req: Req) => unknown) | undefined;

  constructor(
    private readonly client: Footprint,
    options: RequestLoggingOptions<Req> = {},
  ) {
    this.requestIdHeader = (options.requestIdHeader ?? 'x-request-id').toLowerCase();
    this.ignored = compileIgnore(options.ignorePaths ?? [], options.ignoreMethods ?? ['OPTIONS']);
    const rate = options.sampleRate ?? 1;
    this.sampleRate = Number.isFinite(rate) ? Math.min(1, Math.max(0, rate)) : 1;
    // Without g/y flags: RegExp#test would carry lastIndex from one key to the next and miss secrets.
    const secret = options.secretQueryKeys;
    this.secretKeys = secret ? new RegExp(secret.source, secret.flags.replace(/[gy]/g, '')) : SECRET_QUERY_KEYS;
    this.resolveUser = options.userId;
  }

  /** @param ip the client's address, as far as the adapter can tell at the start (it may be gone once the client left). */
  begin(req: Req, method: string, url: string, get: HeaderGetter, ip?: string): RequestState {
    const { path, query } = splitUrl(url);
    const ids = requestIdsOf(get, this.requestIdHeader);
    const resolve = this.resolveUser;
    // One shape for every context (fields unset stay undefined), so the hot path stays monomorphic.
    const ctx: CorrelationContext = {
      requestId: ids.requestId,
      traceId: ids.traceId,
      spanId: ids.spanId,
      anonymousId: undefined,
      sessionId: undefined,
      userId: undefined,
      resolveUser: resolve ? () => resolve(req) : undefined,
      ip: plainIp(ip),
      userAgent: userAgentOf(get('user-agent')),
    };
    visitorIdsOf(get, ctx);
    const upper = method.toUpperCase();
    return {
      ctx,
      method: upper,
      path,
      query,
      start: performance.now(),
      startWall: Date.now(),
      recorded: !this.ignored(upper, path),
      parentSpanId: ids.parentSpanId,
      generatedId: ids.generated,
      errorMessage: undefined,
      ended: false,
    };
  }

  /** Writes the request's `request` event (once). */
  end(state: RequestState, facts: RequestFacts): void {
    if (state.ended) return;
    state.ended = true;
    if (!state.recorded) return;
    try {
      const errorMessage = state.errorMessage ?? (typeof facts.errorMessage === 'string' ? facts.errorMessage.slice(0, 1024) : undefined);
      const failed = facts.status >= 500 || errorMessage !== undefined;
      if (!failed && this.sampleRate < 1 && Math.random() >= this.sampleRate) return;
      const ctx = state.ctx;
      // Every field present (undefined ones are left out by JSON.stringify): one object shape.
      const properties = {
        method: state.method.length > 16 ? state.method.slice(0, 16) : state.method,
        path: state.path,
        route: facts.route || undefined,
        query: state.query === '' ? undefined : maskQuery(state.query, this.secretKeys),
        status: facts.status >= 100 && facts.status <= 599 ? Math.floor(facts.status) : 500,
        duration_ms: Math.round((performance.now() - state.start) * 1000) / 1000,
        request_bytes: sizeOf(facts.requestBytes),
        response_bytes: sizeOf(facts.responseBytes),
        ip: plainIp(facts.ip) ?? ctx.ip,
        user_agent: facts.userAgent || ctx.userAgent,
        referrer: facts.referrer || undefined,
        error_message: errorMessage,
        aborted: facts.aborted ? true : undefined,
        parent_span_id: state.parentSpanId,
      };
      const event = {
        type: 'request',
        // A request id made here is a fresh UUID: it serves as the event's id too.
        messageId: state.generatedId ? ctx.requestId : undefined,
        timestamp: isoTime(state.startWall),
        requestId: ctx.requestId,
        traceId: ctx.traceId,
        spanId: ctx.spanId,
        anonymousId: ctx.anonymousId,
        sessionId: ctx.sessionId,
        userId: undefined as string | number | undefined,
        properties,
      };
      this.send(event, ctx);
    } catch {
      // Never into the app: a foreign value in the facts cannot break the response.
    }
  }

  /** Records an exception of the handler as an `error` event of this request. */
  fail(state: RequestState | undefined, err: unknown, route?: string): void {
    try {
      const extra: Record<string, unknown> = { handled: false };
      if (state) {
        extra.method = state.method;
        extra.api_path = state.path;
        if (route) extra.route = route;
      }
      const props = errorProperties(err, extra);
      if (state) state.errorMessage = props.message;
      const event = { type: 'error', properties: props };
      if (state) this.send(event, state.ctx);
      else this.client.send(event);
    } catch {
      // As above.
    }
  }

  /** Sends with the request's correlation ids and user: directly with our client, inside the context otherwise. */
  private send(event: OutgoingEvent, ctx: CorrelationContext): void {
    const direct = (this.client as Partial<Record<typeof EMIT_IN, EmitIn>>)[EMIT_IN];
    if (direct) direct(event, ctx);
    else runWithContext(ctx, () => this.client.send(event));
  }
}
