/**
 * The HTTP source: routes requests on plain node:http (no framework on the hot path; a
 * beacon costs little more than an empty 204). Every route answers errors from the
 * catalogue; an unexpected exception is logged and answered 500 without details.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Logger } from 'pino';
import { errors, type FootprintError } from '../../errors.js';
import type { IngestKind } from './ingest-routes.js';
import { CORS_HEADERS, PREFLIGHT_HEADERS, sendError, sendJson } from './respond.js';

export interface HttpRoutes {
  ingest(req: IncomingMessage, res: ServerResponse, kind: IngestKind, query: URLSearchParams | undefined, type?: string): Promise<void>;
  listEvents(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void>;
  health(): Promise<{ ok: boolean } & Record<string, unknown>>;
  /** GET /fp.js: the browser SDK script. */
  browserScript(req: IncomingMessage, res: ServerResponse): void;
  /** POST /v1/erasure (admin). */
  erasure(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** POST /v1/logs: OTLP/HTTP JSON logs (sources/otlp). */
  otlpLogs(req: IncomingMessage, res: ServerResponse, query: URLSearchParams | undefined): Promise<void>;
}

/**
 * Ingestion paths under /v1/ → kind and, for single events, the type. analytics.js 2.0
 * (analytics-next) posts to one-letter paths (`/v1/t`, `/v1/p`, ... and `/v1/b` when
 * batching), so those are accepted too.
 */
interface IngestTarget {
  kind: IngestKind;
  type?: string;
}
const INGEST_PATHS = new Map<string, IngestTarget>([
  ['batch', { kind: 'batch' }],
  ['import', { kind: 'batch' }],
  ['b', { kind: 'batch' }],
  ['e', { kind: 'beacon' }],
]);
for (const type of ['track', 'page', 'identify', 'screen', 'group', 'alias']) {
  INGEST_PATHS.set(type, { kind: 'single', type });
  INGEST_PATHS.set(type.charAt(0), { kind: 'single', type });
}

export interface HttpServer {
  server: Server;
  /** Requests being handled right now. */
  inFlight(): number;
  /** From now on, answer 503 and close connections (graceful shutdown). */
  drain(): void;
}

/** 405 with the Allow header that RFC 9110 requires. */
function notAllowed(res: ServerResponse, method: string, allowed: string): void {
  res.setHeader('allow', `${allowed}, OPTIONS`);
  sendError(res, errors.methodNotAllowed(method, allowed));
}

/** Node's parser errors (before a request exists) as catalogued errors, with Node's status codes. */
function clientErrorOf(err: NodeJS.ErrnoException): FootprintError {
  if (err.code === 'HPE_HEADER_OVERFLOW') return errors.headersTooLarge();
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return errors.requestTimeout();
  return errors.badRequest();
}

export function createHttpServer(routes: HttpRoutes, log: Logger): HttpServer {
  let active = 0;
  let draining = false;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const raw = q === -1 ? url : url.slice(0, q);
    // A client configured with a host ending in "/" asks for //v1/batch; some add a trailing "/".
    const path = raw.length > 1 && (raw.includes('//') || raw.endsWith('/')) ? raw.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1') : raw;
    const query = q === -1 ? undefined : new URLSearchParams(url.slice(q + 1));
    const method = req.method ?? 'GET';

    if (method === 'OPTIONS') {
      res.writeHead(204, PREFLIGHT_HEADERS);
      res.end();
      return;
    }
    if (path === '/healthz') {
      if (method !== 'GET' && method !== 'HEAD') return notAllowed(res, method, 'GET, HEAD');
      const report = await routes.health();
      return sendJson(res, report.ok ? 200 : 503, report);
    }
    if (path === '/fp.js') {
      if (method !== 'GET' && method !== 'HEAD') return notAllowed(res, method, 'GET, HEAD');
      return routes.browserScript(req, res);
    }
    if (path === '/v1/events') {
      if (method !== 'GET') return notAllowed(res, method, 'GET');
      return routes.listEvents(req, res, query ?? new URLSearchParams());
    }
    if (path === '/v1/erasure') {
      if (method !== 'POST') return notAllowed(res, method, 'POST');
      if (draining) return sendError(res, errors.shuttingDown());
      return routes.erasure(req, res);
    }
    if (path === '/v1/logs') {
      if (method !== 'POST') return notAllowed(res, method, 'POST');
      if (draining) return sendError(res, errors.shuttingDown());
      return routes.otlpLogs(req, res, query);
    }
    if (!path.startsWith('/v1/')) return sendError(res, errors.notFound(raw));
    const name = path.slice(4);
    const target = INGEST_PATHS.get(name);
    if (!target) return sendError(res, errors.notFound(raw));
    const kind = target.kind;
    if (method !== 'POST') return notAllowed(res, method, 'POST');
    if (draining) return sendError(res, errors.shuttingDown());
    return routes.ingest(req, res, kind, query, target.type);
  }

  /** Responses not yet finished: on drain, those whose headers are not out yet end their connection. */
  const open = new Set<ServerResponse>();
  // Node checks the request timeout every connectionsCheckingInterval (30 s by default, which let
  // a stalled body hold its socket for up to a minute); every 2 s, 408 comes after 30-32 s.
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 30_000, connectionsCheckingInterval: 2_000 }, (req, res) => {
    active++;
    open.add(res);
    // While shutting down, every answer closes its connection: a keep-alive client would
    // otherwise send its next request into a server that is going away.
    if (draining) res.setHeader('connection', 'close');
    res.once('close', () => {
      active--;
      open.delete(res);
    });
    route(req, res).catch((err: unknown) => {
      log.error({ err, url: req.url }, 'request failed');
      sendError(res, err);
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy(err);
      return;
    }
    const fe = clientErrorOf(err);
    const text = JSON.stringify(fe.toJSON());
    const cors = Object.entries(CORS_HEADERS)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.end(
      `HTTP/1.1 ${fe.status} ${STATUS_CODES[fe.status]}\r\n${cors}content-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
    );
  });

  return {
    server,
    inFlight: () => active,
    drain: () => {
      draining = true;
      for (const res of open) if (!res.headersSent) res.setHeader('connection', 'close');
    },
  };
}
