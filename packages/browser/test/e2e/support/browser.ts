/**
 * Real headless Chromium for end-to-end tests: Debian's /usr/bin/chromium driven by
 * playwright-core (no downloaded browsers). Playwright gives each launch a fresh temporary
 * user-data-dir; each test takes a new context (own storage, cookies, network conditions).
 * Launch one browser per test file: it is the slow part.
 */
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** What reached the collector from a page, and what went wrong in it. */
export interface PageWatch {
  /** Every event the SDK posted (fetch or beacon), as sent. */
  sent: Array<Record<string, any>>;
  /** Status and parsed body of every answer to a batch the SDK sent. */
  batches: Array<{ status: number; body: unknown }>;
  /** Uncaught errors in the page (the SDK must never cause one). */
  pageErrors: Error[];
  /** Messages the page logged with console.warn or console.error. */
  warnings: string[];
}

/** Records the SDK's deliveries and the page's errors for later assertions. */
export function watchPage(page: Page): PageWatch {
  const watch: PageWatch = { sent: [], batches: [], pageErrors: [], warnings: [] };
  page.on('request', (req) => {
    if (req.url().includes('/v1/batch')) watch.sent.push(...(JSON.parse(req.postData() ?? '{"batch":[]}') as { batch: [] }).batch);
  });
  page.on('pageerror', (err) => watch.pageErrors.push(err));
  page.on('console', (msg) => {
    if (msg.type() === 'warning' || msg.type() === 'error') watch.warnings.push(msg.text());
  });
  page.on('response', async (res) => {
    if (!res.url().includes('/v1/batch')) return;
    const text = await res.text().catch(() => '');
    watch.batches.push({ status: res.status(), body: text ? JSON.parse(text) : null });
  });
  return watch;
}

/** A new isolated context (fresh storage) with one page. */
export async function newPage(browser: Browser): Promise<{ context: BrowserContext; page: Page; watch: PageWatch }> {
  const context = await browser.newContext();
  // Test callbacks run in the page are compiled by tsx, which names functions with a __name
  // helper that exists only in Node.
  await context.addInitScript('window.__name = (fn) => fn');
  const page = await context.newPage();
  return { context, page, watch: watchPage(page) };
}
