/**
 * Event time. Like Segment, when the client sends `sentAt` the event's own timestamp is
 * shifted by the client's clock skew (receivedAt - sentAt), so a device with a wrong clock
 * still lands in the right minute. Without a client time the event takes the receive time.
 * A time without a zone (`2025-05-14T11:46:45`, common in Python logs) is read as UTC, never
 * in the collector's local zone.
 * https://segment.com/docs/connections/spec/common/#timestamp-overview
 */
const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;

/** Milliseconds since the epoch of an ISO-8601 text, UTC when it names no zone. */
export function parseIsoUtc(text: string): number {
  if (HAS_ZONE.test(text) || text.length <= 10) return Date.parse(text);
  return Date.parse(`${text}Z`);
}

export function eventTime(
  receivedAtMs: number,
  timestamp: string | undefined,
  originalTimestamp: string | undefined,
  sentAt: string | undefined,
): number {
  const own = timestamp ?? originalTimestamp;
  if (own === undefined) return receivedAtMs;
  const ownMs = parseIsoUtc(own);
  if (sentAt === undefined) return ownMs;
  return ownMs + (receivedAtMs - parseIsoUtc(sentAt));
}

/** 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the times a four-digit ISO-8601 year writes. */
const FIRST_MS = -62135596800000;
const LAST_MS = 253402300799999;

/**
 * Whether a computed event time can be stored: a year of four digits. A skew correction can
 * push a valid time out of that range (`9999-12-31` sent with a `sentAt` of 1990), and such a
 * time would be written as `+010036-…`, which the database refuses.
 */
export function storableTime(ms: number): boolean {
  return Number.isFinite(ms) && ms >= FIRST_MS && ms <= LAST_MS;
}
