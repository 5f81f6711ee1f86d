/**
 * The pieces every end-to-end test file shares: one real collector (in this process, with a
 * real WAL and DuckDB file), one Chromium, the SDK's script tag as served by the collector,
 * and reads of what landed in the database through the admin read API.
 */
import type { Browser, Page } from 'playwright-core';
import { eventually, type InProcess, listAll, startInProcess, WRITE_KEY } from '../../../../collector/test/support/collector.js';
import { launchChromium } from './browser.js';

export { WRITE_KEY };

/** A stored event as the read API answers it (the columns of docs/events.md). */
export type Row = Record<string, any>;

export interface Environment {
  collector: InProcess;
  browser: Browser;
  close(): Promise<void>;
}

export async function startEnvironment(): Promise<Environment> {
  const [collector, browser] = await Promise.all([startInProcess(), launchChromium()]);
  return {
    collector,
    browser,
    async close() {
      await browser.close();
      await collector.dispose();
    },
  };
}

/** The SDK's tag, loaded from the collector, with further data-* attributes. */
export function scriptTag(collectorUrl: string, attributes: Record<string, string> = {}): string {
  const extra = Object.entries(attributes)
    .map(([name, value]) => ` data-${name}="${value}"`)
    .join('');
  return `<script src="${collectorUrl}/fp.js" data-key="${WRITE_KEY}"${extra}></script>`;
}

/** The anonymous id the SDK keeps for this page's site. */
export function anonymousIdOf(page: Page): Promise<string> {
  return page.evaluate(() => (JSON.parse(localStorage.getItem('fp') ?? '{}') as { a: string }).a);
}

/** Every stored event of an anonymous id, oldest first. */
export async function eventsOf(collectorUrl: string, anonymousId: string): Promise<Row[]> {
  const rows = await listAll(collectorUrl, `anonymous_id=${encodeURIComponent(anonymousId)}`);
  return rows.reverse();
}

/** Waits until `check` finds what it needs in the events of an anonymous id, and answers it. */
export function waitForEvents<T>(
  collectorUrl: string,
  anonymousId: string,
  check: (rows: Row[]) => T | undefined | false,
  what: string,
): Promise<T> {
  return eventually(
    async () => {
      const found = check(await eventsOf(collectorUrl, anonymousId));
      return found === false ? undefined : found;
    },
    20_000,
    what,
  );
}

/** The JSON columns of a row, parsed. */
export const json = (value: unknown): any => (typeof value === 'string' ? JSON.parse(value) : value);

/** Waits until `count` page views of an anonymous id are stored, and answers them oldest first. */
export function waitForPageViews(collectorUrl: string, anonymousId: string, count: number): Promise<Row[]> {
  return waitForEvents(
    collectorUrl,
    anonymousId,
    (rows) => {
      const pages = rows.filter((r) => r.type === 'page');
      return pages.length >= count && pages;
    },
    `${count} page views`,
  );
}
