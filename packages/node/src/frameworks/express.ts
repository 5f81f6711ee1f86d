/**
 * Express (4 and 5): one `request` event per request, the request id in the response and in
 * every event written while the request runs, and exceptions of handlers as `error` events
 * of the same request.
 *
 * @example
 * import { footprintErrorHandler, footprintMiddleware } from '@footprint/node/express';
 * app.use(footprintMiddleware(fp, { userId: (req) => req.user?.id }));
 * app.get('/api/orders/:id', getOrder);
 * app.use(footprintErrorHandler(fp)); // after the routes
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Footprint } from '../client.js';
import { runWithContext } from '../context.js';
import { headerGetter, isServerError, nodeFacts } from '../http/node-facts.js';
import { type RequestLoggingOptions, RequestRecorder, type RequestState } from '../http/recorder.js';

/** The parts of Express's request the middleware reads. */
export type ExpressRequest = IncomingMessage & {
  originalUrl?: string;
  baseUrl?: string;
  route?: { path?: unknown };
  ip?: string;
  // biome-ignore lint/suspicious/noExplicitAny: Express apps type their own additions (req.user, ...).
  [key: string]: any;
};

export interface ExpressOptions extends RequestLoggingOptions<ExpressRequest> {}

const STATE = Symbol.for('footprint.request');
type WithState = ExpressRequest & { [STATE]?: RequestState };

/** `/api` + `/orders/:id`: the matched route with its router's mount path (Express keeps the mount path, not its pattern). */
export function expressRoute(req: ExpressRequest): string | undefined {
  const matched = (req as { [MATCHED]?: string })[MATCHED];
  if (matched !== undefined) return matched;
  return routeAt(req.baseUrl, req.route?.path);
}

function routeAt(baseUrl: string | undefined, path: unknown): string | undefined {
  if (path === undefined) return undefined;
  const own = typeof path === 'string' ? path : String(path);
  const base = baseUrl ?? '';
  return base !== '' && own === '/' ? base : base + own;
}

const MATCHED = Symbol.for('footprint.express-route');
const ROUTE = Symbol('footprint.express-route-object');
const WATCHED = Symbol.for('footprint.express-route-watched');

/**
 * Express sets `req.route` when a route matches, while `req.baseUrl` is still its router's
 * mount path; once an error or `next()` leaves the router, the mount path is put back but
 * `req.route` stays. So the route is read when it is set: an accessor on the app's request
 * prototype (once per app; the request objects keep their shape).
 */
function watchRoute(req: ExpressRequest): void {
  const proto = Object.getPrototypeOf(req) as Record<symbol, unknown> | null;
  if (!proto || proto[WATCHED] || Object.getOwnPropertyDescriptor(req, 'route')) return;
  Object.defineProperty(proto, WATCHED, { value: true });
  Object.defineProperty(proto, 'route', {
    configurable: true,
    get(this: Record<symbol, unknown>) {
      return this[ROUTE];
    },
    set(this: ExpressRequest & Record<symbol, unknown>, route: { path?: unknown } | undefined) {
      this[ROUTE] = route;
      this[MATCHED] = routeAt(this.baseUrl, route?.path);
    },
  });
}

export function footprintMiddleware(fp: Footprint, options: ExpressOptions = {}) {
  const recorder = new RequestRecorder<ExpressRequest>(fp, options);
  const header = recorder.requestIdHeader;
  return function footprintRequest(req: ExpressRequest, res: ServerResponse, next: (err?: unknown) => void): void {
    let state: RequestState;
    try {
      watchRoute(req);
      const ip = req.ip ?? req.socket?.remoteAddress;
      state = recorder.begin(req, req.method ?? 'GET', req.originalUrl ?? req.url ?? '/', headerGetter(req.headers), ip);
      (req as WithState)[STATE] = state;
      res.setHeader(header, state.ctx.requestId);
      res.once('close', () => recorder.end(state, nodeFacts(req, res, ip, expressRoute(req))));
    } catch {
      next();
      return;
    }
    runWithContext(state.ctx, next);
  };
}

/** Error middleware: records the exception (5xx ones) as an `error` event, then passes it on unchanged. */
export function footprintErrorHandler(fp: Footprint) {
  const recorder = new RequestRecorder<ExpressRequest>(fp);
  return function footprintErrors(err: unknown, req: ExpressRequest, _res: ServerResponse, next: (err?: unknown) => void): void {
    if (isServerError(err)) recorder.fail((req as WithState)[STATE], err, expressRoute(req));
    next(err);
  };
}
