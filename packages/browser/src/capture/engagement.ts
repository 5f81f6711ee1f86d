/**
 * Engagement of the current page view (dwell time and scroll depth): time counted
 * only while the tab is visible and the window focused, and the deepest point of the page the
 * viewport has reached, in percent of the page's height.
 */

/** Percent of `part` in `whole`, at most 100, with one decimal. */
export const percent = (part: number, whole: number): number => Math.min(100, Math.round((part / (whole || 1)) * 1000) / 10);

let engagedMs = 0;
let since: number | undefined;
let maxScroll = 0;

/** Adds the time since the last tick if it was engaged, and notes whether it is engaged now. */
function tick(): void {
  const t = Date.now();
  if (since) engagedMs += t - since;
  since = !document.hidden && document.hasFocus() ? t : undefined;
}

function measureScroll(): void {
  maxScroll = Math.max(maxScroll, percent(scrollY + innerHeight, document.documentElement.scrollHeight));
}

/** Starts watching focus, visibility and scrolling. */
export function startEngagement(): void {
  // Window focus and blur fire at the window; visibilitychange bubbles up to it. Scroll events
  // cannot be cancelled, so the listener never delays scrolling.
  for (const type of ['focus', 'blur', 'visibilitychange']) addEventListener(type, tick);
  addEventListener('scroll', measureScroll);
  tick();
}

/**
 * The engaged ms since the last take, and the deepest scroll % of the page view: one
 * engagement event (successive ones of a page view add up to its engaged time). `pause`
 * stops the count until the next focus or visibility change: the page is being hidden or left,
 * whatever `document.hidden` says yet.
 */
export function takeEngagement(pause?: boolean): { engaged_ms: number; max_scroll_pct: number } {
  tick();
  if (pause) since = undefined;
  const engaged_ms = engagedMs;
  engagedMs = 0;
  return { engaged_ms, max_scroll_pct: maxScroll };
}

/** A new page view starts: engagement counts from zero. */
export function restartEngagement(): void {
  takeEngagement();
  maxScroll = 0;
  measureScroll();
}
