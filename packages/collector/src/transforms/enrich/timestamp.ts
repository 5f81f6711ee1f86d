/**
 * Event time. Like Segment, when the client sends `sentAt` the event's own timestamp is
 * shifted by the client's clock skew (receivedAt - sentAt), so a device with a wrong clock
 * still lands in the right minute. Without a client time the event takes the receive time.
 * https://segment.com/docs/connections/spec/common/#timestamp-overview
 */
export function eventTime(
  receivedAtMs: number,
  timestamp: string | undefined,
  originalTimestamp: string | undefined,
  sentAt: string | undefined,
): number {
  const own = timestamp ?? originalTimestamp;
  if (own === undefined) return receivedAtMs;
  const ownMs = Date.parse(own);
  if (sentAt === undefined) return ownMs;
  return ownMs + (receivedAtMs - Date.parse(sentAt));
}
