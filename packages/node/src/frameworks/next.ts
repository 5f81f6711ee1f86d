/**
 * Next.js App Router: `withFootprint` wraps a route handler (`app/.../route.ts`), and
 * `footprintMiddleware` wraps `middleware.ts` (or Next 16's `proxy.ts`). Both use only the
 * web-standard Request and Response, so they work with NextRequest/NextResponse and need no
 * import of `next` at run time. They need the Node.js runtime (the default for route
 * handlers; `export const config = { runtime: 'nodejs' }` for middleware on Next 15.5+).
 *
 * The middleware passes the request id on to the route (as the `x-request-id` request
 * header, through Next's request-header override), so the route handler's events and the
 * middleware's carry the same id.
 *
 * @example
 * // app/api/users/[id]/route.ts
 * export const GET = withFootprint(fp, async (req, { params }) => Response.json(await getUser((await params).id)));
 * // middleware.ts
 * export const middleware = footprintMiddleware(fp, (req) => (isAllowed(req) ? undefined : new Response('no', { status: 401 })));
 */
import type { Footprint } from '../client.js';
import { type CorrelationContext, runWithContext } from '../context.js';
import {
  CLIENT_CLOSED,
  contentLength,
  type RequestFacts,
  type RequestLoggingOptions,
  RequestRecorder,
  type RequestState,
} from '../http/recorder.js';
import { clientIpOf } from '../http/request-info.js';

export interface NextOptions extends RequestLoggingOptions<Request> {
  /** The route's pattern, e.g. `/api/users/[id]`. Default: the path with the values of `params` replaced by their names. */
  route?: string;
  /**
   * Keeps the function alive after the response to deliver its events: pass `after` from
   * `next/server`, or `waitUntil` from `@vercel/functions`, on serverless hosting.
   */
  waitUntil?: (promise: Promise<unknown>) => void;
  /**
   * Take the client address from `X-Real-IP` / `X-Forwarded-For`, which a route handler only
   * sees (it has no socket). Default true: Next is run behind a proxy or a platform that sets
   * them. Set false when `next start` faces clients directly (anyone could send those headers);
   * request events then have no address.
   */
  trustProxy?: boolean;
}

export interface NextMiddlewareOptions extends NextOptions {
  /**
   * Also record requests the middleware lets through (`NextResponse.next()`, rewrites). Their
   * status is then the middleware's (200), not the page's. Default false: the route handler's
   * wrapper records them.
   */
  recordPassThrough?: boolean;
}

type Handler<C> = (req: Request, ctx: C) => Response | Promise<Response>;
export type Middleware = (req: Request, event: unknown) => Response | null | undefined | undefined | Promise<Response | null | undefined>;

/**
 * Next's own control flow (`redirect()`, `notFound()`) throws errors whose digest starts with
 * NEXT_; they are not failures. A server action's redirect Next answers with 303 (so the
 * browser does not post again).
 */
function controlFlowStatus(err: unknown, req: Request): number | undefined {
  const digest = (err as { digest?: unknown } | null)?.digest;
  if (typeof digest !== 'string' || !digest.startsWith('NEXT_')) return undefined;
  const parts = digest.split(';');
  // NEXT_REDIRECT;<type>;<url>;<status>; — the url may hold ';' itself: the status is the last field.
  if (parts[0] === 'NEXT_REDIRECT') return req.headers.has('next-action') ? 303 : Number(parts.at(-2)) || 307;
  if (parts[0] === 'NEXT_HTTP_ERROR_FALLBACK') return Number(parts[1]) || 404;
  if (parts[0] === 'NEXT_NOT_FOUND') return 404;
  return 200;
}

/**
 * The response Next gives a route handler that called `redirect()` or `notFound()` (and
 * `forbidden()`, `unauthorized()`): the same one (Next's app-route module builds it so, and
 * adds cookies the handler set to whatever the handler returns), made here so that it carries
 * the request id. Undefined for anything else, which goes back to Next: other control flow,
 * and a server action's redirect (Next answers those with 303).
 */
function controlFlowResponse(err: unknown, req: Request): Response | undefined {
  const digest = (err as { digest?: unknown } | null)?.digest;
  if (typeof digest !== 'string' || req.headers.has('next-action')) return undefined;
  const parts = digest.split(';');
  if (parts[0] === 'NEXT_REDIRECT') {
    const url = parts.slice(2, -2).join(';');
    const status = Number(parts.at(-2));
    if (url === '' || !(status >= 300 && status <= 399)) return undefined;
    return new Response(null, { status, headers: { location: url } });
  }
  if (parts[0] === 'NEXT_HTTP_ERROR_FALLBACK') {
    const status = Number(parts[1]);
    return status >= 400 && status <= 499 ? new Response(null, { status }) : undefined;
  }
  if (digest === 'NEXT_NOT_FOUND') return new Response(null, { status: 404 });
  return undefined;
}

