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
