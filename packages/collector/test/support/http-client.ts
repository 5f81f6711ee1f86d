/**
 * Test support for endpoint tests: plain HTTP requests that answer status, headers and the
 * parsed body; raw socket requests for what fetch cannot send (a lying Content-Length,
 * malformed request lines, oversized headers); streamed chunked bodies; and "barrier"
 * events that prove the loader has caught up, so a test can assert what is NOT stored.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { adminAuth, basicAuth, eventually, listAll, trackEvent } from './collector.js';

/** A parsed JSON value whose shape each test asserts on. */
export type Json = any;

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or null when the body is empty. */
  body: Json;
}

/** JSON headers with the write key as HTTP Basic username. */
export const jsonHeaders = (extra: Record<string, string> = {}): Record<string, string> => ({
  authorization: basicAuth(),
  'content-type': 'application/json',
  ...extra,
});

/** Any request; `body` objects are sent as JSON text, strings and buffers as they are. */
export async function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Reply> {
  const { method = 'POST', headers = jsonHeaders(), body } = init;
  const payload =
    body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? (body as string | Buffer) : JSON.stringify(body);
  const res = await fetch(url, { method, headers, body: payload });
  const text = await res.text();
  let parsed: Json = null;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

/** GET /v1/events with the admin token (or the headers given). */
export async function readEvents(url: string, query = '', headers: Record<string, string> = adminAuth): Promise<Reply> {
  return send(`${url}/v1/events${query === '' ? '' : `?${query}`}`, { method: 'GET', headers });
}

/** Asserts the response is a catalogued error: status, code, and (when given) path. */
export function assertError(res: Reply, status: number, code: string, path?: string): void {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text}`);
  assert.ok(res.body && typeof res.body === 'object' && res.body.error, `no error object in ${res.text}`);
  assert.equal(res.body.error.code, code, res.text);
  assert.equal(typeof res.body.error.message, 'string');
  assert.ok(res.body.error.message.length > 0, 'the error message is empty');
  assert.equal(typeof res.body.error.path, 'string');
  if (path !== undefined) assert.equal(res.body.error.path, path, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
}

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
  raw: string;
}

/**
 * Writes bytes to a fresh TCP connection and reads one HTTP response (until Content-Length
 * is satisfied or the server closes). `endAfterWrite` half-closes after writing.
 */
export function rawHttp(
  port: number,
  payload: string | Buffer,
  opts: { endAfterWrite?: boolean; timeoutMs?: number } = {},
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    const timer = setTimeout(
      () => finish(new Error(`no complete response within ${opts.timeoutMs ?? 5000} ms: ${buf.toString()}`)),
      opts.timeoutMs ?? 5000,
    );
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) {
        reject(err);
        return;
      }
      const raw = buf.toString('utf8');
      const end = raw.indexOf('\r\n\r\n');
      const head = end === -1 ? raw : raw.slice(0, end);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN);
      resolve({ status, headers, body: end === -1 ? '' : raw.slice(end + 4), raw });
    };
    const complete = (): boolean => {
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return false;
      const m = /content-length:\s*(\d+)/i.exec(buf.subarray(0, end).toString());
      return m !== null && buf.length >= end + 4 + Number(m[1]);
    };
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (complete()) finish();
    });
    socket.on('close', () => finish());
    socket.on('error', () => finish());
    socket.on('connect', () => {
      socket.write(payload);
      if (opts.endAfterWrite) socket.end();
    });
  });
}

/**
 * POSTs a body in chunks with Transfer-Encoding: chunked (no Content-Length announced), so
 * the server only learns the size while reading. Resolves with the first response, even if
 * the server cuts the upload short.
 */
export function streamChunks(url: string, chunks: Buffer[], headers: Record<string, string> = jsonHeaders()): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        resolve({ status: res.statusCode ?? 0, headers: h, text, body: text === '' ? null : JSON.parse(text) });
      });
      res.on('error', reject);
    });
    let answered = false;
    req.on('response', () => {
      answered = true;
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    let i = 0;
    const pump = (): void => {
      while (i < chunks.length && !answered && !req.destroyed) {
        if (!req.write(chunks[i++] as Buffer)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered && !req.destroyed) req.end();
    };
    pump();
  });
}

export const BARRIER_EVENT = 'test barrier';

/**
 * Sends a barrier event and waits until the read API shows it. The WAL is loaded in order,
 * so once the barrier is visible every event acknowledged before it is visible too.
 */
export async function barrier(url: string): Promise<void> {
  const id = `barrier-${randomUUID()}`;
  const res = await send(`${url}/v1/batch`, { body: { batch: [trackEvent(id, { event: BARRIER_EVENT })] } });
  assert.equal(res.status, 200, `barrier was not accepted: ${res.text}`);
  await eventually(
    async () => {
      const r = await readEvents(url, `event=${encodeURIComponent(BARRIER_EVENT)}&limit=10000`);
      return r.status === 200 && r.body.events.some((e: Json) => e.id === id) ? true : undefined;
    },
    15_000,
    `barrier ${id} to be loaded`,
  );
}

/** Every stored event except barriers, newest first (call after `barrier`). */
export async function storedEvents(url: string, query = ''): Promise<Json[]> {
  return (await listAll(url, query)).filter((e) => e.event !== BARRIER_EVENT);
}

/** Asserts that no event with this id was stored (after a barrier, so a late load cannot hide it). */
export async function assertNotStored(url: string, id: string): Promise<void> {
  await barrier(url);
  assert.equal((await storedEvents(url)).filter((e) => e.id === id).length, 0, `${id} was stored`);
}

/** Waits until the events with these ids are all loaded, and answers them keyed by id. */
export async function waitForIds(url: string, ids: readonly string[], query = ''): Promise<Map<string, Json>> {
  return eventually(
    async () => {
      const rows = await listAll(url, query);
      const byId = new Map(rows.filter((r) => ids.includes(r.id)).map((r) => [r.id as string, r]));
      return byId.size === ids.length ? byId : undefined;
    },
    15_000,
    `events ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', ...' : ''} to be loaded`,
  );
}

/** Waits for one event by id. */
export async function waitForId(url: string, id: string): Promise<Json> {
  return (await waitForIds(url, [id])).get(id);
}

/** GET /healthz answers 200 with ok true. */
export async function assertHealthy(url: string): Promise<void> {
  const res = await send(`${url}/healthz`, { method: 'GET', headers: {} });
  assert.equal(res.status, 200, `healthz answered ${res.status}: ${res.text}`);
  assert.equal(res.body.ok, true);
}

export { basicAuth };
