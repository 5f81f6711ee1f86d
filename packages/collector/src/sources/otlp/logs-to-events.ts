/**
 * OTLP logs → Footprint `log` events: a pure function of one ExportLogsServiceRequest in the
 * OTLP/JSON encoding (opentelemetry-proto logs/v1/logs.proto, docs/specification.md "JSON
 * Protobuf Encoding"). One log record becomes one event:
 *
 *   severityNumber (1-4 trace, 5-8 debug, 9-12 info, 13-16 warn, 17-20 error, 21-24 fatal;
 *     unset → severityText, else info)                 → properties.level
 *   body (string; other values as JSON text)            → properties.message (+ properties.body)
 *   attributes                                          → properties (level/message/logger renamed attr.*)
 *   instrumentation scope name / version                → properties.logger, context.library
 *   resource attributes                                 → context.resource
 *   timeUnixNano (else observedTimeUnixNano)            → timestamp
 *   traceId / spanId (hex, case-insensitive)            → traceId / spanId (lower case)
 *   user.id (or enduser.id), session.id attributes      → userId, sessionId
 *
 * Each event's messageId is derived from the record, its resource and scope and its place
 * in the request, so an exporter that retries a request does not store its records twice.
 * A record that breaks the encoding is rejected alone; a request whose envelope is not an
 * ExportLogsServiceRequest is malformed as a whole (400).
 */
import { createHash } from 'node:crypto';
import { anyValue, keyValues, OtlpValueError } from './any-value.js';

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The request is not an ExportLogsServiceRequest at all. */
export class OtlpMalformedError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

export interface RecordRejection {
  /** Where the record is, e.g. `resourceLogs[0].scopeLogs[1].logRecords[7]`. */
  path: string;
  message: string;
}

export interface MappedLogs {
  events: Dict[];
  /** Path of each event's record, for naming it when the ingest chain rejects it. */
  paths: string[];
  rejected: RecordRejection[];
  /** A note for the client that is not a rejection (e.g. snake_case keys that were ignored). */
  warning?: string;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
type Level = (typeof LEVELS)[number];
const TEXT_LEVELS: Record<string, Level> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  information: 'info',
  notice: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  err: 'error',
  critical: 'fatal',
  crit: 'fatal',
  alert: 'fatal',
  emergency: 'fatal',
  fatal: 'fatal',
};
const RESERVED = new Set(['level', 'message', 'logger']);
const HEX32 = /^[0-9a-fA-F]{32}$/;
const HEX16 = /^[0-9a-fA-F]{16}$/;
const NANOS = /^\d{1,20}$/;
/** Latest time an ISO string can hold, in milliseconds. */
const MAX_MS = 8.64e15;

function levelOf(num: unknown, text: unknown, path: string): Level {
  if (num !== undefined && num !== null) {
    if (typeof num !== 'number' || !Number.isInteger(num)) {
      throw new OtlpValueError(`${path}.severityNumber must be an integer (OTLP/JSON encodes enums as integers)`, path);
    }
    if (num >= 1 && num <= 24) return LEVELS[Math.floor((num - 1) / 4)] as Level;
  }
  if (typeof text === 'string') return TEXT_LEVELS[text.trim().toLowerCase()] ?? 'info';
  return 'info';
}

/** Milliseconds since the epoch of a fixed64 nanosecond time, or undefined when unset (0). */
function nanosToMs(v: unknown, field: string, path: string): number | undefined {
  if (v === undefined || v === null || v === 0 || v === '0') return undefined;
  let ms: number;
  if (typeof v === 'string' && NANOS.test(v)) ms = Number(BigInt(v) / 1_000_000n);
  else if (typeof v === 'number' && Number.isInteger(v) && v > 0) ms = Math.floor(v / 1e6);
  else throw new OtlpValueError(`${path}.${field} must be nanoseconds since the epoch (a decimal string or a number)`, path);
  if (ms > MAX_MS) throw new OtlpValueError(`${path}.${field} is too far in the future`, path);
  return ms;
}

/** A hex id, lower-cased; empty or all zeros means unset (W3C Trace Context: all-zero ids are invalid). */
function hexId(v: unknown, re: RegExp, field: string, bytes: number, path: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || !re.test(v)) throw new OtlpValueError(`${path}.${field} must be ${bytes * 2} hex digits`, path);
  return /^0+$/.test(v) ? undefined : v.toLowerCase();
}

/** An id attribute; a number past 2^53 (already rounded by the sender's JSON) is kept as its text, as ids are stored. */
const idOf = (v: unknown): string | number | undefined =>
  typeof v === 'string' && v.length > 0 && v.length <= 256
    ? v
    : typeof v === 'number' && Number.isFinite(v)
      ? Number.isSafeInteger(v) || !Number.isInteger(v)
        ? v
        : String(v)
      : undefined;

