/**
 * A real Next.js app (`next dev`, App Router) with wrapped route handlers and a wrapped
 * middleware.js: the middleware contract, plus what only the middleware does.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventsWhere, startCollector, TestProxy } from './support/harness.js';
import { middlewareContract, type RunningApp } from './support/middleware-contract.js';
import { startNextApp } from './support/next-app.js';

middlewareContract('Next.js App Router', {
  orderRoute: '/api/orders/[id]',
  start: (_fp, options, endpoint) => startNextApp(endpoint, options),
});

describe('Next.js middleware.js in a real app', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let proxy: TestProxy;
  let app: RunningApp;
  before(async () => {
    collector = await startCollector();
    proxy = await new TestProxy(collector.url).start();
    app = await startNextApp(proxy.url);
  });
  after(async () => {
    await app.close();
    await proxy.stop();
    await collector.dispose();
  });

  it('passes the request id it makes on to the route handler, so the response, the request event and the log share it', async () => {
    const res = await fetch(`${app.url}/api/orders/77`);
    assert.equal(res.status, 200);
    const id = res.headers.get('x-request-id') ?? '';
    assert.match(id, /^[0-9a-f-]{36}$/);
    const events = await eventsWhere(collector.url, (e) => e.request_id === id, 2);
    assert.deepEqual(events.map((e) => e.type).sort(), ['log', 'request']);
    assert.equal(events.find((e) => e.type === 'request').route, '/api/orders/[id]');
  });

  it("answers a route handler's redirect() and notFound() with the request id, and the cookies it set", async () => {
    const id = `go-${randomUUID()}`;
    const res = await fetch(`${app.url}/go`, { headers: { 'x-request-id': id }, redirect: 'manual' });
    assert.equal(res.status, 307);
    assert.equal(res.headers.get('location'), '/api/orders/1');
    assert.equal(res.headers.get('x-request-id'), id);
    assert.match(res.headers.get('set-cookie') ?? '', /visited=go/);
    const [r] = await eventsWhere(collector.url, (e) => e.request_id === id && e.type === 'request');
    assert.deepEqual([r.status, r.path], [307, '/go']);
    const gone = await fetch(`${app.url}/gone`, { headers: { 'x-request-id': `${id}-404` } });
    assert.equal(gone.status, 404);
    assert.equal(gone.headers.get('x-request-id'), `${id}-404`);
  });

  it('records a request the middleware answers itself', async () => {
    const id = `mw-${randomUUID()}`;
    const res = await fetch(`${app.url}/private`, { headers: { 'x-request-id': id } });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('x-request-id'), id);
    assert.equal(await res.text(), 'sign in first');
    const [r] = await eventsWhere(collector.url, (e) => e.request_id === id && e.type === 'request');
    assert.equal(r.status, 401);
    assert.equal(r.path, '/private');
    assert.equal(r.properties.response_bytes, 13);
  });
});
