/**
 * The application under load in the Node SDK benchmark: the same Express or Fastify app
 * with no request logger, with pino-http writing to /dev/null, or with Footprint's
 * middleware (outbox on, the default for a server, or memory only).
 *
 *   node bench/node-sdk/app.mjs <express|fastify> <variant> <sinkUrl> <outboxDir>
 *
 * variant: none | pino-http (async destination) | pino-http-sync | fastify-logger (Fastify's own
 * pino logger, Fastify only) | als (no logger, but each request run in an AsyncLocalStorage
 * context: what Node 20 charges for the request context alone) | footprint (defaults: outbox
 * on, no gzip to a loopback collector) | footprint-gzip (outbox on, gzip forced) | footprint-memory
 *
 * Prints "listening <port>" when ready; SIGTERM shuts down cleanly (Footprint flushes).
 */
import { createFootprint } from '../../packages/node/dist/index.js';

const [framework, variant, sinkUrl, outboxDir] = process.argv.slice(2);

async function makeLogger() {
  if (variant.startsWith('pino-http')) {
    const { pino } = await import('pino');
    const { pinoHttp } = await import('pino-http');
    // pino's recommended asynchronous setup buffers 4 KB before each write.
    const dest =
      variant === 'pino-http-sync'
        ? pino.destination({ dest: '/dev/null', sync: true })
        : pino.destination({ dest: '/dev/null', sync: false, minLength: 4096 });
    return { httpLogger: pinoHttp({ logger: pino(dest) }) };
  }
  if (variant.startsWith('footprint')) {
    const fp = createFootprint({
      endpoint: sinkUrl,
      writeKey: 'bench_write_key',
      outbox: variant === 'footprint-memory' ? false : { dir: outboxDir },
      ...(variant === 'footprint-gzip' ? { gzip: true } : {}),
      onError: (e) => process.stderr.write(`footprint: ${e.code} ${e.message}\n`),
    });
    return { fp };
  }
  return {};
}

const { httpLogger, fp } = await makeLogger();
const { AsyncLocalStorage } = await import('node:async_hooks');
const als = variant === 'als' ? new AsyncLocalStorage() : undefined;
let server;

if (framework === 'express') {
  const { default: express } = await import('express');
  const app = express();
  if (httpLogger) app.use(httpLogger);
  if (als) app.use((_req, _res, next) => als.run({ id: 1 }, next));
  if (fp) {
    const { footprintMiddleware } = await import('../../packages/node/dist/frameworks/express.js');
    app.use(footprintMiddleware(fp));
  }
  app.get('/api/orders/:id', (req, res) => {
    res.json({ id: req.params.id, status: 'paid' });
  });
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
} else {
  const { default: Fastify } = await import('fastify');
  // Fastify's own logger: pino, logging "incoming request" and "request completed" for each request.
  const app =
    variant === 'fastify-logger'
      ? Fastify({ logger: { stream: (await import('pino')).pino.destination({ dest: '/dev/null', sync: false, minLength: 4096 }) } })
      : Fastify({ logger: false });
  if (httpLogger) {
    app.addHook('onRequest', (req, reply, done) => {
      httpLogger(req.raw, reply.raw);
      done();
    });
  }
  if (als) app.addHook('onRequest', (_req, _reply, done) => als.run({ id: 1 }, done));
  if (fp) {
    const { footprintPlugin } = await import('../../packages/node/dist/frameworks/fastify.js');
    await app.register(footprintPlugin, { client: fp });
  }
  app.get('/api/orders/:id', async (req) => ({ id: req.params.id, status: 'paid' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  server = app.server;
}

process.stdout.write(`listening ${server.address().port}\n`);
process.on('SIGTERM', async () => {
  server.close();
  server.closeAllConnections?.();
  if (fp) {
    const result = await fp.shutdown({ timeoutMs: 5000 });
    process.stdout.write(`${JSON.stringify({ footprint: { ...fp.stats(), flushed: result.ok } })}\n`);
  }
  process.exit(0);
});
