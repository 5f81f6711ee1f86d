/**
 * The Next.js adapters called with real `next/server` objects (NextRequest, NextResponse) and
 * Next's own `redirect()` / `notFound()`, for what a running app does not show easily:
 * catch-all routes, Next's control-flow errors, header overrides, streamed and cancelled
 * bodies, and `waitUntil`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { notFound, permanentRedirect, redirect } from 'next/navigation.js';
import { NextRequest, NextResponse } from 'next/server.js';
import { footprintMiddleware, routeFromParams, withFootprint } from '../src/frameworks/next.js';
import { eventsWhere, eventually, marker, startCollector, TestProxy, testClient } from './support/harness.js';

describe('Next.js adapters with next/server objects', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let proxy: TestProxy;
  let fp: ReturnType<typeof testClient>;
  before(async () => {
    collector = await startCollector();
    proxy = await new TestProxy(collector.url).start();
    fp = testClient(proxy.url);
  });
  after(async () => {
    await fp.shutdown();
    await proxy.stop();
    await collector.dispose();
  });

  const request = (path: string, headers: Record<string, string> = {}) => new NextRequest(`http://localhost${path}`, { headers });
  const ofRequest = (id: string, count = 1) => eventsWhere(collector.url, (e) => e.request_id === id, count);

  it('names the route after its pattern: dynamic, catch-all and encoded segments', async () => {
    assert.equal(await routeFromParams('/api/users/42', { params: Promise.resolve({ id: '42' }) }), '/api/users/[id]');
    assert.equal(await routeFromParams('/docs/a/b/c', { params: { slug: ['a', 'b', 'c'] } }), '/docs/[...slug]');
    assert.equal(await routeFromParams('/shop/caf%C3%A9/7', { params: { name: 'café', id: '7' } }), '/shop/[name]/[id]');
    assert.equal(await routeFromParams('/static', { params: Promise.resolve({}) }), '/static');
    assert.equal(await routeFromParams('/static', { params: undefined }), '/static', 'what Next 16 passes to a static route handler');
    assert.equal(await routeFromParams('/x', undefined), undefined);
    assert.equal(await routeFromParams('/x', {}), undefined);
    // A value that a static segment before it also has: the dynamic segment is the later one.
    assert.equal(await routeFromParams('/api/orders/orders', { params: { id: 'orders' } }), '/api/orders/[id]');
    assert.equal(await routeFromParams('/blog/2024/2024', { params: { year: '2024', n: '2024' } }), '/blog/[year]/[n]');
    assert.equal(await routeFromParams('/docs/docs/a', { params: { slug: ['docs', 'a'] } }), '/docs/[...slug]');
  });

  it('answers redirect() and notFound() as Next does, with the request id, and records them as requests, not errors', async () => {
    const [a, b] = [marker(), marker()];
    const toLogin = withFootprint(fp, async () => redirect('/login'));
    const missing = withFootprint(fp, async () => notFound());
    const moved = await toLogin(request('/account', { 'x-request-id': a }), {});
    assert.deepEqual([moved.status, moved.headers.get('location'), moved.headers.get('x-request-id')], [307, '/login', a]);
    const gone = await missing(request('/nothing', { 'x-request-id': b }), {});
    assert.deepEqual([gone.status, gone.headers.get('x-request-id'), await gone.text()], [404, b, '']);
    await fp.flush();
    const [ra] = await ofRequest(a);
    const [rb] = await ofRequest(b);
    assert.deepEqual([ra.type, ra.status, rb.type, rb.status], ['request', 307, 'request', 404]);
    assert.equal((await eventsWhere(collector.url, (e) => e.type === 'error' && [a, b].includes(e.request_id), 0)).length, 0);
  });

  it('keeps the URL of a redirect whose URL holds a semicolon, and its status', async () => {
    const id = marker();
    const moved = withFootprint(fp, async () => permanentRedirect('/a;b'));
    const res = await moved(request('/old', { 'x-request-id': id }), {});
    assert.deepEqual([res.status, res.headers.get('location')], [308, '/a;b']);
    await fp.flush();
    const [r] = await ofRequest(id);
    assert.equal(r.status, 308);
  });

  it("leaves a server action's redirect to Next, recording the 303 Next answers", async () => {
    const id = marker();
    const action = withFootprint(fp, async () => redirect('/done'));
    await assert.rejects(action(request('/form', { 'x-request-id': id, 'next-action': 'abc123' }), {}), (e: any) =>
      e.digest.startsWith('NEXT_REDIRECT'),
    );
    await fp.flush();
    const [r] = await ofRequest(id);
    assert.equal(r.status, 303);
  });

  it('takes the client address from X-Forwarded-For by default, and not at all with trustProxy false', async () => {
    const [a, b] = [marker(), marker()];
    const handler = (trustProxy?: boolean) => withFootprint(fp, async () => new Response('ok'), { trustProxy });
    const headers = (id: string) => ({ 'x-request-id': id, 'x-forwarded-for': '203.0.113.50, 10.0.0.1' });
    await (await handler()(request('/a', headers(a)), {})).text();
    await (await handler(false)(request('/b', headers(b)), {})).text();
    await fp.flush();
    const onWire = (id: string) => proxy.requests.flatMap((r) => r.events).find((e) => e.requestId === id && e.type === 'request');
    await eventually(async () => onWire(a) && onWire(b));
    assert.equal(onWire(a).properties.ip, '203.0.113.50');
    assert.equal(onWire(b).properties.ip, undefined, 'a header anyone can send is not taken for the address');
  });

  it('records a HEAD request at once (Next never reads its body), with the size the headers give', async () => {
    const id = marker();
    const handler = withFootprint(fp, async () => new Response('twelve bytes', { headers: { 'content-length': '12' } }));
    const res = await handler(new NextRequest('http://localhost/api/orders/43', { method: 'HEAD', headers: { 'x-request-id': id } }), {});
    assert.equal(res.headers.get('x-request-id'), id);
    await fp.flush();
    const [r] = await ofRequest(id);
    assert.deepEqual([r.properties.method, r.status, r.properties.response_bytes], ['HEAD', 200, 12]);
  });

  it('links what a streamed body logs while it is produced to the request', async () => {
    const id = marker();
    async function* rows() {
      fp.log.info('stream start', { id });
      await new Promise((r) => setTimeout(r, 5));
      fp.log.info('stream after await', { id });
      yield new TextEncoder().encode('row\n');
    }
    const handler = withFootprint(fp, async () => new Response(ReadableStream.from(rows())));
    const res = await handler(request('/api/rows', { 'x-request-id': id }), {});
    assert.equal(await res.text(), 'row\n');
    await fp.flush();
    const logs = await eventsWhere(collector.url, (e) => e.type === 'log' && e.properties?.id === id, 2);
    assert.deepEqual(
      logs.map((e) => e.request_id),
      [id, id],
    );
  });

  it('counts a streamed body as it is sent, and records a client that went away with 499', async () => {
    const [done, gone] = [marker(), marker()];
    const chunks = ['alpha,', 'beta,', 'gamma'];
    const stream = () =>
      new ReadableStream<Uint8Array>({
        start(ctl) {
          for (const c of chunks) ctl.enqueue(new TextEncoder().encode(c));
          ctl.close();
        },
      });
    const handler = withFootprint(fp, async () => new Response(stream(), { headers: { 'content-type': 'text/plain' } }));
    const full = await handler(request('/export', { 'x-request-id': done }), {});
    assert.equal(await full.text(), 'alpha,beta,gamma');
    const cut = await handler(request('/export', { 'x-request-id': gone }), {});
    const reader = cut.body?.getReader();
    await reader?.read();
    await reader?.cancel();
    await fp.flush();
    const [rd] = await ofRequest(done);
    const [rg] = await ofRequest(gone);
    assert.equal(rd.properties.response_bytes, 16);
    assert.equal(rd.status, 200);
    assert.equal(rg.status, 499);
    assert.equal(rg.properties.aborted, true);
  });

  it('records a body that fails while it streams as a 500 with its message', async () => {
    const id = marker();
    async function* rows() {
      yield new TextEncoder().encode('row\n');
      throw new Error('query cursor lost');
    }
    const handler = withFootprint(fp, async () => new Response(ReadableStream.from(rows())));
    const res = await handler(request('/api/rows', { 'x-request-id': id }), {});
    await assert.rejects(res.text(), /query cursor lost/);
    await fp.flush();
    const [r] = await ofRequest(id);
    assert.deepEqual([r.status, r.message, r.properties.aborted], [500, 'query cursor lost', undefined]);
  });

  it('hands a flush to waitUntil after each response, for serverless hosting', async () => {
    const handed: Promise<unknown>[] = [];
    const handler = withFootprint(fp, async () => Response.json({ ok: true }), { waitUntil: (p) => handed.push(p) });
    const res = await handler(request('/api/ping'), {});
    await res.text();
    assert.equal(handed.length, 1);
    assert.deepEqual(await handed[0], { ok: true, pending: 0 });
  });

  it('keeps the request headers a middleware overrides with NextResponse.next({ request }) and adds the request id to them', async () => {
    const id = marker();
    const mw = footprintMiddleware(fp, (req) => {
      const headers = new Headers(req.headers);
      headers.set('x-tenant', 'acme');
      return NextResponse.next({ request: { headers } });
    });
    const res = await mw(request('/api/x', { 'x-request-id': id, accept: 'application/json' }));
    const listed = (res.headers.get('x-middleware-override-headers') ?? '').split(',');
    assert.ok(listed.includes('x-tenant') && listed.includes('accept') && listed.includes('x-request-id'));
    assert.equal(res.headers.get('x-middleware-request-x-tenant'), 'acme');
    assert.equal(res.headers.get('x-middleware-request-x-request-id'), id);
    assert.equal(res.headers.get('x-request-id'), id);
  });

  it('passes the request through with all its headers when the middleware has no function of its own', async () => {
    const res = await footprintMiddleware(fp)(request('/api/y', { accept: 'text/html', cookie: 'fp_aid=a1' }));
    assert.equal(res.headers.get('x-middleware-next'), '1');
    const id = res.headers.get('x-request-id') ?? '';
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.deepEqual((res.headers.get('x-middleware-override-headers') ?? '').split(',').sort(), ['accept', 'cookie', 'x-request-id']);
    assert.equal(res.headers.get('x-middleware-request-cookie'), 'fp_aid=a1');
    assert.equal(res.headers.get('x-middleware-request-x-request-id'), id);
  });

  it('records an exception of the middleware as an error of its request and rethrows it', async () => {
    const id = marker();
    const mw = footprintMiddleware(fp, () => {
      throw new Error('middleware broke');
    });
    await assert.rejects(mw(request('/api/z', { 'x-request-id': id })), /middleware broke/);
    await fp.flush();
    const events = await ofRequest(id, 2);
    assert.equal(events.find((e) => e.type === 'error').message, 'middleware broke');
    assert.equal(events.find((e) => e.type === 'request').status, 500);
  });
});