function recordToEvent(rec: unknown, path: string, resource: Dict, scope: Dict, origin: string): Dict {
  if (!isDict(rec)) throw new OtlpValueError(`${path} must be a LogRecord object`, path);
  const attrs = keyValues(rec.attributes, `${path}.attributes`);
  const level = levelOf(rec.severityNumber, rec.severityText, path);
  const body = anyValue(rec.body, `${path}.body`);
  const time = nanosToMs(rec.timeUnixNano, 'timeUnixNano', path);
  const observed = nanosToMs(rec.observedTimeUnixNano, 'observedTimeUnixNano', path);
  const traceId = hexId(rec.traceId, HEX32, 'traceId', 16, path);
  const spanId = hexId(rec.spanId, HEX16, 'spanId', 8, path);

  const properties: Dict = {};
  for (const k in attrs) properties[RESERVED.has(k) ? `attr.${k}` : k] = attrs[k];
  properties.level = level;
  properties.message = typeof body === 'string' ? body : body === null ? '' : JSON.stringify(body);
  if (body !== null && typeof body !== 'string') properties.body = body;
  if (typeof scope.name === 'string' && scope.name !== '') properties.logger = scope.name;
  if (typeof rec.severityText === 'string' && rec.severityText !== '') properties.severity_text = rec.severityText;
  if (typeof rec.severityNumber === 'number' && rec.severityNumber !== 0) properties.severity_number = rec.severityNumber;
  if (typeof rec.eventName === 'string' && rec.eventName !== '') properties.event_name = rec.eventName;
  if (time !== undefined && observed !== undefined) properties.observed_time = new Date(observed).toISOString();

  const context: Dict = {};
  if (Object.keys(resource).length > 0) context.resource = resource;
  if (typeof scope.name === 'string' && scope.name !== '') {
    context.library =
      typeof scope.version === 'string' && scope.version !== '' ? { name: scope.name, version: scope.version } : { name: scope.name };
  }
  if (typeof rec.flags === 'number' && rec.flags !== 0) context.otel = { flags: rec.flags };

  const event: Dict = {
    type: 'log',
    // Same record, same resource and scope, same place in the request → same id: a retried export is stored once.
    messageId: `otlp-${createHash('sha256')
      .update(origin)
      .update(path)
      // Only the decoded (depth-bounded) fields: unknown fields are ignored, and may be hostile.
      .update(
        JSON.stringify([
          String(rec.timeUnixNano ?? ''),
          String(rec.observedTimeUnixNano ?? ''),
          properties.severity_number,
          properties.severity_text,
          body,
          attrs,
          traceId,
          spanId,
        ]),
      )
      .digest('hex')
      .slice(0, 32)}`,
    properties,
  };
  const at = time ?? observed;
  if (at !== undefined) event.timestamp = new Date(at).toISOString();
  if (traceId) event.traceId = traceId;
  if (spanId) event.spanId = spanId;
  const user = idOf(attrs['user.id']) ?? idOf(attrs['enduser.id']);
  if (user !== undefined) event.userId = user;
  const session = idOf(attrs['session.id']);
  if (session !== undefined) event.sessionId = session;
  if (Object.keys(context).length > 0) event.context = context;
  return event;
}

function listOf(v: unknown, field: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpMalformedError(`${field} must be an array`, field);
  return v;
}

/** Maps one ExportLogsServiceRequest; throws OtlpMalformedError when its envelope is not one. */
export function logsToEvents(request: unknown): MappedLogs {
  if (!isDict(request)) throw new OtlpMalformedError('the body must be an ExportLogsServiceRequest object: {"resourceLogs":[...]}', 'body');
  const out: MappedLogs = { events: [], paths: [], rejected: [] };
  if (request.resourceLogs === undefined && request.resource_logs !== undefined) {
    out.warning =
      'no resourceLogs found: OTLP/JSON keys are lowerCamelCase (resourceLogs, scopeLogs, logRecords), so resource_logs was ignored';
  }
  listOf(request.resourceLogs, 'resourceLogs').forEach((rl, r) => {
    const rPath = `resourceLogs[${r}]`;
    if (!isDict(rl)) throw new OtlpMalformedError(`${rPath} must be a ResourceLogs object`, rPath);
    const scopes = listOf(rl.scopeLogs, `${rPath}.scopeLogs`);
    scopes.forEach((sl, s) => {
      const sPath = `${rPath}.scopeLogs[${s}]`;
      if (!isDict(sl)) throw new OtlpMalformedError(`${sPath} must be a ScopeLogs object`, sPath);
      const records = listOf(sl.logRecords, `${sPath}.logRecords`);
      let resource: Dict;
      let scope: Dict;
      try {
        resource = keyValues(isDict(rl.resource) ? rl.resource.attributes : undefined, `${rPath}.resource.attributes`);
        const sc = isDict(sl.scope) ? sl.scope : {};
        scope = { name: sc.name, version: sc.version };
        const scopeAttrs = keyValues(sc.attributes, `${sPath}.scope.attributes`);
        if (Object.keys(scopeAttrs).length > 0) resource = { ...resource, 'otel.scope.attributes': scopeAttrs };
      } catch (err) {
        // Every record of a resource or scope that cannot be read is rejected with it.
        for (let i = 0; i < records.length; i++) out.rejected.push({ path: `${sPath}.logRecords[${i}]`, message: (err as Error).message });
        return;
      }
      const origin = JSON.stringify([resource, scope]);
      records.forEach((rec, i) => {
        const path = `${sPath}.logRecords[${i}]`;
        try {
          out.events.push(recordToEvent(rec, path, resource, scope, origin));
          out.paths.push(path);
        } catch (err) {
          if (!(err instanceof OtlpValueError)) throw err;
          out.rejected.push({ path, message: err.message });
        }
      });
    });
  });
  return out;
}
