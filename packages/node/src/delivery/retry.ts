/**
 * What to do with a collector's answer, and how long to wait before trying again. The rules
 * follow Segment's clients: retry network failures, 408, 429 and 5xx (but not 501 or 505,
 * which a retry cannot fix); drop other 4xx answers and count them. Waits grow exponentially
 * with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"), and a
 * `Retry-After` (RFC 9110 §10.2.3: seconds or an HTTP date) wins over the computed wait, but
 * is never shorter than the smallest wait.
 */

export type Verdict = 'delivered' | 'retry' | 'drop' | 'split';

export function verdictOf(status: number): Verdict {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 413) return 'split';
  if (status === 408 || status === 429) return 'retry';
  if (status >= 500 && status !== 501 && status !== 505) return 'retry';
  return 'drop';
}

/**
 * An HTTP date starts with its weekday (RFC 9110 §5.6.7: `Sun, 06 Nov 1994 08:49:37 GMT`, the
 * obsolete `Sunday, 06-Nov-94 08:49:37 GMT` and `Sun Nov  6 08:49:37 1994`); `Date.parse`
 * alone also takes text like `1.5`.
 */
const HTTP_DATE = /^[A-Za-z]{3,9},? .*\d{2}:\d{2}:\d{2}/;

/** Milliseconds a `Retry-After` header asks for, or undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const v = header.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!HTTP_DATE.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface BackoffConfig {
  minDelayMs: number;
  maxDelayMs: number;
  retryAfterMaxMs: number;
}

/**
 * Wait before attempt `attempt + 1` (attempt counts failures so far, from 1).
 * @example backoffMs(3, undefined, { minDelayMs: 250, maxDelayMs: 30_000, retryAfterMaxMs: 600_000 }) // 250..1000
 */
export function backoffMs(attempt: number, retryAfter: number | undefined, c: BackoffConfig, random = Math.random): number {
  // Never sooner than minDelayMs: `Retry-After: 0` or a date already past (clock skew) from a
  // failing collector would otherwise make a tight loop of retries.
  if (retryAfter !== undefined) return Math.max(c.minDelayMs, Math.min(retryAfter, c.retryAfterMaxMs));
  const ceiling = Math.min(c.maxDelayMs, c.minDelayMs * 2 ** Math.min(attempt - 1, 30));
  return c.minDelayMs + random() * Math.max(0, ceiling - c.minDelayMs);
}
