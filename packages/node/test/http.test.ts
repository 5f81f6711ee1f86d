/** The middleware contract on a plain node:http server with a hand-written router, then the adapter's own edges. */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { withFootprint } from '../src/frameworks/http.js';
import type { Footprint } from '../src/index.js';
import { eventsWhere, eventually, marker, startCollector, TestProxy, testClient } from './support/harness.js';
import { middlewareContract } from './support/middleware-contract.js';

const ORDER = /^\/api\/orders\/([^/?]+)/;

middlewareContract('node:http', {
  orderRoute: '/api/orders/:id',
  async start(fp, options) {
    const handler = withFootprint(
      fp,
      async (req, res) => {
        const path = (req.url ?? '/').split('?')[0] ?? '/';
        const order = ORDER.exec(path);
        if (req.method === 'GET' && order) {
          await new Promise((r) => setTimeout(r, 5));
          fp.log.info('loading order', { order_id: order[1] });
          const body = JSON.stringify({ id: order[1] });
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
        } else if (req.method === 'POST' && path === '/api/orders') {
          const chunks: Buffer[] = [];
          for await (const c of req) chunks.push(c as Buffer);
          const { items } = JSON.parse(Buffer.concat(chunks).toString()) as { items: string[] };
          fp.log.info('creating order', { items: items.length });
          fp.track({ event: 'order_created', properties: { items: items.length } });
          res.writeHead(201, { 'content-length': 2 }).end('{}');
        } else if (path === '/boom') {
          await new Promise((r) => setTimeout(r, 1));
          throw new Error('kaboom');
        } else {
          res.writeHead(200, { 'content-length': 2 }).end('ok');
        }
      },
      {
        ...options,
        userId: (req) => req.headers['x-test-user'],
        route: (req) => (ORDER.test(req.url ?? '') ? '/api/orders/:id' : undefined),
      },
    );
    const server = http.createServer(handler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((r) => server.close(() => r()).closeAllConnections()),
    };
  },
});

