/**
 * The one place the SDK reports what it swallowed instead of throwing into the page: a
 * dropped or refused event, bad input to the API, a failed init. `options.onError` receives
 * each one as an Error; by default they go to console.warn.
 */

const warn = (error: Error): void => console.warn('footprint:', error.message);
let handler: (error: Error) => void = warn;

/** Sends reports to `fn` (the onError option) from now on; without one, to console.warn. */
export function onReport(fn?: (error: Error) => void): void {
  handler = fn || warn;
}

/** Reports a problem (an Error, or its message); never throws, even when the handler does. */
export function report(problem: unknown): void {
  try {
    handler(Error(`${problem}`));
  } catch {}
}
