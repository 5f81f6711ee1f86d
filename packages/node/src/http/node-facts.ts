/**
 * Request facts read from Node's own request and response objects, shared by the adapters
 * built on node:http (Express, Fastify, plain handlers). Sizes come from Content-Length;
 * a streamed body without one has no size.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { CLIENT_CLOSED, contentLength, type RequestFacts } from './recorder.js';
import type { HeaderGetter } from './request-info.js';

/** One request header as text (Node gives arrays only for set-cookie). */
export function headerGetter(headers: IncomingHttpHeaders): HeaderGetter {
  return (name) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
}

/** An error a framework answered with 4xx (validation, not found) is the client's fault, not an `error` event. */
export function isServerError(err: unknown): boolean {
  const e = err as { statusCode?: unknown; status?: unknown } | null;
  const status = typeof e?.statusCode === 'number' ? e.statusCode : typeof e?.status === 'number' ? e.status : undefined;
  return status === undefined || status >= 500 || status < 400;
}

/** @param length the response's Content-Length when the framework keeps headers itself (Fastify writes them in one writeHead). */
export function nodeFacts(
  req: IncomingMessage,
  res: ServerResponse,
  ip: string | undefined,
  route: string | undefined,
  length: unknown = res.getHeader('content-length'),
): RequestFacts {
  const finished = res.writableFinished;
  // Not finished: the client went away (499), or the app destroyed the response with an
  // error (a body stream that failed), which is the server's failure (500).
  const failure = finished ? null : res.errored;
  const h = req.headers;
  return {
    status: finished ? res.statusCode : failure ? 500 : CLIENT_CLOSED,
    route,
    ip,
    userAgent: h['user-agent'],
    referrer: h.referer ?? (h.referrer as string | undefined),
    requestBytes: contentLength(h['content-length']),
    // A HEAD answer (and a 204 or 304) carries no body, whatever its Content-Length says.
    responseBytes: req.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304 ? 0 : contentLength(length),
    aborted: !finished && !failure,
    ...(failure ? { errorMessage: failure.message } : {}),
  };
}
