/**
 * Errors and backend correlation in real Chromium against the real collector: uncaught
 * errors and unhandled rejections become error events, and same-origin requests carry the
 * visitor's ids as headers for the back end.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertCleanDelivery } from './support/assertions.js';
import { newPage } from './support/browser.js';
import {
  anonymousIdOf,
  type Environment,
  json,
  scriptTag,
  startEnvironment,
  waitForEvents,
  waitForPageViews,
} from './support/footprint.js';
import { html, type Site, startSite } from './support/site.js';

let env: Environment;
let site: Site;
let other: Site;

declare const footprint: typeof import('../../src/index.js');

const buttons = `
  <button id="throw" onclick="(function explode() { throw new TypeError('boom ' + 42); })()">Throw</button>
  <button id="reject" onclick="Promise.reject(new Error('async boom'))">Reject</button>`;

before(async () => {
  env = await startEnvironment();
  site = await startSite({
    '/errors': html('Errors', buttons, scriptTag(env.collector.url)),
    '/no-errors': html('No errors', buttons, scriptTag(env.collector.url, { errors: 'off' })),
    '/correlated': html('Correlated', '<p>api</p>', scriptTag(env.collector.url, { correlate: '' })),
    '/plain': html('Plain', '<p>api</p>', scriptTag(env.collector.url)),
  });
  other = await startSite({});
});

after(async () => {
  await other.close();
  await site.close();
  await env.close();
});

describe('errors', () => {
  it('records uncaught errors and unhandled rejections as error events with their stack', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/errors`);
    await page.click('#throw');
    await page.click('#reject');
    const anonymousId = await anonymousIdOf(page);
    const errors = await waitForEvents(
      env.collector.url,
      anonymousId,
      (r) => r.filter((e) => e.type === 'error').length >= 2 && r.filter((e) => e.type === 'error'),
      'two error events',
    );
    const [thrown, rejected] = errors;
    assert.equal(thrown?.message, 'boom 42');
    assert.equal(thrown?.error_type, 'TypeError');
    assert.equal(thrown?.level, 'error');
    assert.match(json(thrown?.properties).stack, /explode/);
    assert.equal(json(thrown?.properties).handled, false);
    assert.ok(thrown?.error_fingerprint, 'the collector fingerprints it');
    assert.equal(rejected?.message, 'async boom');
    assert.equal(rejected?.error_type, 'Error');
    assert.deepEqual(
      watch.pageErrors.map((e) => e.message),
      ['boom 42', 'async boom'],
      'the page saw its own errors, nothing more',
    );
    await context.close();
  });

  it('records no errors with data-errors="off"', async () => {
    const { context, page } = await newPage(env.browser);
    await page.goto(`${site.url}/no-errors`);
    const anonymousId = await anonymousIdOf(page);
    await page.click('#throw');
    await page.evaluate(() => footprint.track('after_error'));
    const rows = await waitForEvents(
      env.collector.url,
      anonymousId,
      (r) => r.some((e) => e.event === 'after_error') && r,
      'the event after the error',
    );
    assert.deepEqual(
      rows.filter((r) => r.type === 'error'),
      [],
    );
    await context.close();
  });
});

describe('backend correlation', () => {
  it('adds the visitor ids as headers to same-origin fetch and XHR calls with data-correlate', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/correlated`);
    const anonymousId = await anonymousIdOf(page);
    const [view] = await waitForPageViews(env.collector.url, anonymousId, 1);
    const answers = await page.evaluate(async (otherUrl) => {
      const viaFetch = await (await fetch('/api/echo?via=fetch', { headers: { 'x-app': 'kept' } })).json();
      const viaRequest = await (await fetch(new Request('/api/echo?via=request', { method: 'POST', body: 'hello' }))).json();
      const viaXhr = await new Promise((resolve) => {
        const xhr = new XMLHttpRequest();
        xhr.open('GET', '/api/echo?via=xhr');
        xhr.onload = () => resolve(JSON.parse(xhr.responseText));
        xhr.send();
      });
      await fetch(`${otherUrl}/api/echo?via=cross-origin`, { mode: 'no-cors' });
      return { viaFetch, viaRequest, viaXhr };
    }, other.url);
    for (const [via, headers] of Object.entries(answers) as Array<[string, Record<string, string>]>) {
      assert.equal(headers['x-footprint-anonymous-id'], anonymousId, via);
      assert.equal(headers['x-footprint-session-id'], view?.session_id, via);
    }
    assert.equal(answers.viaFetch['x-app'], 'kept', "the app's own headers stay");
    const crossOrigin = other.requests.find((r) => r.path.includes('cross-origin'));
    assert.ok(crossOrigin, 'the cross-origin call was made');
    assert.equal(crossOrigin.headers['x-footprint-anonymous-id'], undefined, 'cross-origin calls get no ids');
    assertCleanDelivery(watch);
    await context.close();
  });

  it('adds no headers without data-correlate', async () => {
    const { context, page } = await newPage(env.browser);
    await page.goto(`${site.url}/plain`);
    const headers = await page.evaluate(async () => (await fetch('/api/echo')).json());
    assert.equal(headers['x-footprint-anonymous-id'], undefined);
    await context.close();
  });
});
