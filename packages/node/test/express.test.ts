/** The middleware contract on a real Express 5 app, with its JSON body parser and a mounted router. */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { footprintErrorHandler, footprintMiddleware } from '../src/frameworks/express.js';
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
