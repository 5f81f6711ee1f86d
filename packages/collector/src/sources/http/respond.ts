/** Writing responses: JSON bodies, CORS for browsers, errors from the catalogue. */
import type { ServerResponse } from 'node:http';
import { FootprintError } from '../../errors.js';

/** CORS: ingestion authenticates with keys, never cookies, so any origin may send. */
export const CORS_HEADERS = {
  'access-control-allow-origin': '*',
} as const;

export const PREFLIGHT_HEADERS = {
  ...CORS_HEADERS,
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type, content-encoding, x-requested-with',
  'access-control-max-age': '86400',
} as const;

export function sendJson(res: ServerResponse, status: number, body: unknown, close = false): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...CORS_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, CORS_HEADERS);
  res.end();
}

/** Sends any thrown value as a catalogued error; unknown errors become a 500 without details. */
export function sendError(res: ServerResponse, err: unknown, extra?: Record<string, unknown>): void {
  const fe = err instanceof FootprintError ? err : new FootprintError('internal', 500, 'internal error; the collector logged the details');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // After a 413 the rest of the body is not read, so the connection cannot be reused.
  sendJson(res, fe.status, { ...fe.toJSON(), ...extra }, fe.status === 413);
}
