/**
 * The admin read API: GET /v1/events (behind the admin token; a write key gets 403).
 * Query parameters are checked one by one and an unknown one is an error, so a typo such
 * as `user=` instead of `user_id=` is reported instead of silently returning everything.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EVENT_TYPES, isCalendarDay } from '@footprint/schema';
import { errors, FootprintError } from '../../errors.js';
import type { KeyRing } from '../../projects/keys.js';
import { decodeCursor, type EventFilter, type EventStore, MAX_PAGE } from '../../query/events.js';
import { SinkUnavailableError } from '../../sinks/sink.js';
import { parseIsoUtc } from '../../transforms/enrich/timestamp.js';
import { credentialOf } from './auth.js';
import { sendError, sendJson } from './respond.js';

const PARAMS = new Set([
  'type',
  'event',
  'user_id',
  'anonymous_id',
  'session_id',
  'request_id',
  'trace_id',
  'level',
  'path',
  'route',
  'host',
  'error_fingerprint',
  'identities',
  'from',
  'to',
  'limit',
  'cursor',
  'project',
]);
const TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);
const DEFAULT_PAGE = 100;

/** Checks the admin token; a valid write key in its place gets 403, not 401. */
export function requireAdmin(keys: KeyRing, req: IncomingMessage): void {
  const cred = credentialOf(req, undefined);
  if (!cred) throw errors.missingAdminToken();
  if (cred.scheme === 'bearer' && keys.isAdmin(cred.value)) return;
  if (keys.isAdmin(cred.value)) throw errors.adminTokenAsBearer();
  if (keys.projectOf(cred.value)) throw errors.writeKeyCannotRead();
  throw errors.invalidAdminToken();
}

/** A date-time whose `+hh:mm` offset lost its `+` to URL decoding (an unencoded `+` is a space). */
const PLUS_AS_SPACE = /^(\d{4}-\d{2}-\d{2}[Tt ][\d:.]+) (\d{2}:?\d{2})$/;

function isoParam(q: URLSearchParams, name: string): string | undefined {
  const raw = q.get(name);
  if (raw === null) return undefined;
  const v = raw.replace(PLUS_AS_SPACE, '$1+$2');
  if (!/^\d{4}-\d{2}-\d{2}([Tt ][\d:.]+)?([Zz]|[+-]\d{2}:?\d{2})?$/.test(v) || Number.isNaN(parseIsoUtc(v)) || !isCalendarDay(v)) {
    throw errors.invalidQuery(name, 'must be an ISO-8601 date or date-time, e.g. 2026-02-04T11:17:16Z');
  }
  // A date or date-time without a zone means UTC, as event timestamps do.
  return new Date(parseIsoUtc(v)).toISOString();
}

/**
 * Levels of log and error events (`level=error,fatal` or repeated), as the event model names
 * them; `warning` (an error event's word) is stored as `warn`, so it finds those.
 */
const LEVELS: ReadonlySet<string> = new Set(['trace', 'debug', 'info', 'warn', 'warning', 'error', 'critical', 'fatal']);

function levelsOf(q: URLSearchParams): string[] | undefined {
  const levels = q.getAll('level').flatMap((l) => l.split(','));
  if (levels.length === 0) return undefined;
  for (const l of levels) if (!LEVELS.has(l)) throw errors.invalidQuery('level', `must be one of: ${[...LEVELS].join(', ')}`);
  return [...new Set(levels.map((l) => (l === 'warning' ? 'warn' : l)))];
}

export function parseEventFilter(q: URLSearchParams): EventFilter {
  for (const name of q.keys()) {
    if (!PARAMS.has(name)) throw errors.invalidQuery(name, `is not a filter; use one of: ${[...PARAMS].join(', ')}`);
    // Only type and level take several values: a second copy of another would be ignored without a word.
    if (name !== 'type' && name !== 'level' && q.getAll(name).length > 1) throw errors.invalidQuery(name, 'may be given once');
  }
  const limitRaw = q.get('limit');
  const limit = limitRaw === null ? DEFAULT_PAGE : /^\d{1,6}$/.test(limitRaw) ? Number(limitRaw) : Number.NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw errors.invalidQuery('limit', `must be a whole number from 1 to ${MAX_PAGE}`);
  }
  const types = q.getAll('type').flatMap((t) => t.split(','));
  for (const t of types) {
    if (!TYPES.has(t)) throw errors.invalidQuery('type', `must be one of: ${EVENT_TYPES.join(', ')}`);
  }
  const cursorRaw = q.get('cursor');
  const cursor = cursorRaw === null ? undefined : decodeCursor(cursorRaw);
  if (cursorRaw !== null && !cursor) throw errors.invalidQuery('cursor', 'is not a cursor from a previous page');
  const text = (name: string): string | undefined => {
    const v = q.get(name);
    if (v === '') throw errors.invalidQuery(name, 'must not be empty');
    return v ?? undefined;
  };
  const one = (name: string): string[] | undefined => {
    const v = text(name);
    return v === undefined ? undefined : [v];
  };
  return {
    limit,
    types,
    project: text('project'),
    event: text('event'),
    userIds: one('user_id'),
    anonymousIds: one('anonymous_id'),
    sessionId: text('session_id'),
    requestId: text('request_id'),
    traceId: text('trace_id'),
    levels: levelsOf(q),
    path: text('path'),
    route: text('route'),
    host: text('host'),
    errorFingerprint: text('error_fingerprint'),
    from: isoParam(q, 'from'),
    to: isoParam(q, 'to'),
    cursor,
  };
}

export interface ReadDeps {
  /** Anonymous ids linked to these user ids (by identify or alias events), in a project or in all. */
  linkedIds?: (project: string | undefined, userIds: string[]) => Promise<string[]>;
  keys: KeyRing;
  store: EventStore;
  /** The forms an id may be stored in (masking may store a user id hashed), in a project or in all. */
  storedForms?: (project: string | undefined, id: string) => string[];
  /** Unexpected failures (answered as 500): logged here. */
  onInternalError?: (err: unknown) => void;
}

export function createReadHandler({ keys, store, storedForms, linkedIds, onInternalError }: ReadDeps) {
  return async function listEvents(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    try {
      requireAdmin(keys, req);
      const filter = parseEventFilter(query);
      if (storedForms) {
        // The id as the application knows it finds the rows masking stored it hashed in.
        if (filter.userIds) filter.userIds = [...new Set(filter.userIds.flatMap((id) => storedForms(filter.project, id)))];
        if (filter.anonymousIds) filter.anonymousIds = [...new Set(filter.anonymousIds.flatMap((id) => storedForms(filter.project, id)))];
      }
      const identities = query.get('identities');
      if (identities !== null) {
        if (identities !== 'linked') throw errors.invalidQuery('identities', 'must be "linked"');
        if (!filter.userIds) throw errors.invalidQuery('identities', 'needs user_id: it adds the anonymous ids linked to that user');
        if (linkedIds) {
          try {
            filter.linkedAnonymousIds = await linkedIds(filter.project, filter.userIds);
          } catch (err) {
            throw err instanceof SinkUnavailableError ? errors.storageUnavailable(err) : err;
          }
        }
      }
      let page: Awaited<ReturnType<EventStore['listEvents']>>;
      try {
        page = await store.listEvents(filter);
      } catch (err) {
        throw err instanceof SinkUnavailableError ? errors.storageUnavailable(err) : err;
      }
      sendJson(res, 200, page);
    } catch (err) {
      if (!(err instanceof FootprintError)) onInternalError?.(err);
      sendError(res, err);
    }
  };
}
