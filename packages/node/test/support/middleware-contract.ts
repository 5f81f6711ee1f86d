/**
 * The contract every HTTP adapter runs (Express, Fastify, Next.js, node:http): a real app of
 * that framework serves the same four routes, real HTTP requests hit it, and the events are
 * read back from a real collector (and, where the collector changes them, e.g. by masking
 * the IP, from the wire in front of it).
 *
 * Routes each app serves:
 *   GET  /api/orders/:id  waits a little, logs "loading order", answers 200 {id}
 *   POST /api/orders      parses the JSON body, logs "creating order", tracks order_created, answers 201
 *   GET  /boom            throws Error("kaboom") after an await
 *   GET  /healthz         answers 200 "ok"
 * The signed-in user is the `x-test-user` header (read by the `userId` resolver the app passes).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Footprint, RequestLoggingOptions } from '../../src/index.js';
import { eventsWhere, listAll, startCollector, TestProxy, testClient } from './harness.js';

export interface RunningApp {
  url: string;
  close(): Promise<void>;
}

export interface AppFactory {
  /** Route template the adapter reports for GET /api/orders/42. */
  orderRoute: string;
  /**
   * Starts the app with the middleware configured by `options`; the user id comes from the
   * `x-test-user` header. An app in its own process (Next.js) sends to `endpoint` with a
   * client of its own instead of `fp`.
   */
  start(fp: Footprint, options: Omit<RequestLoggingOptions<unknown>, 'userId'>, endpoint: string): Promise<RunningApp>;
}

type Collector = Awaited<ReturnType<typeof startCollector>>;