describe('node:http adapter edges', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let proxy: TestProxy;
  let fp: Footprint;
  const servers: http.Server[] = [];
  before(async () => {
    collector = await startCollector();
    proxy = await new TestProxy(collector.url).start();
    fp = testClient(proxy.url);
  });
  after(async () => {
    for (const s of servers) await new Promise<void>((r) => s.close(() => r()).closeAllConnections());
    await fp.shutdown();
    await proxy.stop();
    await collector.dispose();
  });
  const serve = async (handler: Parameters<typeof withFootprint>[1], options: Parameters<typeof withFootprint>[2] = {}) => {
    const server = http.createServer(withFootprint(fp, handler, options));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const onWire = (id: string, type: string) => proxy.requests.flatMap((r) => r.events).find((e) => e.requestId === id && e.type === type);

  it('masks every secret query key with a secretQueryKeys pattern that has the g flag', async () => {
    const url = await serve((_req, res) => res.end('ok'), { secretQueryKeys: /token|key/gi });
    const id = marker();
    await (await fetch(`${url}/x?token=a&api_key=b&key=c&q=d`, { headers: { 'x-request-id': id } })).text();
    await fp.flush();
    await eventually(async () => onWire(id, 'request'));
    assert.deepEqual(onWire(id, 'request').properties.query, { token: '[masked]', api_key: '[masked]', key: '[masked]', q: 'd' });
  });

  it('cuts a response the handler fails in the middle of, and records it as a 500 with the error, not as a client that left', async () => {
    const url = await serve(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first half');
      await new Promise((r) => setTimeout(r, 20));
      throw new Error('database went away');
    });
    const id = marker();
    const res = await fetch(`${url}/report`, { headers: { 'x-request-id': id } });
    assert.equal(res.status, 200, 'the head was already out');
    await assert.rejects(res.text(), 'the client sees the body cut, not a complete one');
    await fp.flush();
    const events = await eventsWhere(collector.url, (e) => e.request_id === id, 2);
    const request = events.find((e) => e.type === 'request');
    assert.deepEqual(
      [request.status, request.properties.aborted, request.properties.error_message],
      [500, undefined, 'database went away'],
    );
    assert.equal(events.find((e) => e.type === 'error').message, 'database went away');
  });

  it("gives the events written during a request the client's address and user agent, not the server's", async () => {
    const url = await serve(
      (_req, res) => {
        fp.log.info('inside the request');
        fp.track({ event: 'report_viewed', userId: 'u_ip' });
        res.end('ok');
      },
      { trustProxy: true },
    );
    const id = marker();
    const headers = {
      'x-request-id': id,
      'x-forwarded-for': '203.0.113.50',
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0',
    };
    await (await fetch(`${url}/r`, { headers })).text();
    await fp.flush();
    await eventually(async () => onWire(id, 'log') && onWire(id, 'track') && onWire(id, 'request'));
    for (const type of ['log', 'track']) {
      assert.deepEqual(onWire(id, type).context, { ip: '203.0.113.50', userAgent: headers['user-agent'] }, type);
    }
    assert.equal(onWire(id, 'request').context, undefined, 'the request event has its own');
    const stored = await eventsWhere(collector.url, (e) => e.request_id === id, 3);
    for (const e of stored) assert.equal(e.ip, '203.0.113.0', `${e.type}: the client's address, truncated by the collector`);
    assert.equal(stored.find((e) => e.type === 'log').browser, 'Firefox');
  });

  it('keeps the events of a request with a 3,000-character user agent or a forged X-Forwarded-For: the collector takes them', async () => {
    const url = await serve(
      (_req, res) => {
        fp.log.info('inside a request with odd headers');
        res.end('ok');
      },
      { trustProxy: true },
    );
    const longUa = `Mozilla/5.0 ${'x'.repeat(3000)}`;
    const ids = { ua: marker(), ip: marker() };
    await (await fetch(`${url}/odd`, { headers: { 'x-request-id': ids.ua, 'user-agent': longUa } })).text();
    await (await fetch(`${url}/odd`, { headers: { 'x-request-id': ids.ip, 'x-forwarded-for': 'a'.repeat(100) } })).text();
    await fp.flush();
    const stored = await eventsWhere(collector.url, (e) => e.request_id === ids.ua || e.request_id === ids.ip, 4);
    const logOf = (id: string) => stored.find((e) => e.request_id === id && e.type === 'log');
    assert.ok(logOf(ids.ua), 'the log line of the request with the long user agent is stored');
    assert.equal(logOf(ids.ua).user_agent.length, 2048, 'cut to the bound of context.userAgent');
    assert.ok(logOf(ids.ip), 'the log line of the request with the forged address is stored');
    assert.equal(onWire(ids.ip, 'log').context?.ip, undefined, 'text that is not an address is not sent as one');
  });

  it('records no response bytes for a HEAD request, whatever Content-Length says', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': 5000 }).end();
    });
    const id = marker();
    await fetch(`${url}/head`, { method: 'HEAD', headers: { 'x-request-id': id } });
    await fp.flush();
    await eventually(async () => onWire(id, 'request'));
    assert.equal(onWire(id, 'request').properties.response_bytes, 0);
  });

  it('leaves a response that was already complete whole when the handler throws after it', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 'x');
    const url = await serve(async (_req, res) => {
      res.end(big);
      throw new Error('after the end');
    });
    const id = marker();
    const res = await fetch(`${url}/export`, { headers: { 'x-request-id': id } });
    assert.equal((await res.arrayBuffer()).byteLength, big.length);
    await fp.flush();
    const events = await eventsWhere(collector.url, (e) => e.request_id === id, 2);
    assert.equal(events.find((e) => e.type === 'error').message, 'after the end');
    assert.equal(events.find((e) => e.type === 'request').status, 200);
  });
});
