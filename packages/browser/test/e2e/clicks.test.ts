/**
 * Clicks and declarative events in real Chromium against the real collector: what was
 * clicked and where, links that leave the site or download a file, data-fp-event markup, and
 * what is never sent (typed values, email addresses).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertCleanDelivery } from './support/assertions.js';
import { newPage } from './support/browser.js';
import { anonymousIdOf, type Environment, json, type Row, startEnvironment, waitForEvents, waitForPageViews } from './support/footprint.js';
import { multiPageSite } from './support/pages.js';
import { type Site, startSite } from './support/site.js';

let env: Environment;
let site: Site;

before(async () => {
  env = await startEnvironment();
  const noClicks = multiPageSite(env.collector.url, { clicks: 'off' })['/'] as string;
  site = await startSite({ ...multiPageSite(env.collector.url), '/no-clicks': noClicks });
});

after(async () => {
  await site.close();
  await env.close();
});

const clicksOf = (rows: Row[]): Row[] => rows.filter((r) => r.type === 'click');

describe('click autocapture', () => {
  it('records the clicked element with tag, id, classes, selector, text and its position as % of the page and of the viewport', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/`);
    // The span inside the button is clicked; the button is what the visitor meant.
    await page.click('#buy span');
    await page.evaluate(() => window.scrollTo(0, 1000));
    await page.click('#lower');
    const size = await page.evaluate(() => ({
      width: document.documentElement.scrollWidth,
      height: document.documentElement.scrollHeight,
      viewportWidth: innerWidth,
      viewportHeight: innerHeight,
      buy: document.querySelector('#buy span')?.getBoundingClientRect().toJSON(),
      lower: document.getElementById('lower')?.getBoundingClientRect().toJSON(),
    }));
    const anonymousId = await anonymousIdOf(page);
    const clicks = await waitForEvents(
      env.collector.url,
      anonymousId,
      (rows) => clicksOf(rows).length >= 2 && clicksOf(rows),
      'two clicks',
    );
    const buy = json(clicks[0]?.properties);
    assert.equal(buy.tag, 'button');
    assert.equal(buy.element_id, 'buy');
    assert.deepEqual(buy.classes, ['btn', 'primary', 'large']);
    assert.equal(buy.selector, 'button#buy');
    assert.equal(buy.text, 'Add to cart');
    // Playwright clicks the middle of the element it is given.
    const pct = (part: number, whole: number) => Math.round((part / whole) * 1000) / 10;
    // The sizes were measured after scrolling 1000 px; the first click was before.
    const buyX = size.buy.left + size.buy.width / 2;
    const buyY = size.buy.top + 1000 + size.buy.height / 2;
    assert.ok(Math.abs(buy.viewport_x_pct - pct(buyX, size.viewportWidth)) <= 0.2, `viewport_x_pct ${buy.viewport_x_pct}`);
    assert.ok(Math.abs(buy.viewport_y_pct - pct(buyY, size.viewportHeight)) <= 0.2, `viewport_y_pct ${buy.viewport_y_pct}`);
    assert.ok(Math.abs(buy.x_pct - pct(buyX, size.width)) <= 0.2, `x_pct ${buy.x_pct}`);
    assert.ok(Math.abs(buy.y_pct - pct(buyY, size.height)) <= 0.2, `y_pct ${buy.y_pct}`);
    const lower = json(clicks[1]?.properties);
    const lowerY = size.lower.top + size.lower.height / 2;
    assert.ok(Math.abs(lower.viewport_y_pct - pct(lowerY, size.viewportHeight)) <= 0.2, 'viewport % is of the visible part');
    assert.ok(Math.abs(lower.y_pct - pct(lowerY + 1000, size.height)) <= 0.2, 'page % counts the scrolled part');
    assert.equal(lower.selector, 'button#lower');
    assertCleanDelivery(watch);
    await context.close();
  });

  it('never sends what is typed into a field, and masks email addresses in visible text', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/`);
    await page.fill('#email', 'typed-secret@example.org');
    await page.click('#email');
    await page.click('#contact');
    const anonymousId = await anonymousIdOf(page);
    const clicks = await waitForEvents(
      env.collector.url,
      anonymousId,
      (rows) => clicksOf(rows).length >= 2 && clicksOf(rows),
      'two clicks',
    );
    const field = clicks.map((c) => json(c.properties)).find((p) => p.element_id === 'email');
    assert.equal(field.tag, 'input');
    assert.ok(!field.text, 'an input has no text');
    const contact = clicks.map((c) => json(c.properties)).find((p) => p.element_id === 'contact');
    assert.equal(contact.text, 'Write to [email]');
    const everything = JSON.stringify(watch.sent);
    assert.ok(!everything.includes('typed-secret'), 'the typed value was sent');
    assert.ok(!everything.includes('kim@example.com') && !everything.includes('kim.lee@example.com'), 'an email address was sent');
    assertCleanDelivery(watch);
    await context.close();
  });

  it('flags links to other sites as outbound and links to files as downloads', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/`);
    const anonymousId = await anonymousIdOf(page);
    await page.click('#download');
    await page.waitForURL('**/catalog.pdf');
    await page.goto(`${site.url}/`);
    await page.click('#outbound');
    await page.waitForURL(`${env.collector.url}/healthz`);
    const clicks = await waitForEvents(
      env.collector.url,
      anonymousId,
      (rows) => clicksOf(rows).length >= 2 && clicksOf(rows),
      'two clicks',
    );
    const [download, outbound] = clicks.map((c) => json(c.properties));
    assert.deepEqual([download.href, download.download, download.outbound], [`${site.url}/files/catalog.pdf`, true, false]);
    assert.equal(outbound.outbound, true);
    assert.equal(outbound.download, false);
    assert.equal(outbound.href, `${env.collector.url}/healthz`, 'another host and port: another site');
    assertCleanDelivery(watch);
    await context.close();
  });
});

describe('declarative events', () => {
  it('tracks data-fp-event with its data-fp-* attributes as properties', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/`);
    await page.click('#choose-pro b');
    const anonymousId = await anonymousIdOf(page);
    const rows = await waitForEvents(
      env.collector.url,
      anonymousId,
      (r) => r.some((e) => e.type === 'track') && r.some((e) => e.type === 'click') && r,
      'the declared event and the click',
    );
    const declared = rows.find((r) => r.type === 'track');
    assert.equal(declared?.event, 'plan_selected');
    assert.deepEqual(json(declared?.properties), { plan: 'pro', billing_period: 'yearly' });
    assert.equal(json(rows.find((r) => r.type === 'click')?.properties).element_id, 'choose-pro');
    assertCleanDelivery(watch);
    await context.close();
  });

  it('with data-clicks="off" records no clicks but still the declared events', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/no-clicks`);
    const anonymousId = await anonymousIdOf(page);
    await waitForPageViews(env.collector.url, anonymousId, 1);
    await page.click('#buy');
    await page.click('#choose-pro');
    const rows = await waitForEvents(env.collector.url, anonymousId, (r) => r.some((e) => e.type === 'track') && r, 'the declared event');
    assert.deepEqual(
      rows.map((r) => r.type),
      ['page', 'track'],
    );
    assertCleanDelivery(watch);
    await context.close();
  });
});
