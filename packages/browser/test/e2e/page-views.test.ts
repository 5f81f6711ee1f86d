/**
 * Page views and engagement in real Chromium against the real collector: a multi-page site,
 * a single-page app, hash routes, and campaign attribution that survives redirects.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertCleanDelivery } from './support/assertions.js';
import { newPage } from './support/browser.js';
import { anonymousIdOf, type Environment, json, type Row, startEnvironment, waitForEvents, waitForPageViews } from './support/footprint.js';
import { hashRoutedPage, multiPageSite, singlePageApp } from './support/pages.js';
import { type Site, startSite } from './support/site.js';

let env: Environment;
let site: Site;

before(async () => {
  env = await startEnvironment();
  site = await startSite({
    ...multiPageSite(env.collector.url),
    ...singlePageApp(env.collector.url),
    ...hashRoutedPage(env.collector.url),
  });
});

after(async () => {
  await site.close();
  await env.close();
});

const pagesOf = (rows: Row[]): Row[] => rows.filter((r) => r.type === 'page');

describe('page views', () => {
  it('records a page view per page load with url, path, title and referrer', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/`);
    await page.click('#to-about');
    await page.waitForURL('**/about');
    const anonymousId = await anonymousIdOf(page);
    const pages = await waitForPageViews(env.collector.url, anonymousId, 2);
    assert.deepEqual(
      pages.map((p) => [p.url, p.path, p.title]),
      [
        [`${site.url}/`, '/', 'Home'],
        [`${site.url}/about`, '/about', 'About'],
      ],
    );
    assert.equal(pages[1]?.referrer, `${site.url}/`);
    assert.equal(pages[0]?.session_id, pages[1]?.session_id, 'both pages are one session');
    assertCleanDelivery(watch);
    await context.close();
  });

  it('records single-page-app navigation: pushState and popstate start page views, a replaceState of the query alone does not', async () => {
    const { context, page, watch } = await newPage(env.browser);
    // Each step waits for its page view to be stored: a navigation within 100 ms of the previous
    // one replaces it (a redirect), which a quick test would otherwise trigger.
    await page.goto(`${site.url}/app/`);
    const anonymousId = await anonymousIdOf(page);
    await waitForPageViews(env.collector.url, anonymousId, 1);
    await page.click('#to-products');
    await waitForPageViews(env.collector.url, anonymousId, 2);
    await page.click('#filter');
    await page.waitForURL('**/app/products?sort=price');
    await page.goBack();
    await page.waitForURL('**/app/');
    const pages = await waitForPageViews(env.collector.url, anonymousId, 3);
    assert.deepEqual(
      pages.map((p) => [p.path, p.title, p.referrer ?? '']),
      [
        ['/app/', 'Start', ''],
        ['/app/products', 'Products', `${site.url}/app/`],
        ['/app/', 'Start', `${site.url}/app/products`],
      ],
      'the titles are those the app set after navigating',
    );
    assertCleanDelivery(watch);
    await context.close();
  });

  it('counts hash routes as page views with data-hash', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/hash`);
    const anonymousId = await anonymousIdOf(page);
    await waitForPageViews(env.collector.url, anonymousId, 1);
    await page.click('#to-a');
    await waitForPageViews(env.collector.url, anonymousId, 2);
    await page.click('#to-b');
    const pages = await waitForPageViews(env.collector.url, anonymousId, 3);
    assert.deepEqual(
      pages.map((p) => p.url),
      [`${site.url}/hash`, `${site.url}/hash#/a`, `${site.url}/hash#/b`],
    );
    assertCleanDelivery(watch);
    await context.close();
  });
});