/** `/api/users/42` with params `{ id: '42' }` → `/api/users/[id]`; catch-all arrays → `[...slug]`. */
export async function routeFromParams(path: string, ctx: unknown): Promise<string | undefined> {
  const raw = (ctx as { params?: unknown } | null | undefined)?.params;
  const params = raw && typeof (raw as PromiseLike<unknown>).then === 'function' ? await (raw as Promise<unknown>) : raw;
  // A static route handler: Next 16 passes `{ params: undefined }`, so the route is the path.
  if (params === undefined && ctx !== null && typeof ctx === 'object' && 'params' in ctx) return path;
  if (!params || typeof params !== 'object') return undefined;
  const segments = path.split('/').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  const out = path.split('/');
  // Dynamic segments come after the static ones they share a value with (`/api/orders/orders`
  // is `/api/orders/[id]`), and params list them in path order: match from the right, each
  // param at or before where the next one was found.
  let before = segments.length;
  for (const [key, value] of Object.entries(params as Record<string, unknown>).reverse()) {
    if (typeof value === 'string') {
      const i = segments.lastIndexOf(value, before - 1);
      if (i > 0) {
        out[i] = `[${key}]`;
        segments[i] = '\u0000';
        before = i;
      }
    } else if (Array.isArray(value) && value.length > 0) {
      let i = -1;
      for (let at = before - value.length; at > 0 && i === -1; at--) if (value.every((v, k) => segments[at + k] === v)) i = at;
      if (i > 0) {
        out.splice(i, value.length, `[...${key}]`);
        segments.splice(i, value.length, '\u0000');
        before = i;
      }
    }
  }
  return out.join('/');
}

/**
 * The response as sent: the request id header added, and the body counted as it streams, so
 * the `request` event (written when the body ends, or when the client goes away) has the
 * real size and duration. The body is read in the request's correlation context, so events
 * written while it is produced (a streamed generator) belong to the request. A response
 * without a body, or to a HEAD request (whose body Next never reads), is recorded at once.
 */
function sendCounted(
  req: Request,
  response: Response,
  header: string,
  ctx: CorrelationContext,
  /** `aborted` is true when the client went away, an Error when the body failed. */
  finish: (bytes: number, aborted: boolean | Error) => void,
): Response {
  const headers = new Headers(response.headers);
  headers.set(header, ctx.requestId);
  const body = response.body;
  if (!body || req.method === 'HEAD') {
    finish(body ? (contentLength(response.headers.get('content-length') ?? undefined) ?? 0) : 0, false);
    return new Response(body, { status: response.status, statusText: response.statusText, headers });
  }
  const reader = body.getReader();
  let bytes = 0;
  const counted = new ReadableStream<Uint8Array>({
    pull: (ctl) =>
      runWithContext(ctx, async () => {
        try {
          const { done, value } = await reader.read();
          if (done) {
            ctl.close();
            finish(bytes, false);
            return;
          }
          bytes += value.byteLength;
          ctl.enqueue(value);
        } catch (err) {
          // The app's body failed: the server's failure, not the client's.
          finish(bytes, err instanceof Error ? err : new Error(String(err)));
          ctl.error(err);
        }
      }),
    cancel(reason) {
      finish(bytes, true);
      return reader.cancel(reason);
    },
  });
  return new Response(counted, { status: response.status, statusText: response.statusText, headers });
}

/** The facts once the body ended: sent whole, cut by the client (499), or failed on the server (500). */
function endFacts(facts: RequestFacts, bytes: number, aborted: boolean | Error): RequestFacts {
  if (aborted === false) return { ...facts, responseBytes: bytes };
  if (aborted === true) return { ...facts, status: CLIENT_CLOSED, aborted: true, responseBytes: bytes };
  return { ...facts, status: 500, errorMessage: aborted.message, responseBytes: bytes };
}

/** The response's facts; the client's address and user agent are the request's, read once by begin(). */
function factsOf(req: Request, status: number, route: string | undefined): RequestFacts {
  const h = req.headers;
  const facts: RequestFacts = { status, requestBytes: contentLength(h.get('content-length')) };
  const ref = h.get('referer');
  if (ref) facts.referrer = ref;
  if (route) facts.route = route;
  return facts;
}

function begin(recorder: RequestRecorder<Request>, req: Request, trustProxy = true): RequestState {
  const url = new URL(req.url);
  const h = req.headers;
  const ip = trustProxy ? clientIpOf(h.get('x-real-ip') ?? undefined, h.get('x-forwarded-for') ?? undefined, true) : undefined;
  return recorder.begin(req, req.method, url.pathname + url.search, (name) => h.get(name) ?? undefined, ip);
}

