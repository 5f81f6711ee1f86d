/**
 * Plain node:http: wraps a request listener. Besides the `request` event, request id and
 * correlation context, an exception of the handler (thrown, or a rejected promise) is
 * recorded as an `error` event and answered with a 500 (or, once headers are out, by
 * closing the response), where node:http alone would crash the process or leave the
 * request hanging.
 *
 * @example
 * import { withFootprint } from '@footprint/node/http';
 * http.createServer(withFootprint(fp, (req, res) => res.end('ok'), { route: routeOf })).listen(3000);
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Footprint } from '../client.js';
import { runWithContext } from '../context.js';
import { headerGetter, nodeFacts } from '../http/node-facts.js';
import { type RequestLoggingOptions, RequestRecorder, type RequestState } from '../http/recorder.js';
import { clientIpOf } from '../http/request-info.js';

export interface HttpOptions extends RequestLoggingOptions<IncomingMessage> {
  /** The route template of a request (e.g. from your router), for grouping requests by endpoint. */
  route?: (req: IncomingMessage) => string | undefined;
  /** Take the client address from `X-Forwarded-For` (only behind a proxy you run). Default false. */
  trustProxy?: boolean;
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => unknown;

export function withFootprint(fp: Footprint, handler: RequestListener, options: HttpOptions = {}): RequestListener {
  const recorder = new RequestRecorder<IncomingMessage>(fp, options);
  const header = recorder.requestIdHeader;
  const trustProxy = options.trustProxy === true;
  const routeOf = (req: IncomingMessage): string | undefined => {
    try {
      return options.route?.(req);
    } catch {
      return undefined;
    }
  };

  return function footprintListener(req: IncomingMessage, res: ServerResponse): void {
    let state: RequestState | undefined;
    try {
      const fwd = req.headers['x-forwarded-for'];
      const ip = clientIpOf(req.socket?.remoteAddress, Array.isArray(fwd) ? fwd[0] : fwd, trustProxy);
      state = recorder.begin(req, req.method ?? 'GET', req.url ?? '/', headerGetter(req.headers), ip);
      res.setHeader(header, state.ctx.requestId);
      const s = state;
      res.once('close', () => recorder.end(s, nodeFacts(req, res, ip, routeOf(req))));
    } catch {
      state = undefined;
    }

    const onError = (err: unknown): void => {
      recorder.fail(state, err, routeOf(req));
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.end('Internal Server Error');
      } else if (!res.writableEnded) {
        // Half a response is out: the client must not take it for a whole one. Destroyed with
        // the error, so the request event says 500 (the server failed), not 499 (the client left).
        res.destroy(err instanceof Error ? err : new Error(String(err)));
      }
      // A response already ended is complete: the error came after it, and is recorded only.
    };
    const run = (): void => {
      try {
        const result = handler(req, res) as PromiseLike<unknown> | undefined;
        if (result && typeof result.then === 'function') result.then(undefined, onError);
      } catch (err) {
        onError(err);
      }
    };
    if (state) runWithContext(state.ctx, run);
    else run();
  };
}
