/** The middleware contract on a real Fastify 5 app, with a prefixed plugin and its own body parser; then a hijacked reply. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { footprintPlugin } from '../src/frameworks/fastify.js';
import { marker, startCollector, testClient } from './support/harness.js';
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

describe('Fastify replies the app writes itself', () => {
  it('sends the request id with a hijacked reply too', async () => {
    const collector = await startCollector();
    const fp = testClient(collector.url);
    const app = Fastify();
    await app.register(footprintPlugin, { client: fp });
    app.get('/raw', (_req, reply) => {
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/plain' });
      reply.raw.end('raw');
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const id = marker();
      const res = await fetch(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/raw`, {
        headers: { 'x-request-id': id },
      });
      assert.equal(await res.text(), 'raw');
      assert.equal(res.headers.get('x-request-id'), id);
    } finally {
      await app.close();
      await fp.shutdown();
      await collector.dispose();
    }
  });
});
