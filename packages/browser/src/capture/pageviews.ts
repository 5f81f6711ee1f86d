/**
 * Page views, also of single-page apps, and the engagement events that close each of them.
 *
 * A new page view starts on load, and when history.pushState, history.replaceState or popstate
 * change the path (with the `hash` option also the hash, on hashchange too). A change of the
 * query alone, such as a redirect dropping utm_* parameters or a filter, stays the same page
 * view. It is sent NAVIGATION_SETTLE_MS later, with the title the app has set by then; a
 * navigation within that time replaces it, so a client-side redirect chain counts once.
 * Its `messageId` is the `page_view_id` of its engagement events, sent when the page is hidden
 * or left and when the next page view starts, if the visitor was engaged since the last one.
 */
import { currentPage, emit, type PageContext, type Properties, safe } from '../emit.js';
import { newId } from '../identity/identity.js';
import { blocked } from '../privacy/consent.js';
import { restartEngagement, startEngagement, takeEngagement } from './engagement.js';

export const NAVIGATION_SETTLE_MS = 100;

interface View {
  id: string;
  page: PageContext;
  sent?: boolean;
}

let view: View | undefined;
let referrer = '';
let hashRoutes = false;
let lastPath = '';

const pathKey = (): string => location.pathname + (hashRoutes ? location.hash : '');

/** Sends the engagement of the current page view since the last one, if the visitor was engaged. */
function engaged(pause?: boolean): void {
  if (view?.sent) {
    const e = takeEngagement(pause);
    if (e.engaged_ms) emit('engagement', { properties: { ...e, page_view_id: view.id } }, view.page);
  }
}

/** Sends the page event of `v`, once. */
function send(v: View, name?: string, properties?: Properties): void {
  if (v.sent) return;
  v.sent = true;
  v.page.title = document.title;
  emit('page', { messageId: v.id, name, properties }, v.page);
  referrer = v.page.url;
  restartEngagement();
}

/**
 * Ends the current page view and starts the next; it is sent after `settleMs` unless replaced
 * by then. While recording is not allowed (opt-out) no page view starts: a later optIn does
 * not send the view of a page loaded before it.
 */
function start(settleMs: number, name?: string, properties?: Properties): void {
  engaged();
  if (blocked()) return void (view = undefined);
  const v: View = (view = { id: newId(), page: currentPage(referrer) });
  if (settleMs) setTimeout(() => v === view && send(v), settleMs);
  else send(v, name, properties);
}

function navigated(): void {
  if (pathKey() !== lastPath) {
    lastPath = pathKey();
    start(NAVIGATION_SETTLE_MS);
  }
}

/** Starts page views (automatic ones when `auto`) and engagement measurement. */
export function startPageViews(auto: boolean, hash: boolean): void {
  referrer = document.referrer;
  hashRoutes = hash;
  lastPath = pathKey();
  startEngagement();
  if (auto) {
    const moved = safe(navigated);
    for (const method of ['pushState', 'replaceState'] as const) {
      const original = history[method];
      history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
        original.apply(this, args);
        moved();
      };
    }
    addEventListener('popstate', moved);
    if (hash) addEventListener('hashchange', moved);
    start(NAVIGATION_SETTLE_MS);
  }
}

/** A page view now (the `page()` API). */
export const pageView = (name?: string, properties?: Properties): void => start(0, name, properties);

/** The page is being hidden or left: send the pending page view and the engagement so far. */
export function hidePageView(): void {
  if (view) send(view);
  engaged(true);
}