export function middlewareContract(name: string, factory: AppFactory): void {
  describe(`${name} middleware`, () => {
    let collector: Collector;
    let proxy: TestProxy;
    let fp: Footprint;
    let app: RunningApp;

    before(async () => {
      collector = await startCollector();
      proxy = await new TestProxy(collector.url).start();
      fp = testClient(proxy.url);
      app = await factory.start(fp, {}, proxy.url);
    });
    after(async () => {
      await app.close();
      await fp.shutdown();
      await proxy.stop();
      await collector.dispose();
    });

    const get = (path: string, headers: Record<string, string> = {}, base = app.url) => fetch(`${base}${path}`, { headers });
    const stored = (requestId: string, count = 1) => eventsWhere(collector.url, (e) => e.request_id === requestId, count);
    const wire = (requestId: string, type: string) =>
      proxy.requests.flatMap((r) => r.events).find((e) => e.requestId === requestId && e.type === type);

    it('records one request event with method, route, path, masked query, status, duration, sizes, address, agent, referrer and user', async () => {
      const id = `req-${randomUUID()}`;
      const res = await get('/api/orders/42?q=shoes&token=abc123&email=user@example.com', {
        'x-request-id': id,
        'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0 Safari/537.36',
        referer: 'https://shop.example/products/?category=2',
        'x-test-user': 'u_6',
      });
      assert.equal(res.status, 200);
      const body = await res.text();
      await fp.flush();
      const events = await stored(id, 2);
      const reqs = events.filter((e) => e.type === 'request');
      assert.equal(reqs.length, 1);
      const r = reqs[0];
      assert.equal(r.method, 'GET');
      assert.equal(r.route, factory.orderRoute);
      assert.equal(r.path, '/api/orders/42');
      assert.equal(r.status, 200);
      assert.ok(r.duration_ms >= 0);
      assert.deepEqual(wire(id, 'request').properties.query, { q: 'shoes', token: '[masked]', email: 'u***@example.com' });
      assert.equal(r.properties.query.q, 'shoes');
      assert.equal(r.properties.response_bytes, Buffer.byteLength(body));
      assert.equal(r.browser, 'Chrome');
      assert.equal(r.referrer, 'https://shop.example/products/?category=2');
      assert.equal(r.user_id, 'u_6');
      assert.match(wire(id, 'request').properties.ip, /^(::ffff:)?127\.0\.0\.1$/);
      const log = events.find((e) => e.type === 'log');
      assert.equal(log.message, 'loading order');
      assert.equal(log.user_id, 'u_6', 'the log line knows the user of its request');
    });

    it('reads the visitor and session ids from the browser SDK headers', async () => {
      const id = `req-${randomUUID()}`;
      await get('/api/orders/1', { 'x-request-id': id, 'x-footprint-anonymous-id': 'aid-123', 'x-footprint-session-id': 'sid-456' });
      await fp.flush();
      const events = await stored(id, 2);
      for (const e of events) {
        assert.equal(e.anonymous_id, 'aid-123');
        assert.equal(e.session_id, 'sid-456');
      }
    });

    it('falls back to the fp_aid and fp_sid cookies', async () => {
      const id = `req-${randomUUID()}`;
      await get('/api/orders/1', { 'x-request-id': id, cookie: 'theme=dark; fp_aid=aid-cookie; fp_sid=sid%2Dcookie; other=1' });
      await fp.flush();
      const events = await stored(id, 2);
      for (const e of events) {
        assert.equal(e.anonymous_id, 'aid-cookie');
        assert.equal(e.session_id, 'sid-cookie');
      }
    });

    it('returns the X-Request-Id it was sent and stamps it on the request, its log lines and its business events', async () => {
      const id = `req-${randomUUID()}`;
      const res = await fetch(`${app.url}/api/orders`, {
        method: 'POST',
        headers: { 'x-request-id': id, 'content-type': 'application/json', 'x-footprint-anonymous-id': 'aid-post' },
        body: JSON.stringify({ items: ['a', 'b'], filler: 'x'.repeat(20_000) }),
      });
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('x-request-id'), id);
      await fp.flush();
      const events = await stored(id, 3);
      const log = events.find((e) => e.type === 'log');
      assert.equal(log.message, 'creating order', 'a log line written after the body was parsed carries the request id');
      assert.equal(log.properties.items, 2);
      const track = events.find((e) => e.type === 'track');
      assert.equal(track.event, 'order_created');
      assert.equal(track.anonymous_id, 'aid-post');
      const r = events.find((e) => e.type === 'request');
      assert.equal(r.status, 201);
      assert.ok(r.properties.request_bytes > 20_000);
    });

    it('takes the trace id of a W3C traceparent when no X-Request-Id is sent, and makes an id when neither is', async () => {
      const traceId = randomUUID().replaceAll('-', '');
      const res = await get('/api/orders/7', { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
      assert.equal(res.headers.get('x-request-id'), traceId);
      const fresh = await get('/api/orders/8');
      const made = fresh.headers.get('x-request-id') ?? '';
      assert.match(made, /^[0-9a-f-]{36}$/);
      const bad = await get('/api/orders/9', { 'x-request-id': 'has spaces in it' });
      assert.match(bad.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, 'an id with spaces is not taken');
      await fp.flush();
      const events = await stored(traceId, 2);
      for (const e of events) assert.equal(e.trace_id, traceId);
      const r = events.find((e) => e.type === 'request');
      assert.equal(r.properties.parent_span_id, '00f067aa0ba902b7');
      assert.match(r.span_id, /^[0-9a-f]{16}$/);
      await stored(made, 2);
    });

    it('turns an exception in a handler into an error event linked to its request, whose status is 500', async () => {
      const id = `req-${randomUUID()}`;
      const res = await get('/boom', { 'x-request-id': id, 'x-test-user': 'u_9' });
      assert.equal(res.status, 500);
      await fp.flush();
      const events = await stored(id, 2);
      const err = events.find((e) => e.type === 'error');
      const r = events.find((e) => e.type === 'request');
      assert.equal(err.message, 'kaboom');
      assert.equal(err.properties.handled, false);
      assert.equal(err.properties.api_path, '/boom');
      assert.equal(err.user_id, 'u_9');
      assert.equal(r.status, 500);
      assert.equal(r.message, 'kaboom', 'the request event carries the error message');
    });

    it('keeps concurrent requests apart: each log line carries the id of its own request', async () => {
      const ids = Array.from({ length: 20 }, (_, i) => [`c-${randomUUID()}`, String(1000 + i)] as const);
      await Promise.all(ids.map(([id, order]) => get(`/api/orders/${order}`, { 'x-request-id': id }).then((r) => r.text())));
      await fp.flush();
      const all = await eventsWhere(collector.url, (e) => e.type === 'log' && ids.some(([id]) => id === e.request_id), 20);
      for (const [id, order] of ids) {
        assert.equal(all.find((e) => e.request_id === id)?.properties.order_id, order);
      }
    });

    it('does not record ignored paths and methods, but still answers with a request id', async () => {
      const quiet = await factory.start(fp, { ignorePaths: ['/healthz', /^\/api\/orders\/9\d\d$/], ignoreMethods: ['HEAD'] }, proxy.url);
      try {
        const skip = [`i-${randomUUID()}`, `i-${randomUUID()}`];
        const keep = `k-${randomUUID()}`;
        const health = await get('/healthz', { 'x-request-id': skip[0] as string }, quiet.url);
        assert.equal(health.headers.get('x-request-id'), skip[0]);
        await (await get('/api/orders/901', { 'x-request-id': skip[1] as string }, quiet.url)).text();
        await (await get('/api/orders/12', { 'x-request-id': keep }, quiet.url)).text();
        await fp.flush();
        await stored(keep, 2);
        const all = await listAll(collector.url, 'type=request');
        assert.equal(all.filter((e) => skip.includes(e.request_id)).length, 0);
      } finally {
        await quiet.close();
      }
    });

    it('with sampleRate 0 records no successful request but every failed one', async () => {
      const sampled = await factory.start(fp, { sampleRate: 0 }, proxy.url);
      try {
        const ok = `s-${randomUUID()}`;
        const failed = `f-${randomUUID()}`;
        await (await get('/api/orders/5', { 'x-request-id': ok }, sampled.url)).text();
        await (await get('/boom', { 'x-request-id': failed }, sampled.url)).text();
        await fp.flush();
        const events = await stored(failed, 2);
        assert.deepEqual(events.map((e) => e.type).sort(), ['error', 'request']);
        const okEvents = await stored(ok, 1);
        assert.deepEqual(
          okEvents.map((e) => e.type),
          ['log'],
          'the log line is kept; only the request event is sampled',
        );
      } finally {
        await sampled.close();
      }
    });
  });
}
