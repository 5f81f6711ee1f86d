/**
 * The one seam between capture and delivery. Capture modules and the API call `emit` with an
 * event's type and its own fields; emit adds what every event of the model carries
 * (docs/events.md): a fresh `messageId`, `anonymousId`, `userId` and `sessionId` of the
 * moment, `timestamp`, and `context` {page, campaign, library}; it serializes the event
 * safely (privacy/sanitize.ts) and queues it. It never throws: a failure is reported.
 */
import { MAX_EVENT_BYTES } from './delivery/batch.js';
import { enqueue } from './delivery/sender.js';
import { newId, visitor } from './identity/identity.js';
import { blocked } from './privacy/consent.js';
import { serialize } from './privacy/sanitize.js';
import { report } from './report.js';
import { VERSION } from './version.js';

/** `context.page` of the event model. */
export interface PageContext {
  url: string;
  path: string;
  search: string;
  title: string;
  referrer: string;
}

export type Properties = Record<string, unknown>;

const now = (): string => new Date().toISOString();

/** The page as it is now; `referrer` is the document's. */
export const currentPage = (referrer = document.referrer): PageContext => ({
  url: location.href,
  path: location.pathname,
  search: location.search,
  title: document.title,
  referrer,
});

/**
 * Records one event. `fields` are its type-specific fields (`properties`, `event`, `name`,
 * `traits`, or a preset `messageId`); `page` replaces the current page context.
 */
export function emit(type: string, fields: Properties, page?: PageContext): void {
  if (blocked()) return;
  try {
    const v = visitor();
    const json = serialize({
      type,
      messageId: newId(),
      anonymousId: v.a,
      userId: v.u,
      sessionId: v.s,
      timestamp: now(),
      context: {
        page: page ?? currentPage(),
        campaign: v.c,
        library: { name: '@footprint/browser', version: VERSION },
      },
      ...fields,
    });
    // Larger events are refused by the collector, and would take the rest of their batch along.
    if (new Blob([json]).size > MAX_EVENT_BYTES) report(`${type} over 32 KB`);
    else enqueue(json);
  } catch (err) {
    report(err);
  }
}

/** Wraps a listener so that nothing it does can throw into the page. */
export const safe =
  <A extends unknown[]>(fn: (...args: A) => unknown) =>
  (...args: A): void => {
    try {
      fn(...args);
    } catch {}
  };