/**
 * Wraps an App Router route handler. Exceptions are recorded and rethrown for Next to answer;
 * `redirect()` and `notFound()` are answered here as Next would, with the request id.
 */
export function withFootprint<C = unknown>(
  fp: Footprint,
  handler: Handler<C>,
  options: NextOptions = {},
): (req: Request, ctx: C) => Promise<Response> {
  const recorder = new RequestRecorder<Request>(fp, options);
  const header = recorder.requestIdHeader;
  const settle = (): void => {
    try {
      options.waitUntil?.(fp.flush());
    } catch {
      // `after` outside a request scope throws; the events stay queued.
    }
  };
  return async (req: Request, ctx: C): Promise<Response> => {
    let state: RequestState;
    try {
      state = begin(recorder, req, options.trustProxy);
    } catch {
      return handler(req, ctx);
    }
    const routeOf = async (): Promise<string | undefined> =>
      options.route ?? (await routeFromParams(state.path, ctx).catch(() => undefined));
    let response: Response;
    try {
      response = await runWithContext(state.ctx, () => handler(req, ctx));
    } catch (err) {
      const answer = controlFlowResponse(err, req);
      if (answer) {
        response = answer;
      } else {
        const status = controlFlowStatus(err, req);
        if (status === undefined) recorder.fail(state, err, await routeOf());
        recorder.end(state, factsOf(req, status ?? 500, await routeOf()));
        settle();
        throw err;
      }
    }
    const facts = factsOf(req, response.status, await routeOf());
    return sendCounted(req, response, header, state.ctx, (bytes, aborted) => {
      recorder.end(state, endFacts(facts, bytes, aborted));
      settle();
    });
  };
}

/** Copies the request's headers plus `name` into Next's request-header override, as `NextResponse.next({ request })` does. */
function forwardRequestHeader(response: Response, req: Request, name: string, value: string): void {
  const h = response.headers;
  const listed = h.get('x-middleware-override-headers');
  if (listed) {
    const keys = listed.split(',').map((k) => k.trim());
    if (!keys.includes(name)) h.set('x-middleware-override-headers', [...keys, name].join(','));
  } else {
    const keys: string[] = [];
    for (const [key, v] of req.headers) {
      h.set(`x-middleware-request-${key}`, v);
      keys.push(key);
    }
    if (!keys.includes(name)) keys.push(name);
    h.set('x-middleware-override-headers', keys.join(','));
  }
  h.set(`x-middleware-request-${name}`, value);
}

/** Wraps `middleware.ts` (or `proxy.ts`); with no function of your own, it only adds the request id. */
export function footprintMiddleware(fp: Footprint, middleware?: Middleware, options: NextMiddlewareOptions = {}) {
  const recorder = new RequestRecorder<Request>(fp, options);
  const header = recorder.requestIdHeader;
  return async (req: Request, event?: unknown): Promise<Response> => {
    let state: RequestState;
    try {
      state = begin(recorder, req, options.trustProxy);
    } catch {
      return (await middleware?.(req, event)) ?? new Response(null, { headers: { 'x-middleware-next': '1' } });
    }
    let response: Response;
    try {
      response =
        (await runWithContext(state.ctx, () => middleware?.(req, event))) ?? new Response(null, { headers: { 'x-middleware-next': '1' } });
    } catch (err) {
      recorder.fail(state, err, options.route);
      recorder.end(state, factsOf(req, 500, options.route));
      throw err;
    }
    const passThrough = response.headers.has('x-middleware-next') || response.headers.has('x-middleware-rewrite');
    if (passThrough) {
      response = withRequestId(response, header, state.ctx.requestId);
      forwardRequestHeader(response, req, header, state.ctx.requestId);
      if (options.recordPassThrough) recorder.end(state, factsOf(req, response.status, options.route));
      return response;
    }
    const facts = factsOf(req, response.status, options.route);
    return sendCounted(req, response, header, state.ctx, (bytes, aborted) => recorder.end(state, endFacts(facts, bytes, aborted)));
  };
}

/** Adds the request id to a pass-through response (its headers stay Next's own protocol headers). */
function withRequestId(response: Response, name: string, value: string): Response {
  try {
    response.headers.set(name, value);
    return response;
  } catch {
    const copy = new Response(response.body, { status: response.status, statusText: response.statusText, headers: response.headers });
    copy.headers.set(name, value);
    return copy;
  }
}

/** Next 16 names the file `proxy.ts`; same wrapper. */
export const footprintProxy = footprintMiddleware;
