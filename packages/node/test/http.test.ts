/** The middleware contract on a plain node:http server with a hand-written router. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { withFootprint } from '../src/frameworks/http.js';
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
