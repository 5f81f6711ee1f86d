/**
 * @footprint/browser: records what visitors do in a web product (page views, clicks,
 * engagement, errors, your own events) and delivers it to a Footprint collector.
 *
 * One recorder per page: call `init` first; calls before it are ignored.
 * Importing this module has no side effect, so it is safe during server-side rendering (call
 * `init` in the browser only). No function here throws, whatever it is given: problems go to
 * `options.onError`.
 */
import { watchClicks } from './capture/clicks.js';
import { correlateRequests } from './capture/correlation.js';
import { watchErrors } from './capture/errors.js';
import { hidePageView, pageView, startPageViews } from './capture/pageviews.js';
import { clearQueue, flushOnHide, flush as flushQueue, startSender } from './delivery/sender.js';
import { emit, type Properties, safe } from './emit.js';
import { resetVisitor, setUser, visitor } from './identity/identity.js';
import { mirrorToDevice } from './identity/storage.js';
import { type FootprintOptions, resolveOptions } from './options.js';
import { blocked, setOptOut, startConsent } from './privacy/consent.js';
import { dict } from './privacy/sanitize.js';
import { onReport, report } from './report.js';

export type { Properties } from './emit.js';
export type { FootprintOptions } from './options.js';
export { VERSION } from './version.js';

let started = false;

/**
 * An API function: before init it does nothing. It never throws: whatever it is given, what
 * could fail (reading the page's objects, storage) is guarded where it happens.
 */
const api =
  <A extends unknown[]>(fn: (...args: A) => unknown) =>
  (...args: A): void =>
    void (started && fn(...args));

const nameOf = (value: unknown): string | false => (typeof value === 'string' || typeof value === 'number') && `${value}`.slice(0, 512);

/**
 * Starts recording. Only the first call counts (later ones do nothing); without a write key
 * nothing is recorded and `onError` (default: console.warn) says why.
 * @example
 * init({ writeKey: 'wk_123', host: 'https://fp.example.com', correlate: true });
 */
export function init(options: FootprintOptions): void {
  if (started) return;
  try {
    onReport(options?.onError);
    const o = resolveOptions(options, location.origin);
    mirrorToDevice(!o.cookieless);
    startConsent(o.dnt);
    // The session starts now, while the landing URL still has its utm_* parameters.
    if (!blocked()) visitor();
    startSender(`${o.host}/v1/batch?key=${encodeURIComponent(o.writeKey)}`);
    startPageViews(o.pageviews, o.hash);
    watchClicks(o.clicks);
    if (o.errors) watchErrors();
    if (o.correlate) correlateRequests();
    const hide = safe(() => {
      hidePageView();
      flushOnHide();
    });
    addEventListener('visibilitychange', () => document.hidden && hide());
    addEventListener('pagehide', hide);
    started = true;
  } catch (err) {
    report(err);
  }
}

/**
 * Records an action of the visitor.
 * @example
 * track('cart_add', { entity_type: 'product', entity_id: 11 });
 */
export const track: (event: string, properties?: Properties) => void = api((event: string, properties?: Properties) => {
  const name = nameOf(event);
  if (name) emit('track', { event: name, properties: dict(properties) });
  else report('track needs a name');
});

/**
 * Records a page view now (automatic page views need no call; use it with `pageviews: false`).
 * @example
 * page('Checkout', { step: 2 });
 */
export const page: (name?: string, properties?: Properties) => void = api((name?: string, properties?: Properties) => {
  pageView(nameOf(name) || undefined, dict(properties));
});

/**
 * Links the visitor to your user id; later events carry it. The `identify` event holds both
 * the anonymous id and the user id, which joins the visits before sign-in to the user.
 * @example
 * identify('u_42', { plan: 'pro' });
 */
export const identify: (userId: string | number, traits?: Properties) => void = api((userId: string | number, traits?: Properties) => {
  const id = nameOf(userId);
  if (!id || id.length > 256) {
    report('identify needs an id');
  } else {
    setUser(id);
    emit('identify', { traits: dict(traits) });
  }
});

/**
 * On logout: forgets the user id and starts a new anonymous id and session.
 * @example
 * reset();
 */
export const reset: () => void = api(resetVisitor);

/**
 * Stops recording on this device (remembered across visits) and drops unsent events.
 * @example
 * optOut();
 */
export const optOut: () => void = api(() => {
  setOptOut(true);
  clearQueue();
});

/**
 * Resumes recording after `optOut`.
 * @example
 * optIn();
 */
export const optIn: () => void = api(() => setOptOut(false));

/**
 * Sends queued events now; resolves when the collector has answered or the attempt failed.
 * @example
 * await flush();
 */
export const flush: () => Promise<void> = flushQueue;
