/**
 * OTLP/HTTP answers (opentelemetry-proto docs/specification.md, "OTLP/HTTP Response"): 200
 * with an ExportLogsServiceResponse (`{}` on full success, `partialSuccess` when records
 * were rejected), and for every 4xx/5xx a google.rpc.Status message, JSON-encoded because
 * the request was; 400s carry a google.rpc.BadRequest naming the field.
 */
import type { ServerResponse } from 'node:http';
import { FootprintError } from '../../errors.js';
import { CORS_HEADERS } from '../http/respond.js';
import { OtlpMalformedError } from './logs-to-events.js';

/** google.rpc.Code of an HTTP status (informational: OTLP clients act on the HTTP status). */
const GRPC_CODE: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 408: 4, 413: 8, 415: 3, 429: 8, 500: 13, 503: 14 };

export function sendOtlpJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...CORS_HEADERS,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Any failure as a Status; unexpected errors become a 500 without details. */
export function sendOtlpError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof OtlpMalformedError) {
    sendOtlpJson(res, 400, {
      code: 3,
      message: err.message,
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          fieldViolations: [{ field: err.field, description: err.message }],
        },
      ],
    });
    return;
  }
  const fe = err instanceof FootprintError ? err : new FootprintError('internal', 500, 'internal error; the collector logged the details');
  const headers: Record<string, string> = {};
  // After a 413 the rest of the body is not read, so the connection cannot be reused.
  if (fe.status === 413) headers.connection = 'close';
  if (fe.status === 503) headers['retry-after'] = '1';
  const status: Record<string, unknown> = { code: GRPC_CODE[fe.status] ?? 2, message: `${fe.code}: ${fe.message}` };
  if (fe.status === 400) {
    status.details = [
      { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: fe.path || 'body', description: fe.message }] },
    ];
  }
  sendOtlpJson(res, fe.status, status, headers);
}