describe('engagement', () => {
  it('sends engaged time and scroll depth when an SPA navigation replaces the page and when the page is left', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/app/`);
    const anonymousId = await anonymousIdOf(page);
    await waitForPageViews(env.collector.url, anonymousId, 1);
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await page.click('#to-products');
    await waitForPageViews(env.collector.url, anonymousId, 2);
    await page.goto(`${site.url}/about`);
    const elapsed = await page.evaluate(() => Date.now());
    const rows = await waitForEvents(
      env.collector.url,
      anonymousId,
      (r) => r.filter((e) => e.type === 'engagement').length >= 2 && r,
      'two engagement events',
    );
    const [start, products] = pagesOf(rows);
    const engagement = rows.filter((r) => r.type === 'engagement');
    const ofStart = engagement.filter((e) => json(e.properties).page_view_id === start?.id);
    const ofProducts = engagement.filter((e) => json(e.properties).page_view_id === products?.id);
    assert.equal(ofStart.length, 1, 'one engagement event closes the first page view');
    assert.equal(ofProducts.length, 1, 'one engagement event closes the second page view');
    const first = json(ofStart[0]?.properties);
    assert.ok(first.engaged_ms > 0, `engaged_ms ${first.engaged_ms}`);
    assert.ok(first.engaged_ms <= elapsed - Date.parse(start?.timestamp), 'no more engaged time than time on the page');
    assert.equal(first.max_scroll_pct, 100, 'scrolled to the bottom');
    assert.equal(ofStart[0]?.duration_ms, first.engaged_ms, 'engaged_ms is stored as duration_ms');
    assert.equal(ofStart[0]?.path, '/app/', 'the engagement event is about the page it measures');
    assert.ok(json(ofProducts[0]?.properties).max_scroll_pct < 100, 'the second page was not scrolled');
    assertCleanDelivery(watch);
    await context.close();
  });

  it('counts no engaged time while the page is hidden', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/about`);
    // The page's own start: its engaged time cannot begin before it (a Date.now() read after
    // goto() comes later by the load and a round trip, which a slow machine makes long).
    const loadedAt = await page.evaluate(() => performance.timeOrigin);
    const anonymousId = await anonymousIdOf(page);
    await waitForPageViews(env.collector.url, anonymousId, 1);
    // Headless Chromium keeps every page visible, so the page reports itself hidden for a while,
    // as a browser does when its tab goes to the background.
    const setHidden = (hidden: boolean) =>
      page.evaluate((h) => {
        Object.defineProperty(document, 'hidden', { value: h, configurable: true });
        Object.defineProperty(document, 'visibilityState', { value: h ? 'hidden' : 'visible', configurable: true });
        document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
        return Date.now();
      }, hidden);
    const hiddenAt = await setHidden(true);
    await page.waitForTimeout(1_000);
    const shownAt = await setHidden(false);
    await page.click('#to-home');
    await page.waitForURL(`${site.url}/`);
    const leftAt = await page.evaluate(() => Date.now());
    const rows = await waitForEvents(
      env.collector.url,
      anonymousId,
      (r) => r.filter((e) => e.type === 'engagement').length >= 2 && r,
      'an engagement event when hidden and one when left',
    );
    const engaged = rows.filter((r) => r.type === 'engagement').map((r) => json(r.properties).engaged_ms as number);
    const total = engaged.reduce((a, b) => a + b, 0);
    assert.ok(total > 0);
    assert.ok(total <= leftAt - loadedAt - (shownAt - hiddenAt), `engaged ${total} ms includes hidden time`);
    assertCleanDelivery(watch);
    await context.close();
  });
});

describe('attribution', () => {
  it('keeps the landing UTM and click id on every event of the session after a redirect drops them', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/landing?utm_source=newsletter&utm_medium=email&utm_campaign=spring&gclid=g-123`);
    await page.waitForURL(`${site.url}/about`);
    await page.click('#to-home');
    await page.waitForURL(`${site.url}/`);
    await page.click('#buy');
    const anonymousId = await anonymousIdOf(page);
    const rows = await waitForEvents(
      env.collector.url,
      anonymousId,
      (r) => r.some((e) => e.type === 'click') && pagesOf(r).length >= 3 && r,
      'three page views and a click',
    );
    // The landing page and the page it redirects to are viewed milliseconds apart, and each
    // stored time is corrected by its own request's clock skew (receivedAt - sentAt), so
    // those two may be stored in either order; the page reached by a click comes last.
    const paths = pagesOf(rows).map((p) => p.path);
    assert.deepEqual([...paths].sort(), ['/', '/about', '/landing']);
    assert.equal(paths.at(-1), '/');
    for (const row of rows) {
      assert.deepEqual([row.utm_source, row.utm_medium, row.utm_campaign], ['newsletter', 'email', 'spring'], `${row.type} ${row.path}`);
      assert.equal(json(row.context).campaign.gclid, 'g-123');
    }
    assertCleanDelivery(watch);
    await context.close();
  });

  it('keeps the UTM of a single-page-app landing that drops them with replaceState and redirects with pushState', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/app/landing?utm_source=ads&utm_medium=cpc&utm_campaign=launch`);
    await page.waitForURL(`${site.url}/app/register`);
    const anonymousId = await anonymousIdOf(page);
    await waitForPageViews(env.collector.url, anonymousId, 1);
    await page.click('#to-products');
    const pages = await waitForPageViews(env.collector.url, anonymousId, 2);
    assert.deepEqual(
      pages.map((p) => [p.path, p.utm_source, p.utm_medium, p.utm_campaign]),
      [
        ['/app/register', 'ads', 'cpc', 'launch'],
        ['/app/products', 'ads', 'cpc', 'launch'],
      ],
      'the redirect within the first moment counts as one page view',
    );
    assertCleanDelivery(watch);
    await context.close();
  });
});
