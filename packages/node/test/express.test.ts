/** The middleware contract on a real Express 5 app, with its JSON body parser and a mounted router; then errors leaving a mounted router. */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { footprintErrorHandler, footprintMiddleware } from '../src/frameworks/express.js';
import type { Footprint } from '../src/index.js';
import { eventsWhere, marker, startCollector, testClient } from './support/harness.js';
import { middlewareContract } from './support/middleware-contract.js';

middlewareContract('Express', {
  orderRoute: '/api/orders/:id',
  async start(fp, options) {
    const app = express();
    app.use(footprintMiddleware(fp, { ...options, userId: (req) => req.headers['x-test-user'] }));
    app.use(express.json({ limit: '1mb' }));
    const api = express.Router();
    api.get('/orders/:id', async (req, res) => {
      await new Promise((r) => setTimeout(r, 5));
      fp.log.info('loading order', { order_id: req.params.id });
      res.json({ id: req.params.id });
    });
    api.post('/orders', (req, res) => {
      fp.log.info('creating order', { items: req.body.items.length });
      fp.track({ event: 'order_created', properties: { items: req.body.items.length } });
      res.status(201).json({ ok: true });
    });
    app.use('/api', api);
    app.get('/boom', async () => {
      await new Promise((r) => setTimeout(r, 1));
      throw new Error('kaboom');
    });
    app.get('/healthz', (_req, res) => {
      res.send('ok');
    });
    app.use(footprintErrorHandler(fp));
    app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).send('Internal Server Error');
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((r) => server.close(() => r()).closeAllConnections()),
    };
  },
});

describe('Express: mounted routers and failed responses', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let fp: Footprint;
  let server: Server;
  let url: string;
  before(async () => {
    collector = await startCollector();
    fp = testClient(collector.url);
    const app = express();
    app.use(footprintMiddleware(fp));
    const api = express.Router();
    api.get('/fail/:id', async () => {
      throw new Error('router broke');
    });
    app.use('/api', api);
    app.get('/export', (_req, res) => {
      res.write('first rows');
      res.destroy(new Error('disk read failed'));
    });
    app.get('/slow', (_req, res) => {
      setTimeout(() => res.end('late'), 2_000).unref();
    });
    app.use(footprintErrorHandler(fp));
    app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).send('Internal Server Error');
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()).closeAllConnections());
    await fp.shutdown();
    await collector.dispose();
  });

  it('records a response the app destroyed with an error as a 500 with its message, not as a client that went away', async () => {
    const id = marker();
    await assert.rejects(fetch(`${url}/export`, { headers: { 'x-request-id': id } }).then((r) => r.text()));
    await fp.flush();
    const [r] = await eventsWhere(collector.url, (e) => e.request_id === id && e.type === 'request');
    assert.equal(r.status, 500);
    assert.equal(r.message, 'disk read failed');
    assert.equal(r.properties.aborted, undefined);
  });

  it('records a client that went away as 499, with its address (the socket is gone by then)', async () => {
    const id = marker();
    const abort = new AbortController();
    const pending = fetch(`${url}/slow`, { headers: { 'x-request-id': id }, signal: abort.signal });
    setTimeout(() => abort.abort(), 100);
    await assert.rejects(pending);
    await fp.flush();
    const [r] = await eventsWhere(collector.url, (e) => e.request_id === id && e.type === 'request');
    // The collector truncates addresses (127.0.0.1 → 127.0.0.0).
    assert.deepEqual([r.status, r.properties.aborted, r.properties.ip], [499, true, '127.0.0.0']);
  });

  it('names an error that leaves a mounted router with the full route, mount path included', async () => {
    const id = marker();
    const res = await fetch(`${url}/api/fail/7`, { headers: { 'x-request-id': id } });
    assert.equal(res.status, 500);
    await fp.flush();
    const events = await eventsWhere(collector.url, (e) => e.request_id === id, 2);
    assert.equal(events.find((e) => e.type === 'request').route, '/api/fail/:id');
    assert.equal(events.find((e) => e.type === 'error').properties.route, '/api/fail/:id');
  });
});
