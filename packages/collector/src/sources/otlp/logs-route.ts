/**
 * POST /v1/logs: OTLP/HTTP logs in the JSON encoding, so an application already instrumented
 * with OpenTelemetry sends its logs here with its usual exporter (protocol `http/json`,
 * endpoint this collector, `Authorization: Bearer <write key>` or Basic). Records become
 * `log` events (logs-to-events.ts) and take the same path as every other event:
 * validate → enrich → mask → WAL → fsync → 200.
 *
 * Answers per the OTLP spec: 200 `{}`; 200 with `partialSuccess.rejectedLogRecords` when
 * some records were rejected (the client must not retry those); 400 for a body that is not
 * an ExportLogsServiceRequest; 401 without a valid write key; 413 over 20 MiB (the spec's
 * recommended limit, checked again after gzip) or over 10,000 records; 415 for protobuf; 503 when the WAL cannot
 * write (retryable).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, FootprintError } from '../../errors.js';
import { credentialOf, unreadScheme } from '../http/auth.js';
import { type BodyLimit, readJsonBody } from '../http/body.js';
import { type IngestDeps, ingestForProject } from '../http/ingest-routes.js';
import { logsToEvents } from './logs-to-events.js';
import { sendOtlpError, sendOtlpJson } from './status.js';

/** Largest request body, received and inflated (the spec recommends 20 MiB). */
export const OTLP_MAX_BODY_BYTES = 20 * 1024 * 1024;
const LIMIT: BodyLimit = { bytes: OTLP_MAX_BODY_BYTES, name: 'otlpMaxBodyBytes', expects: 'an OTLP/JSON ExportLogsServiceRequest' };
/**
 * Most log records in one request. OpenTelemetry's batch processor exports 512 at a time; a
 * 20 MiB body of empty records would otherwise be over a hundred thousand events to parse,
 * mask and write in one go.
 */
export const OTLP_MAX_LOG_RECORDS = 10_000;

/** How many log records an export request holds (0 for shapes logsToEvents refuses anyway). */
function recordCount(request: unknown): number {
  let n = 0;
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const field = (v: unknown, key: string): unknown =>
    v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  for (const rl of list(field(request, 'resourceLogs')))
    for (const sl of list(field(rl, 'scopeLogs'))) n += list(field(sl, 'logRecords')).length;
  return n;
}

/** Rejections named in `errorMessage`; the count covers all of them. */
const NAMED_REJECTIONS = 3;

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

export function createOtlpLogsHandler(deps: IngestDeps) {
  return async function otlpLogs(req: IncomingMessage, res: ServerResponse, query: URLSearchParams | undefined): Promise<void> {
    try {
      const type = mediaType(req);
      if (type === 'application/x-protobuf') {
        throw new FootprintError(
          'unsupported_media_type',
          415,
          'OTLP protobuf is not accepted here; send OTLP/JSON (Content-Type: application/json, exporter protocol http/json)',
          'Content-Type',
        );
      }
      if (type !== 'application/json' && type !== '') throw errors.unsupportedMediaType(type, 'application/json (OTLP/HTTP JSON)');
      const cred = credentialOf(req, query);
      if (!cred) throw errors.missingWriteKey(false, unreadScheme(req));
      const project = deps.keys.projectOf(cred.value);
      if (!project) throw errors.invalidWriteKey();
      // An empty request carries no telemetry: success (spec, "Full Success").
      if (req.headers['content-length'] === '0') return sendOtlpJson(res, 200, {});

      const body = await readJsonBody(req, LIMIT);
      if (recordCount(body.value) > OTLP_MAX_LOG_RECORDS) throw errors.tooManyLogRecords(OTLP_MAX_LOG_RECORDS);
      const mapped = logsToEvents(body.value);
      const result = await ingestForProject(deps, req, project, mapped.events, body.bytes, '');
      const reasons = [
        ...mapped.rejected.map((r) => `${r.path}: ${r.message}`),
        ...result.rejected.map((r) => `${mapped.paths[r.index] ?? 'a log record'}: ${r.message}`),
      ];
      if (reasons.length === 0) {
        return sendOtlpJson(res, 200, mapped.warning ? { partialSuccess: { rejectedLogRecords: '0', errorMessage: mapped.warning } } : {});
      }
      const more = reasons.length > NAMED_REJECTIONS ? `; and ${reasons.length - NAMED_REJECTIONS} more` : '';
      sendOtlpJson(res, 200, {
        partialSuccess: {
          // int64 in the proto3 JSON mapping: a decimal string.
          rejectedLogRecords: String(reasons.length),
          errorMessage: `${reasons.length} log records rejected: ${reasons.slice(0, NAMED_REJECTIONS).join('; ')}${more}`,
        },
      });
    } catch (err) {
      sendOtlpError(res, err);
    }
  };
}
