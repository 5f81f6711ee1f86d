/** The middleware contract on a real Fastify 5 app, with a prefixed plugin and its own body parser; then a hijacked reply. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { footprintPlugin } from '../src/frameworks/fastify.js';
import type { Footprint } from '../src/index.js';
import { eventsWhere, marker, startCollector, testClient } from './support/harness.js';
import { middlewareContract } from './support/middleware-contract.js';

middlewareContract('Fastify', {
  orderRoute: '/api/orders/:id',
  async start(fp, options) {
    const app = Fastify({ bodyLimit: 1024 * 1024 });
    await app.register(footprintPlugin, { ...options, client: fp, userId: (req) => req.headers['x-test-user'] });
    await app.register(
      async (api) => {
        api.get<{ Params: { id: string } }>('/orders/:id', async (req) => {
          await new Promise((r) => setTimeout(r, 5));
          fp.log.info('loading order', { order_id: req.params.id });
          return { id: req.params.id };
        });
        api.post<{ Body: { items: string[] } }>('/orders', async (req, reply) => {
          fp.log.info('creating order', { items: req.body.items.length });
          fp.track({ event: 'order_created', properties: { items: req.body.items.length } });
          return reply.code(201).send({ ok: true });
        });
      },
      { prefix: '/api' },
    );
    app.get('/boom', async () => {
      await new Promise((r) => setTimeout(r, 1));
      throw new Error('kaboom');
    });
    app.get('/healthz', async () => 'ok');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
  },
});

describe('Fastify replies the app writes itself, and clients that went away', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let fp: Footprint;
  let app: FastifyInstance;
  let url: string;
  before(async () => {
    collector = await startCollector();
    fp = testClient(collector.url);
    // A hijacked reply's connection is never idle to Fastify: without this, close waits for its keep-alive timeout.
    app = Fastify({ forceCloseConnections: true });
    await app.register(footprintPlugin, { client: fp });
    app.get('/raw', (_req, reply) => {
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/plain', 'content-length': '3' });
      reply.raw.end('raw');
    });
    app.get('/slow/:id', async (_req, reply) => {
      await new Promise((r) => setTimeout(r, 2_000).unref());
      return reply.send('late');
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  after(async () => {
    await app.close();
    await fp.shutdown();
    await collector.dispose();
  });

  it('sends the request id with a hijacked reply and records the reply', async () => {
    const id = marker();
    const res = await fetch(`${url}/raw`, { headers: { 'x-request-id': id } });
    assert.equal(await res.text(), 'raw');
    assert.equal(res.headers.get('x-request-id'), id);
    await fp.flush();
    const [r] = await eventsWhere(collector.url, (e) => e.request_id === id && e.type === 'request');
    assert.deepEqual([r.status, r.route, r.properties.response_bytes, r.properties.aborted], [200, '/raw', 3, undefined]);
  });

  it('records a client that went away as 499, with its route and address', async () => {
    const id = marker();
    const abort = new AbortController();
    const pending = fetch(`${url}/slow/9`, { headers: { 'x-request-id': id }, signal: abort.signal });
    setTimeout(() => abort.abort(), 100);
    await assert.rejects(pending);
    await fp.flush();
    const [r] = await eventsWhere(collector.url, (e) => e.request_id === id && e.type === 'request');
    // The collector truncates addresses (127.0.0.1 → 127.0.0.0).
    assert.deepEqual([r.status, r.route, r.properties.aborted, r.properties.ip], [499, '/slow/:id', true, '127.0.0.0']);
  });
});
