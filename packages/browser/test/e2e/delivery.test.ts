/**
 * Delivery in real Chromium against the real collector: nothing is lost over an offline
 * period, across a page close, or while the collector is unreachable or failing, and a
 * retry never counts an event twice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertCleanDelivery } from './support/assertions.js';
import { newPage } from './support/browser.js';
import { anonymousIdOf, type Environment, startEnvironment, waitForEvents, waitForPageViews } from './support/footprint.js';
import { multiPageSite } from './support/pages.js';
import { type Site, startSite } from './support/site.js';

let env: Environment;
let site: Site;

declare const footprint: typeof import('../../src/index.js');

before(async () => {
  env = await startEnvironment();
  site = await startSite(multiPageSite(env.collector.url));
});

after(async () => {
  await site.close();
  await env.close();
});

const tracked = (rows: Array<Record<string, any>>, prefix: string): string[] =>
  rows.filter((r) => r.type === 'track' && String(r.event).startsWith(prefix)).map((r) => r.event as string);

describe('delivery', () => {
  it('loses nothing over an offline period: what happened offline is sent when the network returns', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/`);
    const anonymousId = await anonymousIdOf(page);
    await waitForPageViews(env.collector.url, anonymousId, 1);
    await context.setOffline(true);
    for (let i = 0; i < 25; i++) await page.evaluate((n) => footprint.track(`offline_${n}`), i);
    await page.click('#buy');
    // The SDK tried while offline: the events wait in localStorage.
    await page.waitForFunction(() => (localStorage.getItem('fp_q') ?? '').includes('offline_24'));
    await page.evaluate(() => footprint.flush());
    await context.setOffline(false);
    const rows = await waitForEvents(
      env.collector.url,
      anonymousId,
      (r) => tracked(r, 'offline_').length >= 25 && r.some((e) => e.type === 'click') && r,
      'every event of the offline period',
    );
    assert.deepEqual(
      tracked(rows, 'offline_').sort(),
      Array.from({ length: 25 }, (_, i) => `offline_${i}`).sort(),
      'each event exactly once',
    );
    assert.equal(await page.evaluate(() => localStorage.getItem('fp_q')), null, 'the queue is empty once delivered');
    assertCleanDelivery(watch);
    await context.close();
  });

  it('delivers an event tracked just before the page is closed', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/`);
    const anonymousId = await anonymousIdOf(page);
    await page.evaluate(() => footprint.track('last_words', { step: 3 }));
    await page.close({ runBeforeUnload: true });
    const rows = await waitForEvents(env.collector.url, anonymousId, (r) => tracked(r, 'last_words').length > 0 && r, 'the last event');
    assert.deepEqual(tracked(rows, 'last_words'), ['last_words']);
    assert.ok(
      rows.some((r) => r.type === 'page'),
      'the page view still waiting to be sent went too',
    );
    assertCleanDelivery(watch);
    await context.close();
  });

  it('keeps events while the collector is unreachable and sends them from the next page load', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await context.route(`${env.collector.url}/v1/batch*`, (route) => route.abort('connectionrefused'));
    await page.goto(`${site.url}/`);
    const anonymousId = await anonymousIdOf(page);
    await page.evaluate(() => {
      footprint.track('unreachable_1');
      footprint.track('unreachable_2');
      return footprint.flush();
    });
    await page.close();
    await context.unroute(`${env.collector.url}/v1/batch*`);
    const next = await context.newPage();
    await next.goto(`${site.url}/about`);
    const rows = await waitForEvents(
      env.collector.url,
      anonymousId,
      (r) => tracked(r, 'unreachable_').length >= 2 && r.filter((e) => e.type === 'page').length >= 2 && r,
      'the events of the closed page and the new page view',
    );
    assert.deepEqual(tracked(rows, 'unreachable_').sort(), ['unreachable_1', 'unreachable_2']);
    assert.deepEqual(
      rows.filter((r) => r.type === 'page').map((r) => r.path),
      ['/', '/about'],
    );
    assertCleanDelivery(watch);
    await context.close();
  });

  it('retries after a failing collector answer and after a lost answer without counting an event twice', async () => {
    const { context, page, watch } = await newPage(env.browser);
    let requests = 0;
    await context.route(`${env.collector.url}/v1/batch*`, async (route) => {
      requests++;
      if (requests === 1) return route.fulfill({ status: 503, body: '{"error":{"code":"shutting_down"}}' });
      if (requests === 2) {
        // The collector stores the batch, but its answer never reaches the page.
        await route.fetch();
        return route.abort('connectionreset');
      }
      return route.continue();
    });
    await page.goto(`${site.url}/`);
    const anonymousId = await anonymousIdOf(page);
    await page.evaluate(() => {
      footprint.track('retried_1');
      footprint.track('retried_2');
    });
    const rows = await waitForEvents(
      env.collector.url,
      anonymousId,
      (r) => requests >= 3 && tracked(r, 'retried_').length >= 2 && r,
      'the retried events',
    );
    await page.evaluate(() => footprint.flush());
    assert.deepEqual(tracked(rows, 'retried_').sort(), ['retried_1', 'retried_2'], 'stored once although sent twice');
    assert.equal(rows.filter((r) => r.type === 'page').length, 1);
    assert.ok(watch.sent.filter((e) => e.event === 'retried_1').length >= 2, 'the event was sent more than once');
    await context.close();
  });
});
