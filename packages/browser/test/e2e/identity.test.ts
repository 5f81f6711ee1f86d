/**
 * Identity and consent in real Chromium against the real collector: the anonymous id across
 * visits, the session across pages, identify() linking, reset() on logout, cookieless mode,
 * opt-out and Global Privacy Control.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, listAll } from '../../../collector/test/support/collector.js';
import { assertCleanDelivery } from './support/assertions.js';
import { newPage } from './support/browser.js';
import { anonymousIdOf, type Environment, json, startEnvironment, waitForEvents, waitForPageViews } from './support/footprint.js';
import { multiPageSite, optionsPage } from './support/pages.js';
import { type Site, startSite } from './support/site.js';

let env: Environment;
let site: Site;

declare const footprint: typeof import('../../src/index.js');

before(async () => {
  env = await startEnvironment();
  site = await startSite({
    ...multiPageSite(env.collector.url),
    '/cookieless': optionsPage(env.collector.url, { cookieless: '' }),
    '/gpc': optionsPage(env.collector.url, { dnt: 'true' }),
  });
});

after(async () => {
  await site.close();
  await env.close();
});

describe('sessions and identity', () => {
  it('keeps the anonymous id across visits and one session across pages and tabs', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/`);
    const anonymousId = await anonymousIdOf(page);
    await page.close();
    const tab = await context.newPage();
    await tab.goto(`${site.url}/about`);
    assert.equal(await anonymousIdOf(tab), anonymousId);
    const pages = await waitForPageViews(env.collector.url, anonymousId, 2);
    assert.equal(new Set(pages.map((p) => p.session_id)).size, 1);
    assertCleanDelivery(watch);
    await context.close();
  });

  it('links the anonymous visitor to the user on identify, and later events carry the user id', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/`);
    const anonymousId = await anonymousIdOf(page);
    await waitForPageViews(env.collector.url, anonymousId, 1);
    await page.evaluate(() => footprint.identify('u_42', { plan: 'pro', email: 'kim@example.com' }));
    await page.click('#buy');
    const rows = await waitForEvents(env.collector.url, anonymousId, (r) => r.some((e) => e.type === 'click') && r, 'the click');
    const [view, identify, click] = rows;
    assert.equal(view?.type, 'page');
    assert.equal(view?.user_id, undefined, 'before sign-in the visitor is anonymous');
    assert.equal(identify?.type, 'identify');
    assert.deepEqual([identify?.anonymous_id, identify?.user_id], [anonymousId, 'u_42'], 'the identify event joins both ids');
    assert.deepEqual(json(identify?.traits), { plan: 'pro', email: '[email]' });
    assert.deepEqual([click?.anonymous_id, click?.user_id], [anonymousId, 'u_42']);
    assertCleanDelivery(watch);
    await context.close();
  });

  it('forgets the user and starts a new anonymous id and session on reset', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/`);
    const before = await anonymousIdOf(page);
    const firstSession = (await waitForPageViews(env.collector.url, before, 1))[0]?.session_id;
    await page.evaluate(() => {
      footprint.identify('u_7');
      footprint.reset();
      footprint.track('signed_out');
    });
    const after = await anonymousIdOf(page);
    assert.notEqual(after, before);
    const [signedOut] = await waitForEvents(env.collector.url, after, (r) => r.length > 0 && r, 'the event after reset');
    assert.equal(signedOut?.event, 'signed_out');
    assert.equal(signedOut?.user_id, undefined);
    assert.notEqual(signedOut?.session_id, firstSession);
    assertCleanDelivery(watch);
    await context.close();
  });

  it('in cookieless mode stores nothing on the device and gives each page load its own ids', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/cookieless`);
    await page.click('#go');
    await page.reload();
    await page.click('#go');
    await page.evaluate(() => footprint.flush());
    const stored = await page.evaluate(() => ({ keys: Object.keys(localStorage), cookies: document.cookie }));
    assert.deepEqual(stored, { keys: [], cookies: '' });
    // The first load's events left by beacon as the page unloaded; read them from the database.
    const rows = await eventually(async () => {
      const all = (await listAll(env.collector.url)).filter((r) => r.path === '/cookieless');
      return all.filter((r) => r.type === 'click').length >= 2 ? all : undefined;
    });
    const ids = new Set(rows.map((r) => r.anonymous_id));
    assert.equal(ids.size, 2, 'one anonymous id per page load');
    for (const id of ids) {
      assert.deepEqual(
        rows
          .filter((r) => r.anonymous_id === id && r.type !== 'engagement')
          .map((r) => r.type)
          .sort(),
        ['click', 'page'],
      );
    }
    assertCleanDelivery(watch);
    await context.close();
  });
});

describe('consent', () => {
  it('sends nothing after optOut, remembers it on the next visit, and records again after optIn', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/`);
    const anonymousId = await anonymousIdOf(page);
    await waitForPageViews(env.collector.url, anonymousId, 1);
    await page.evaluate(() => {
      footprint.optOut();
      footprint.track('while_opted_out');
    });
    await page.click('#buy');
    await page.reload();
    await page.click('#buy');
    await page.evaluate(() => {
      footprint.track('still_opted_out');
      footprint.optIn();
      footprint.track('opted_in');
    });
    const rows = await waitForEvents(
      env.collector.url,
      anonymousId,
      (r) => r.some((e) => e.event === 'opted_in') && r,
      'the event after optIn',
    );
    assert.deepEqual(
      rows.map((r) => r.event ?? r.type),
      ['page', 'opted_in'],
      'nothing between optOut and optIn was sent, not even the page view of the reload',
    );
    assertCleanDelivery(watch);
    await context.close();
  });

  it('with data-dnt sends nothing when the browser sends Global Privacy Control', async () => {
    const { context, page, watch } = await newPage(env.browser);
    // Chromium has no Global Privacy Control setting; a browser that has one exposes this.
    await page.addInitScript(() => Object.defineProperty(navigator, 'globalPrivacyControl', { value: true }));
    await page.goto(`${site.url}/gpc`);
    await page.click('#go');
    await page.evaluate(() => {
      footprint.track('not_allowed');
      return footprint.flush();
    });
    const control = await context.newPage();
    await control.goto(`${site.url}/cookieless`);
    await control.evaluate(() => footprint.flush());
    assert.deepEqual(watch.sent, [], 'nothing was sent');
    assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), [], 'nothing was stored');
    assertCleanDelivery(watch);
    await context.close();
  });
});
