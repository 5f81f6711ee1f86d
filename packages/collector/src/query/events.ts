/**
 * The event listing of the read API: filters, newest first, keyset pagination. The cursor
 * is the (timestamp, project_id, id, received_at) of the last row of a page, opaque to
 * clients (base64url JSON), so paging stays exact while new events arrive. An id is unique
 * only per project, and the same id may be stored again after the dedup window: those four
 * together are unique (copies with one received_at are one event).
 */
import { COLUMNS } from '../model/columns.js';

export const MAX_PAGE = 10_000;

export interface EventFilter {
  project?: string;
  types?: string[];
  event?: string;
  /** Any of these user ids: the id as given and the form masking stores it in (a hash). */
  userIds?: string[];
  /** Any of these anonymous ids (as userIds). */
  anonymousIds?: string[];
  /**
   * With userIds: also the events of these anonymous ids (the visits before the user signed
   * in, linked by identify or alias events), so one person's journey reads as one.
   */
  linkedAnonymousIds?: string[];
  sessionId?: string;
  /** One request's events: its `request` event and the logs, errors and business events written during it. */
  requestId?: string;
  /** One distributed trace's events, across services. */
  traceId?: string;
  /** Log and error events of any of these levels. */
  levels?: string[];
  path?: string;
  /** The route template of request events (`/api/orders/:id`). */
  route?: string;
  host?: string;
  /** The errors of one group (same type, message shape and place). */
  errorFingerprint?: string;
  /** Inclusive lower bound, ISO-8601. */
  from?: string;
  /** Exclusive upper bound, ISO-8601. */
  to?: string;
  limit: number;
  cursor?: Cursor;
}

export interface Cursor {
  t: string;
  id: string;
  /** project_id and received_at of the row. */
  p: string;
  r: string;
}

export interface EventPage {
  events: Record<string, unknown>[];
  next_cursor: string | null;
}

/** Reads events; implemented per storage engine. */
export interface EventStore {
  listEvents(filter: EventFilter): Promise<EventPage>;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

/** A time as the listing writes it (`2026-11-23T07:04:05.152Z`), of a day that exists. */
function cursorTime(v: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v)) return false;
  const ms = Date.parse(v);
  // toISOString gives the text back only for a day and time that exist.
  return !Number.isNaN(ms) && new Date(ms).toISOString() === v;
}

/** Decodes a cursor; undefined when it is not one this API made. */
export function decodeCursor(s: string): Cursor | undefined {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (typeof v !== 'object' || v === null) return undefined;
    const { t, id, p, r } = v as Record<string, unknown>;
    if (typeof t !== 'string' || typeof id !== 'string' || !cursorTime(t)) return undefined;
    // A cursor of an earlier version (no p, r) came from another order: it is refused, and the
    // client starts its listing again.
    if (typeof p !== 'string' || typeof r !== 'string' || !cursorTime(r)) return undefined;
    return { t, id, p, r };
  } catch {
    return undefined;
  }
}

export const JSON_COLUMNS: ReadonlySet<string> = new Set(COLUMNS.filter((c) => c.type === 'json').map((c) => c.name));
