/**
 * Wire limits of the ingestion API. They follow Segment's HTTP tracking API so that
 * existing Segment clients (which already split batches at these sizes) work unchanged.
 * Every limit has a stable name: error messages quote it so a user knows which one was hit.
 */
export const LIMITS = {
  /** Largest single event, in bytes of its JSON text (Segment: 32 KB). */
  maxEventBytes: 32 * 1024,
  /** Largest batch request body after decompression, in bytes (Segment: 500 KB). */
  maxBatchBytes: 500 * 1024,
  /** Largest number of events in one batch request. */
  maxBatchEvents: 2_500,
  /** Deepest nesting of objects and arrays inside one event. */
  maxDepth: 32,
  /** Longest identifier (messageId, userId, anonymousId, sessionId, ...), in characters. */
  maxIdLength: 256,
  /** Longest event or page name, in characters. */
  maxNameLength: 512,
} as const;

/** Human wording of a byte size for error messages ("32 KB"). */
export function formatBytes(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KB` : `${bytes} bytes`;
}
