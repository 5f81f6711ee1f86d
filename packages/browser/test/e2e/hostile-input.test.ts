/**
 * Hostile input to the SDK in real Chromium against the real collector: whatever a page
 * passes (bad options, wrong types, cycles, BigInt, huge or broken text, throwing getters,
 * storage that refuses access), no call throws, the page sees no error, every event that can
 * be sent arrives valid, and what cannot is reported instead.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, listAll } from '../../../collector/test/support/collector.js';
import { assertCleanDelivery } from './support/assertions.js';
import { newPage } from './support/browser.js';
import { anonymousIdOf, type Environment, json, scriptTag, startEnvironment, WRITE_KEY, waitForEvents } from './support/footprint.js';
import { html, type Site, startSite } from './support/site.js';

let env: Environment;
let site: Site;

declare const footprint: typeof import('../../src/index.js');

before(async () => {
  env = await startEnvironment();
  site = await startSite({
    '/hostile': html('Hostile', '<p>hostile</p>', scriptTag(env.collector.url)),
    // The script without data-key: the page initializes the SDK itself.
    '/manual': html('Manual', '<p>manual</p>', `<script src="${env.collector.url}/fp.js"></script>`),
  });
});

after(async () => {
  await site.close();
  await env.close();
});

describe('hostile input', () => {
  it('never throws from track, page or identify, whatever they are given, and sends what can be sent', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/hostile`);
    const thrown = await page.evaluate(() => {
      const circular: Record<string, unknown> = { name: 'loop' };
      circular.self = circular;
      const throwingGetter = {
        get boom(): never {
          throw new Error('getter');
        },
      };
      const throwingProxy = new Proxy(
        {},
        {
          ownKeys() {
            throw new Error('proxy');
          },
        },
      );
      let deep: Record<string, unknown> = {};
      for (let i = 0; i < 100_000; i++) deep = { deep };
      const api = footprint as unknown as Record<string, (...args: unknown[]) => unknown>;
      const calls: Array<[string, ...unknown[]]> = [
        ['track'],
        ['track', null],
        ['track', ''],
        ['track', { name: 'an object' }],
        ['track', Symbol('s')],
        ['track', 'hostile_circular', circular],
        ['track', 'hostile_bigint', { big: 10n ** 30n }],
        ['track', 'hostile_huge_text', { blob: 'x'.repeat(5_000_000) }],
        ['track', 'hostile_broken_text', { text: 'a\ud800b', 'key\udc00': 1, cut: `${'y'.repeat(3999)}👍` }],
        ['track', 'hostile_not_an_object', 'just text'],
        ['track', 'hostile_array', [1, 2, 3]],
        ['track', 'hostile_date_and_function', { at: new Date(0), fn: () => 1, nan: Number.NaN }],
        ['track', 'x'.repeat(10_000)],
        ['track', 'hostile_too_large', Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'z'.repeat(3000)]))],
        ['track', 'hostile_getter', throwingGetter],
        ['track', 'hostile_proxy', throwingProxy],
        ['track', 'hostile_deep', deep],
        ['page', 42, 'not an object'],
        ['page', {}, circular],
        ['identify'],
        ['identify', {}],
        ['identify', 'u'.repeat(300)],
        ['init', { writeKey: 'again' }],
      ];
      const errors: string[] = [];
      for (const [method, ...args] of calls) {
        try {
          api[method]?.(...args);
        } catch (err) {
          errors.push(`${method}: ${err}`);
        }
      }
      return errors;
    });
    assert.deepEqual(thrown, [], 'no call threw');
    const anonymousId = await anonymousIdOf(page);
    const rows = await waitForEvents(
      env.collector.url,
      anonymousId,
      (r) => r.some((e) => e.event === 'x'.repeat(512)) && r.filter((e) => e.type === 'page').length >= 2 && r,
      'the events that could be sent',
    );
    const props = (event: string) => json(rows.find((r) => r.event === event)?.properties);
    assert.deepEqual(props('hostile_circular'), { name: 'loop', self: '[Circular]' });
    assert.deepEqual(props('hostile_bigint'), { big: '1000000000000000000000000000000' });
    assert.equal(props('hostile_huge_text').blob.length, 4000, 'long text is cut');
    assert.deepEqual(props('hostile_broken_text').text, 'a\ufffdb', 'a lone surrogate is replaced');
    assert.equal(props('hostile_broken_text')['key\ufffd'], 1, 'also in keys');
    assert.equal(props('hostile_broken_text').cut, `${'y'.repeat(3999)}\ufffd`, 'a pair cut in half is replaced');
    assert.deepEqual(props('hostile_not_an_object'), {});
    assert.deepEqual(props('hostile_array'), {});
    assert.deepEqual(props('hostile_date_and_function'), { at: '1970-01-01T00:00:00.000Z', nan: null });
    for (const refused of ['hostile_too_large', 'hostile_getter', 'hostile_proxy', 'hostile_deep']) {
      assert.equal(
        rows.find((r) => r.event === refused),
        undefined,
        `${refused} cannot be sent`,
      );
    }
    const pages = rows.filter((r) => r.type === 'page');
    assert.ok(pages.some((p) => p.event === '42'));
    assert.equal(rows.filter((r) => r.type === 'identify').length, 0, 'no identify without a usable user id');
    const reports = watch.warnings.filter((w) => w.startsWith('footprint:'));
    assert.ok(reports.length >= 7, `every event that could not be sent was reported:\n${reports.join('\n')}`);
    assertCleanDelivery(watch);
    await context.close();
  });

  it('ignores bad options and calls before init, then works once given a write key', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.goto(`${site.url}/manual`);
    const thrown = await page.evaluate(
      ({ key, host }) => {
        const errors: string[] = [];
        const reported: string[] = [];
        const attempt = (fn: () => unknown) => {
          try {
            fn();
          } catch (err) {
            errors.push(String(err));
          }
        };
        attempt(() => footprint.track('before_init'));
        for (const bad of [undefined, null, 'key', 42, [], {}, { writeKey: '' }, { writeKey: key, host: 'http://[not a host' }]) {
          attempt(() => footprint.init(bad as never));
        }
        attempt(() => footprint.init({ writeKey: key, host, clicks: 'sure' as never, onError: (e) => reported.push(e.message) }));
        attempt(() => footprint.track('after_init'));
        attempt(() => footprint.track('too_large', Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'z'.repeat(3000)]))));
        return { errors, reported };
      },
      { key: WRITE_KEY, host: env.collector.url },
    );
    assert.deepEqual(thrown.errors, []);
    assert.deepEqual(thrown.reported, ['track over 32 KB'], 'onError receives what was dropped');
    const anonymousId = await anonymousIdOf(page);
    const rows = await waitForEvents(
      env.collector.url,
      anonymousId,
      (r) => r.some((e) => e.event === 'after_init') && r,
      'the event after init',
    );
    assert.equal(
      rows.find((r) => r.event === 'before_init'),
      undefined,
    );
    assert.ok(
      watch.warnings.some((w) => w.includes('init needs writeKey')),
      'a missing write key is reported',
    );
    assertCleanDelivery(watch);
    await context.close();
  });

  it('keeps recording in memory when the browser refuses access to storage', async () => {
    const { context, page, watch } = await newPage(env.browser);
    await page.addInitScript(() =>
      Object.defineProperty(window, 'localStorage', {
        get() {
          throw new DOMException('The operation is insecure.', 'SecurityError');
        },
      }),
    );
    await page.goto(`${site.url}/hostile`);
    await page.evaluate(() => footprint.track('without_storage'));
    const [stored] = await eventually(async () => {
      const found = await listAll(env.collector.url, 'event=without_storage');
      return found.length ? found : undefined;
    });
    const rows = await waitForEvents(env.collector.url, stored.anonymous_id, (r) => r.some((e) => e.type === 'page') && r, 'the page view');
    assert.equal(rows.length, 2);
    assertCleanDelivery(watch);
    await context.close();
  });
});
