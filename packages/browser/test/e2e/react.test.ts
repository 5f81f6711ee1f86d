/**
 * The React bindings in real Chromium against the real collector: a React app bundled with
 * esbuild from @footprint/browser/react, its page views (SPA navigation included) and the
 * events its components track through useFootprint().
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { assertCleanDelivery } from './support/assertions.js';
import { newPage } from './support/browser.js';
import {
  anonymousIdOf,
  type Environment,
  json,
  startEnvironment,
  WRITE_KEY,
  waitForEvents,
  waitForPageViews,
} from './support/footprint.js';
import { html, type Site, startSite } from './support/site.js';

let env: Environment;
let site: Site;

before(async () => {
  const [started, bundle] = await Promise.all([
    startEnvironment(),
    build({
      entryPoints: [fileURLToPath(new URL('fixtures/react-app.tsx', import.meta.url))],
      bundle: true,
      format: 'iife',
      jsx: 'automatic',
      define: { 'process.env.NODE_ENV': '"production"' },
      write: false,
      logLevel: 'warning',
    }),
  ]);
  env = started;
  const options = JSON.stringify({ writeKey: WRITE_KEY, host: env.collector.url });
  site = await startSite({
    '/react/*': html('React', `<div id="root"></div><script>var FOOTPRINT_OPTIONS = ${options};</script><script src="/app.js"></script>`),
    '/app.js': bundle.outputFiles[0]?.text ?? '',
  });
});

after(async () => {
  await site.close();
  await env.close();
});

it('records page views and the events components track through useFootprint()', async () => {
  const { context, page, watch } = await newPage(env.browser);
  await page.goto(`${site.url}/react/`);
  await page.waitForSelector('#to-checkout');
  const anonymousId = await anonymousIdOf(page);
  await waitForPageViews(env.collector.url, anonymousId, 1);
  await page.click('#to-checkout');
  await page.click('#pricing');
  const rows = await waitForEvents(
    env.collector.url,
    anonymousId,
    (r) => r.some((e) => e.event === 'modal_opened') && r.filter((e) => e.type === 'page').length >= 2 && r,
    'the page views and the tracked events',
  );
  assert.deepEqual(
    rows.filter((r) => r.type === 'page').map((r) => [r.path, r.title]),
    [
      ['/react/', 'Home'],
      ['/react/checkout', 'Checkout'],
    ],
  );
  const tracked = rows.filter((r) => r.type === 'track').map((r) => [r.event, json(r.properties), r.path]);
  assert.deepEqual(tracked, [
    ['checkout_viewed', { step: 1 }, '/react/checkout'],
    ['modal_opened', { modal: 'pricing' }, '/react/checkout'],
  ]);
  assert.equal(json(rows.find((r) => r.type === 'click' && json(r.properties).element_id === 'pricing')?.properties).text, 'See pricing');
  assertCleanDelivery(watch);
  await context.close();
});
