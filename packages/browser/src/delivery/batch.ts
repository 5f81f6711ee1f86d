/**
 * Delivery limits in one place, and the batch wire format. A request body is the Segment
 * batch `{"sentAt":"<ISO>","batch":[<event>,...]}` posted as text/plain to
 * `/v1/batch?key=<write key>`: text/plain needs no CORS preflight and is what sendBeacon sends.
 */

/** Events kept while the collector cannot be reached; beyond it new events are dropped and reported. */
export const MAX_QUEUED = 250;
/** The collector's largest event, in UTF-8 bytes (its maxEventBytes). */
export const MAX_EVENT_BYTES = 32_768;
/** How long an event waits for others to share its request, in ms. */
export const FLUSH_DELAY_MS = 1000;
/**
 * Events per request; a request is sent at once when this many wait. Ten events of the
 * collector's largest (32 KB) stay under its 500 KB batch limit; ten ordinary events (under
 * 1 KB each) under the 64 KB browsers allow beacons and keepalive fetches in flight.
 */
export const BATCH_SIZE = 10;
/** Retry delays grow from RETRY_BASE_MS, doubling per failure, up to RETRY_MAX_MS. */
export const RETRY_BASE_MS = 2000;
export const RETRY_MAX_MS = 60_000;

/** The request body of serialized events. */
export const batchBody = (events: readonly string[]): string => `{"sentAt":"${new Date().toISOString()}","batch":[${events}]}`;

/**
 * Delay before retry number `attempt` (0-based): exponential and capped. (When the network
 * returns, the `online` event sends at once anyway.)
 */
export const retryDelay = (attempt: number): number => Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt);

/**
 * Whether a request is done with: on 2xx (stored), and on a 4xx that retrying unchanged cannot
 * fix (refused for good). Network failures (status 0), 408, 429 and 5xx are retried. (fetch
 * follows redirects, so a 3xx does not occur.)
 */
export const settled = (status: number): boolean => status > 0 && status < 500 && status !== 408 && status !== 429;
