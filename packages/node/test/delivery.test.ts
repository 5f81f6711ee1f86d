/**
 * Delivery against a real collector behind a real proxy that fails on purpose: batching by
 * count and by time, gzip, retries with backoff and Retry-After, Segment's 4xx rules, 413
 * splitting, memory bounds, flush/shutdown limits, and a collector that fails at random.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DropReporter } from '../src/delivery/drops.js';
import { Pipeline } from '../src/delivery/pipeline.js';
import { backoffMs, retryAfterMs, verdictOf } from '../src/delivery/retry.js';
import type { FootprintSdkError } from '../src/index.js';
import { isLoopback, resolveOptions } from '../src/options.js';
import {
  eventsWhere,
  eventually,
  listAll,
  marker,
  type ProxyAnswer,
  removeDir,
  startCollector,
  TestProxy,
  tempDir,
  testClient,
} from './support/harness.js';

type Collector = Awaited<ReturnType<typeof startCollector>>;

describe('retry rules', () => {
  it('retries network failures, 408, 429 and 5xx except 501 and 505; drops other 4xx; splits on 413', () => {
    assert.deepEqual([200, 204, 408, 429, 500, 502, 503, 504, 501, 505, 400, 401, 403, 404, 422, 413].map(verdictOf), [
      'delivered',
      'delivered',
      'retry',
      'retry',
      'retry',
      'retry',
      'retry',
      'retry',
      'drop',
      'drop',
      'drop',
      'drop',
      'drop',
      'drop',
      'drop',
      'split',
    ]);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    assert.equal(retryAfterMs('3'), 3000);
    assert.equal(retryAfterMs('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')), 5000);
    // The two obsolete forms recipients must accept (RFC 9110 §5.6.7).
    assert.equal(retryAfterMs('Sunday, 06-Nov-94 08:49:37 GMT', Date.parse('1994-11-06T08:49:30Z')), 7000);
    assert.equal(retryAfterMs('Sun Nov  6 08:49:37 1994', Date.parse('1994-11-06T08:49:30')), 7000);
    assert.equal(retryAfterMs('soon'), undefined);
    assert.equal(retryAfterMs(undefined), undefined);
    // Neither is an HTTP date, though Date.parse reads both as one (in 2001).
    assert.equal(retryAfterMs('1.5'), undefined);
    assert.equal(retryAfterMs('-1'), undefined);
  });

  it('knows a loopback collector by its address', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]', 'api.localhost']) assert.equal(isLoopback(h), true, h);
    for (const h of ['collector.internal', '10.0.0.5', '192.168.1.2', '[2001:db8::1]', '128.0.0.1']) assert.equal(isLoopback(h), false, h);
  });

  it('waits exponentially longer with full jitter, within its bounds, and lets Retry-After win between the smallest wait and its cap', () => {
    const c = { minDelayMs: 100, maxDelayMs: 1000, retryAfterMaxMs: 5000 };
    assert.equal(
      backoffMs(1, undefined, c, () => 1),
      100,
    );
    assert.equal(
      backoffMs(3, undefined, c, () => 1),
      400,
    );
    assert.equal(
      backoffMs(3, undefined, c, () => 0),
      100,
    );
    assert.equal(
      backoffMs(30, undefined, c, () => 1),
      1000,
    );
    assert.equal(backoffMs(2, 2500, c), 2500);
    assert.equal(backoffMs(2, 60_000, c), 5000);
    // Retry-After: 0, or a date already past, still waits the smallest wait: no tight loop.
    assert.equal(backoffMs(2, 0, c), 100);
    assert.equal(backoffMs(2, retryAfterMs('Wed, 21 Oct 2015 07:28:05 GMT'), c), 100);
  });
});

describe('delivery to a real collector through a failing proxy', () => {
  let collector: Collector;
  let proxy: TestProxy;
  before(async () => {
    collector = await startCollector();
    proxy = await new TestProxy(collector.url).start();
  });
  after(async () => {
    await proxy.stop();
    await collector.dispose();
  });

  const sent = (m: string) => proxy.requests.filter((r) => r.events.some((e) => e.properties?.marker === m));

  it('starts sending once flushAt events wait, sends all that wait in one request, and sends fewer only when flushed', async () => {
    const m = marker();
    const fp = testClient(proxy.url, { flushAt: 10, flushIntervalMs: 60_000 });
    for (let i = 0; i < 5; i++) fp.log.info('batched', { marker: m, i });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sent(m).length, 0, 'fewer than flushAt events wait for the interval');
    for (let i = 5; i < 25; i++) fp.log.info('batched', { marker: m, i });
    await eventually(async () => (fp.stats().pending === 0 ? true : undefined));
    for (let i = 25; i < 28; i++) fp.log.info('batched', { marker: m, i });
    assert.deepEqual(await fp.flush(), { ok: true, pending: 0 });
    assert.deepEqual(
      sent(m).map((r) => r.events.length),
      [25, 3],
    );
    await fp.shutdown();
    await eventsWhere(collector.url, (e) => e.properties?.marker === m, 28);
  });

  it('sends a lone event once flushIntervalMs has passed, without a flush', async () => {
    const m = marker();
    const fp = testClient(proxy.url, { flushAt: 100, flushIntervalMs: 100 });
    fp.log.info('alone', { marker: m });
    await eventsWhere(collector.url, (e) => e.properties?.marker === m);
    assert.equal(sent(m).length, 1);
    await fp.shutdown();
  });

  it('compresses batch bodies with gzip, except by default for a collector on a loopback address', async () => {
    const [zipped, plain] = [marker(), marker()];
    const gz = testClient(proxy.url, { gzip: true });
    for (let i = 0; i < 20; i++) gz.log.info('compressible line of text', { marker: zipped, i });
    await gz.shutdown();
    const auto = testClient(proxy.url);
    for (let i = 0; i < 20; i++) auto.log.info('compressible line of text', { marker: plain, i });
    await auto.shutdown();
    assert.deepEqual(
      sent(zipped).map((r) => r.encoding),
      ['gzip'],
    );
    assert.deepEqual(
      sent(plain).map((r) => r.encoding),
      [undefined],
    );
    await eventsWhere(collector.url, (e) => e.properties?.marker === zipped, 20);
  });

  it('retries 500, 503 and a reset connection, then delivers the same batch once the collector answers', async () => {
    const m = marker();
    const answers: ProxyAnswer[] = [{ status: 500 }, { status: 503 }, 'reset'];
    const start = proxy.requests.length;
    proxy.decide = (n) => answers[n - start] ?? 'pass';
    const errors: FootprintSdkError[] = [];
    const fp = testClient(proxy.url, { onError: (e) => errors.push(e) });
    fp.log.info('persistent', { marker: m });
    assert.equal((await fp.shutdown()).ok, true);
    proxy.decide = () => 'pass';
    const tries = sent(m);
    assert.deepEqual(
      tries.map((r) => (typeof r.answer === 'string' ? r.answer : r.answer.status)),
      [500, 503, 'reset', 'pass'],
    );
    assert.equal(new Set(tries.map((r) => r.messageIds[0])).size, 1, 'every try carries the same messageId');
    assert.equal(errors[0]?.code, 'delivery_retrying');
    assert.equal(errors[0]?.dropped, 0);
    const stored = await eventsWhere(collector.url, (e) => e.properties?.marker === m);
    assert.equal(stored.length, 1);
  });

  it('waits at least as long as Retry-After says after a 429', async () => {
    const m = marker();
    const start = proxy.requests.length;
    proxy.decide = (n) => (n === start ? { status: 429, headers: { 'retry-after': '1' } } : 'pass');
    const fp = testClient(proxy.url);
    fp.log.info('throttled', { marker: m });
    await fp.shutdown();
    proxy.decide = () => 'pass';
    const [first, second] = sent(m);
    assert.ok(first && second);
    assert.ok(second.at - first.at >= 950, `retried after ${second.at - first.at} ms`);
  });

  it('does not retry a 401: drops the batch, counts it and reports it once', async () => {
    const m = marker();
    proxy.decide = () => ({ status: 401, body: { error: { code: 'invalid_write_key', message: 'the write key is not known', path: '' } } });
    const errors: FootprintSdkError[] = [];
    const fp = testClient(proxy.url, { onError: (e) => errors.push(e) });
    for (let i = 0; i < 3; i++) fp.log.info('refused', { marker: m });
    const result = await fp.shutdown();
    proxy.decide = () => 'pass';
    assert.equal(result.ok, true, 'refused events are settled, not pending');
    assert.equal(sent(m).length, 1);
    assert.deepEqual(
      errors.map((e) => [e.code, e.dropped]),
      [['not_retryable', 3]],
    );
    assert.match(errors[0]?.message ?? '', /HTTP 401: the write key is not known/);
    assert.equal(fp.stats().dropped.not_retryable, 3);
  });

  it('counts the events a collector rejects from a batch and keeps the rest', async () => {
    const m = marker();
    const errors: FootprintSdkError[] = [];
    const fp = testClient(proxy.url, { onError: (e) => errors.push(e) });
    fp.log.info('fine', { marker: m });
    fp.send({ type: 'request', properties: { method: 'GET', marker: m } });
    await fp.shutdown();
    assert.equal(errors.find((e) => e.code === 'rejected')?.dropped, 1);
    assert.match(errors.find((e) => e.code === 'rejected')?.message ?? '', /properties\.path is required/);
    assert.equal(fp.stats().delivered, 1);
    await eventsWhere(collector.url, (e) => e.properties?.marker === m);
  });

  it('halves a batch that is answered 413 until it fits', async () => {
    const m = marker();
    proxy.decide = (_n, events) => (events.length > 5 ? { status: 413 } : 'pass');
    const fp = testClient(proxy.url, { flushAt: 20, flushIntervalMs: 60_000 });
    for (let i = 0; i < 20; i++) fp.log.info('large batch', { marker: m, i });
    await fp.shutdown();
    proxy.decide = () => 'pass';
    const tries = sent(m).map((r) => [r.events.length, typeof r.answer === 'string' ? r.answer : r.answer.status]);
    assert.deepEqual(tries.slice(0, 3), [
      [20, 413],
      [10, 413],
      [5, 'pass'],
    ]);
    await eventsWhere(collector.url, (e) => e.properties?.marker === m, 20);
  });

  it('grows a batch cut by a 413 back after 50 batches have passed', async () => {
    const m = marker();
    let tight = true;
    proxy.decide = (_n, events) => (tight && events.length > 5 ? { status: 413 } : 'pass');
    const fp = testClient(proxy.url, { flushAt: 20, flushIntervalMs: 60_000 });
    for (let i = 0; i < 20; i++) fp.log.info('cut', { marker: m, i });
    assert.equal((await fp.flush()).ok, true);
    tight = false;
    // 50 batches of 5 pass: the size may double again.
    for (let i = 0; i < 250; i++) fp.log.info('cut', { marker: m, i: 20 + i });
    assert.equal((await fp.flush()).ok, true);
    for (let i = 0; i < 20; i++) fp.log.info('cut', { marker: m, i: 270 + i });
    assert.equal((await fp.flush()).ok, true);
    await fp.shutdown();
    proxy.decide = () => 'pass';
    const sizes = sent(m).map((r) => r.events.length);
    assert.deepEqual(sizes.slice(0, 2), [20, 10], 'cut at 413');
    const grown = sizes.findIndex((n, i) => i >= 2 && n > 5);
    assert.equal(grown - 2, 50, `batches of at most 5 until 50 have passed: ${sizes.join(',')}`);
    assert.equal(sizes[grown], 10, 'then the size doubles');
    await eventsWhere(collector.url, (e) => e.properties?.marker === m, 290);
  });

  it('delivers every event exactly once through a collector that answers 500 and 429 at random, even after it stored a batch whose answer was lost', async () => {
    const m = marker();
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    proxy.decide = () => {
      const r = random();
      if (r < 0.2) return { status: 500 };
      if (r < 0.35) return { status: 429, headers: { 'retry-after': '0' } };
      if (r < 0.45) return 'reset';
      if (r < 0.55) return 'lose-answer';
      return 'pass';
    };
    const fp = testClient(proxy.url, { flushAt: 25 });
    const total = 400;
    let allFlushed = true;
    for (let i = 0; i < total; i++) {
      fp.track({ event: 'flaky_delivery', anonymousId: m, messageId: `${m}-${i}`, properties: { marker: m, i } });
      // Small batches, so the collector gets many requests to fail.
      if (i % 10 === 9) allFlushed &&= (await fp.flush({ timeoutMs: 120_000 })).ok;
    }
    await fp.shutdown();
    proxy.decide = () => 'pass';
    assert.equal(allFlushed, true);
    const stored = await eventsWhere(collector.url, (e) => e.anonymous_id === m, total, `anonymous_id=${m}`);
    const perId = new Map<string, number>();
    for (const e of stored) perId.set(e.id, (perId.get(e.id) ?? 0) + 1);
    assert.equal(perId.size, total);
    assert.ok(
      [...perId.values()].every((n) => n === 1),
      'no messageId is stored twice',
    );
    const answers = sent(m).map((r) => (typeof r.answer === 'string' ? r.answer : r.answer.status));
    assert.ok(answers.includes(500) && answers.includes(429), 'the collector did fail along the way');
    assert.ok(answers.includes('lose-answer'), 'some batches were stored, then sent again because their answer was lost');
  });

  it('bounds memory: beyond maxQueueEvents events are dropped, counted and reported, and the rest are delivered', async () => {
    const m = marker();
    proxy.decide = () => 'reset';
    const errors: FootprintSdkError[] = [];
    const fp = testClient(proxy.url, { maxQueueEvents: 50, onError: (e) => errors.push(e) });
    for (let i = 0; i < 80; i++) fp.log.info('bounded', { marker: m, i });
    assert.equal(fp.stats().dropped.queue_full, 30);
    assert.equal(errors.find((e) => e.code === 'queue_full')?.dropped, 1, 'the first drop is reported at once, the rest are added up');
    proxy.decide = () => 'pass';
    await fp.shutdown();
    const stored = await eventsWhere(collector.url, (e) => e.properties?.marker === m, 50);
    assert.deepEqual(
      stored.map((e) => e.properties.i).sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i),
    );
    const reported = errors.filter((e) => e.code === 'queue_full').reduce((n, e) => n + e.dropped, 0);
    assert.equal(reported, 30, 'every drop is reported, in at most a few calls');
  });

  it('gives up a flush after its timeout, and a memory-only shutdown reports what it could not deliver', async () => {
    const m = marker();
    proxy.decide = () => ({ status: 503 });
    const errors: FootprintSdkError[] = [];
    const fp = testClient(proxy.url, { onError: (e) => errors.push(e) });
    for (let i = 0; i < 4; i++) fp.log.info('stuck', { marker: m });
    assert.deepEqual(await fp.flush({ timeoutMs: 200 }), { ok: false, pending: 4 });
    assert.deepEqual(await fp.shutdown({ timeoutMs: 200 }), { ok: false, pending: 4 });
    proxy.decide = () => 'pass';
    assert.equal(errors.find((e) => e.code === 'shutdown_timeout')?.dropped, 4);
    fp.log.info('after shutdown', { marker: m });
    assert.equal(fp.stats().dropped.shutdown_timeout, 5);
    const stored = (await listAll(collector.url)).filter((e) => e.properties?.marker === m);
    assert.equal(stored.length, 0);
  });

  it('shuts down once: a second or concurrent shutdown gets the same result and counts no drop twice', async () => {
    proxy.decide = () => ({ status: 503 });
    const errors: FootprintSdkError[] = [];
    const fp = testClient(proxy.url, { onError: (e) => errors.push(e) });
    for (let i = 0; i < 3; i++) fp.log.info('stuck', { marker: marker() });
    const [a, b] = await Promise.all([fp.shutdown({ timeoutMs: 200 }), fp.shutdown({ timeoutMs: 200 })]);
    assert.deepEqual(a, { ok: false, pending: 3 });
    assert.deepEqual(b, a);
    assert.deepEqual(await fp.shutdown(), a);
    proxy.decide = () => 'pass';
    assert.equal(fp.stats().dropped.shutdown_timeout, 3);
    assert.equal(errors.filter((e) => e.code === 'shutdown_timeout').length, 1);
  });

  it('sends at once when flushed with the outbox on, without waiting for flushIntervalMs', async () => {
    const dir = await tempDir('fp-flush-outbox-');
    const m = marker();
    const fp = testClient(proxy.url, { outbox: { dir }, flushIntervalMs: 60_000 });
    try {
      fp.log.info('flushed', { marker: m });
      assert.deepEqual(await fp.flush({ timeoutMs: 5_000 }), { ok: true, pending: 0 });
      assert.equal(sent(m).length, 1);
    } finally {
      await fp.shutdown();
      await removeDir(dir);
    }
  });

  it('gives each POST a deadline, so a collector that answers a byte at a time is retried, not waited on for ever', async () => {
    const trickle = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const t = setInterval(() => res.write(' '), 50);
      res.once('close', () => clearInterval(t));
    });
    await new Promise<void>((r) => trickle.listen(0, '127.0.0.1', r));
    const errors: FootprintSdkError[] = [];
    const fp = testClient(`http://127.0.0.1:${(trickle.address() as AddressInfo).port}`, {
      timeoutMs: 300,
      onError: (e) => errors.push(e),
    });
    try {
      fp.log.info('trickled', { marker: marker() });
      assert.equal((await fp.flush({ timeoutMs: 2_000 })).ok, false);
      const retrying = errors.find((e) => e.code === 'delivery_retrying');
      assert.ok(retrying, JSON.stringify(errors.map((e) => e.message)));
      assert.match(retrying.message, /no complete answer within 300 ms/);
    } finally {
      await fp.shutdown({ timeoutMs: 100 });
      await new Promise<void>((r) => trickle.close(() => r()).closeAllConnections());
    }
  });

  it('forgets the flushes that timed out, however many an outage sees', async () => {
    proxy.decide = () => ({ status: 503 });
    const pipeline = new Pipeline(resolveOptions({ endpoint: proxy.url, writeKey: 'k', outbox: false }), new DropReporter(() => {}));
    const waiting = (): number => (pipeline as unknown as { waiters: unknown[] }).waiters.length;
    pipeline.enqueue('{"type":"log","properties":{"message":"stuck"}}');
    for (let i = 0; i < 50; i++) assert.equal((await pipeline.flush(5)).ok, false);
    assert.equal(waiting(), 0, 'timed-out flushes must not stay queued');
    proxy.decide = () => 'pass';
    await pipeline.shutdown(200);
  });
});
