/**
 * The ingestion endpoints (Segment-compatible plus Footprint's beacon):
 *
 *   POST /v1/batch, /v1/import    {"batch":[...]} or a bare JSON array
 *   POST /v1/track|page|identify|screen|group|alias   one Segment event
 *   POST /v1/e                    one event, any body type (sendBeacon sends text/plain)
 *
 * Order per request: authenticate → read body → validate/enrich (transforms) → WAL append
 * → fsync → ack. The response is written only after the WAL promise resolves.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LIMITS } from '@footprint/schema';
import { errors, type FootprintError } from '../../errors.js';
import type { KeyRing } from '../../projects/keys.js';
import { clientIp, type TrustedProxies } from '../../transforms/enrich/client-ip.js';
import { type IngestResult, ingestEvents } from '../../transforms/ingest.js';
import type { RowMasker } from '../../transforms/mask.js';
import type { RequestMeta } from '../../transforms/to-row.js';
import type { WalSegmentWriter } from '../../wal/writer.js';
import { credentialOf, unreadScheme } from './auth.js';
import { type BodyLimit, readJsonBody } from './body.js';
import { sendEmpty, sendError, sendJson } from './respond.js';

export interface IngestDeps {
  keys: KeyRing;
  wal: WalSegmentWriter;
  trustedProxies: TrustedProxies;
  /** The masking of each project, applied to every row before the WAL. */
  maskerOf: (projectId: string) => RowMasker;
}

export type IngestKind = 'batch' | 'single' | 'beacon';

const BATCH_LIMIT: BodyLimit = { bytes: LIMITS.maxBatchBytes, name: 'maxBatchBytes' };
const EVENT_LIMIT: BodyLimit = { bytes: LIMITS.maxEventBytes, name: 'maxEventBytes' };

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Resolves the project of the request: header/query credential first, then the body's writeKey. */
function projectOf(keys: KeyRing, req: IncomingMessage, query: URLSearchParams | undefined, body: unknown): string {
  const cred = credentialOf(req, query);
  const key = cred?.value ?? (isDict(body) && typeof body.writeKey === 'string' ? body.writeKey : undefined);
  if (!key) throw errors.missingWriteKey(true, unreadScheme(req));
  const project = keys.projectOf(key);
  if (!project) throw errors.invalidWriteKey();
  return project;
}

function metaOf(req: IncomingMessage, projectId: string, deps: IngestDeps): RequestMeta {
  const now = Date.now();
  const ua = req.headers['user-agent'];
  return {
    projectId,
    receivedAtMs: now,
    receivedAt: new Date(now).toISOString(),
    ip: clientIp(req.socket.remoteAddress, req.headers['x-forwarded-for'], deps.trustedProxies),
    userAgent: typeof ua === 'string' && ua !== '' ? ua : null,
  };
}

/** Events of a batch body, with batch-level `context` and `sentAt` applied as defaults (Segment). */
function batchEvents(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  if (!isDict(body)) throw errors.invalidBody('the body must be {"batch":[...]} or a JSON array of events', 'body');
  const batch = body.batch;
  if (batch === undefined) throw errors.invalidBody('batch is required: send {"batch":[...]}', 'batch');
  if (!Array.isArray(batch)) throw errors.invalidBody('batch must be an array of events', 'batch');
  // Batch-level fields apply to every event: a wrong type would silently change nothing, so it is refused.
  if (body.context !== undefined && body.context !== null && !isDict(body.context)) {
    throw errors.invalidBody('context of a batch must be an object (defaults for each event’s context)', 'context');
  }
  if (body.sentAt !== undefined && body.sentAt !== null && typeof body.sentAt !== 'string') {
    throw errors.invalidBody('sentAt of a batch must be an ISO-8601 date-time string', 'sentAt');
  }
  const ctx = isDict(body.context) ? body.context : undefined;
  const sentAt = typeof body.sentAt === 'string' ? body.sentAt : undefined;
  if (!ctx && !sentAt) return batch;
  return batch.map((e) => {
    if (!isDict(e)) return e;
    const out: Dict = { ...e };
    if (ctx) out.context = isDict(e.context) ? { ...ctx, ...e.context } : e.context === undefined ? ctx : e.context;
    if (sentAt && e.sentAt === undefined) out.sentAt = sentAt;
    return out;
  });
}

async function commit(deps: IngestDeps, result: IngestResult): Promise<void> {
  if (result.accepted === 0) return;
  try {
    await deps.wal.append(result.lines);
  } catch (err) {
    throw errors.walUnavailable(err);
  }
}

/**
 * The ingest chain for events another source has already decoded (sources/otlp): the same
 * transforms (validate → enrich → mask) and the same WAL commit as the endpoints here.
 * Resolves once the accepted events are fsync'd.
 */
export async function ingestForProject(
  deps: IngestDeps,
  req: IncomingMessage,
  project: string,
  events: readonly unknown[],
  bodyBytes: number,
  prefix: string,
): Promise<IngestResult> {
  const result = ingestEvents(events, metaOf(req, project, deps), bodyBytes, prefix, deps.maskerOf(project));
  await commit(deps, result);
  return result;
}

export function createIngestHandler(deps: IngestDeps) {
  return async function ingest(
    req: IncomingMessage,
    res: ServerResponse,
    kind: IngestKind,
    query: URLSearchParams | undefined,
    segmentType?: string,
  ): Promise<void> {
    try {
      // Fail fast on a bad credential in a header or query, before reading the body.
      if (credentialOf(req, query)) projectOf(deps.keys, req, query, undefined);
      const body = await readJsonBody(req, kind === 'batch' ? BATCH_LIMIT : EVENT_LIMIT);
      const project = projectOf(deps.keys, req, query, body.value);
      const meta = metaOf(req, project, deps);

      if (kind === 'batch') {
        const events = batchEvents(body.value);
        if (events.length > LIMITS.maxBatchEvents) throw errors.tooManyEvents(LIMITS.maxBatchEvents);
        const result = ingestEvents(events, meta, body.bytes, 'batch', deps.maskerOf(project));
        await commit(deps, result);
        if (result.accepted === 0 && result.rejected.length > 0) {
          const first = result.rejected[0] as (typeof result.rejected)[0];
          sendJson(res, 400, {
            error: { code: first.code, message: first.message, path: first.path },
            accepted: 0,
            rejected: result.rejected,
          });
          return;
        }
        sendJson(res, 200, {
          success: true,
          accepted: result.accepted,
          ...(result.rejected.length > 0 ? { rejected: result.rejected } : {}),
        });
        return;
      }

      let event = body.value;
      if (segmentType !== undefined && isDict(event)) {
        if (event.type === undefined) event = { ...event, type: segmentType };
        else if (event.type !== segmentType) {
          throw errors.invalidBody(
            `type must be "${segmentType}" on /v1/${segmentType} (or left out); send other types to /v1/e or in a /v1/batch`,
            'type',
          );
        }
      }
      const result = ingestEvents([event], meta, body.bytes, '', deps.maskerOf(project));
      const rejection = result.rejected[0];
      if (rejection) {
        const status = rejection.code === 'event_too_large' ? 413 : 400;
        sendJson(res, status, { error: { code: rejection.code, message: rejection.message, path: rejection.path } });
        return;
      }
      await commit(deps, result);
      if (kind === 'beacon') sendEmpty(res, 204);
      else sendJson(res, 200, { success: true });
    } catch (err) {
      sendError(res, err as FootprintError);
    }
  };
}
