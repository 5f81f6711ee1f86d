/**
 * ISO-8601 timestamps for every event, made cheaply: `Date#toISOString` costs about a
 * microsecond, and a busy server stamps an event per request, so the text up to the second
 * is kept and only the milliseconds are written anew.
 */
let cachedSecond = Number.NaN;
let cachedPrefix = '';

/**
 * The same text as `new Date(ms).toISOString()`.
 * @example isoTime(0) // '1970-01-01T00:00:00.000Z'
 */
export function isoTime(ms: number = Date.now()): string {
  if (!(ms >= 0 && ms < 253402300800000)) return new Date(Number.isFinite(ms) ? ms : Date.now()).toISOString();
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const milli = ms - second * 1000;
  return `${cachedPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${Math.floor(milli)}Z`;
}
