/**
 * The collector's error catalogue: every error a client can receive has a stable `code`, an
 * HTTP status and a message that says what to do. Responses carry
 * `{"error":{"code","message","path"}}`; `path` names the offending field when there is one.
 */
/** Codes of the collector itself; validation codes (ValidationCode) also reach clients as `error.code`. */
export type ErrorCode =
  | 'missing_write_key'
  | 'invalid_write_key'
  | 'missing_admin_token'
  | 'invalid_admin_token'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'bad_request'
  | 'headers_too_large'
  | 'request_timeout'
  | 'unsupported_media_type'
  | 'unsupported_encoding'
  | 'invalid_gzip'
  | 'invalid_utf8'
  | 'invalid_json'
  | 'invalid_body'
  | 'payload_too_large'
  | 'event_too_large'
  | 'too_many_events'
  | 'invalid_query'
  | 'wal_unavailable'
  | 'storage_unavailable'
  | 'shutting_down'
  | 'script_unavailable'
  | 'internal';

export class FootprintError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    message: string,
    readonly path = '',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FootprintError';
  }

  toJSON(): { error: { code: ErrorCode; message: string; path: string } } {
    return { error: { code: this.code, message: this.message, path: this.path } };
  }
}

export const errors = {
  /**
   * @param inBody whether this endpoint also reads `writeKey` from the body
   * @param scheme an Authorization scheme that was sent but is not one the collector reads
   */
  missingWriteKey: (inBody = true, scheme?: string) =>
    new FootprintError(
      'missing_write_key',
      401,
      `no write key${
        scheme === undefined
          ? ''
          : scheme === ''
            ? ' (the Authorization header has no scheme before the key)'
            : ` (the Authorization scheme "${scheme.slice(0, 40)}" is not read here)`
      }: send it as the HTTP Basic username, as "Authorization: Bearer <key>"${inBody ? ', as ?key= or as "writeKey" in the body' : ' or as ?key='}`,
      scheme === undefined ? '' : 'Authorization',
    ),
  invalidWriteKey: () => new FootprintError('invalid_write_key', 401, 'the write key is not known to this collector'),
  missingAdminToken: () =>
    new FootprintError('missing_admin_token', 401, 'this endpoint needs the admin token: "Authorization: Bearer <token>"'),
  invalidAdminToken: () => new FootprintError('invalid_admin_token', 401, 'the admin token is not valid'),
  adminTokenAsBearer: () =>
    new FootprintError('invalid_admin_token', 401, 'send the admin token as "Authorization: Bearer <token>", not as HTTP Basic'),
  writeKeyCannotRead: () =>
    new FootprintError('forbidden', 403, 'a write key can only send events; reading and erasing need the admin token'),
  notFound: (path: string) => new FootprintError('not_found', 404, `no endpoint at ${path}`),
  methodNotAllowed: (method: string, allowed: string) =>
    new FootprintError('method_not_allowed', 405, `${method} is not allowed here; use ${allowed}`),
  badRequest: () => new FootprintError('bad_request', 400, 'the request is not valid HTTP/1.1'),
  headersTooLarge: () =>
    new FootprintError('headers_too_large', 431, 'the request headers are too large; send at most 16 KB of headers', 'headers'),
  requestTimeout: () => new FootprintError('request_timeout', 408, 'the request was not received in time; retry'),
  unsupportedMediaType: (type: string, accepted = 'application/json or text/plain') =>
    new FootprintError('unsupported_media_type', 415, `Content-Type ${type} is not accepted; send ${accepted}`, 'Content-Type'),
  unsupportedEncoding: (enc: string) =>
    new FootprintError('unsupported_encoding', 415, `Content-Encoding ${enc} is not accepted; send gzip or identity`, 'Content-Encoding'),
  invalidGzip: (cause: unknown) =>
    new FootprintError('invalid_gzip', 400, 'the body is marked gzip but does not inflate', 'body', { cause }),
  invalidUtf8: () => new FootprintError('invalid_utf8', 400, 'the body is not valid UTF-8 text', 'body'),
  invalidJson: (detail: string) => new FootprintError('invalid_json', 400, `the body is not valid JSON: ${detail}`, 'body'),
  invalidBody: (message: string, path = '') => new FootprintError('invalid_body', 400, message, path),
  payloadTooLarge: (limitName: string, limit: string) =>
    new FootprintError('payload_too_large', 413, `the body is larger than ${limit} (limit ${limitName})`, 'body'),
  eventTooLarge: (path: string, limit: string) =>
    new FootprintError('event_too_large', 413, `${path || 'the event'} is larger than ${limit} (limit maxEventBytes)`, path),
  tooManyEvents: (limit: number) =>
    new FootprintError('too_many_events', 413, `a batch holds at most ${limit} events (limit maxBatchEvents)`, 'batch'),
  tooManyLogRecords: (limit: number) =>
    new FootprintError('too_many_events', 413, `a request holds at most ${limit} log records (limit otlpMaxLogRecords)`, 'resourceLogs'),
  invalidQuery: (param: string, rule: string) => new FootprintError('invalid_query', 400, `${param} ${rule}`, param),
  walUnavailable: (cause: unknown) =>
    new FootprintError('wal_unavailable', 503, 'events could not be written to disk; retry later', '', { cause }),
  storageUnavailable: (cause: unknown) =>
    new FootprintError(
      'storage_unavailable',
      503,
      'the database is not available right now; events are safe in the WAL and will load when it is back',
      '',
      { cause },
    ),
  shuttingDown: () => new FootprintError('shutting_down', 503, 'the collector is shutting down; retry shortly'),
  scriptUnavailable: () =>
    new FootprintError(
      'script_unavailable',
      503,
      'the browser script is not built: run `npm run build` in the Footprint folder (it makes packages/browser/dist/fp.js), then restart the collector',
    ),
};
