/**
 * Fastify (4.10+ and 5): a plugin that records one `request` event per request (route
 * template from `routeOptions.url`, client address from `request.ip`, which follows
 * Fastify's `trustProxy`), returns the request id, runs the request in its correlation
 * context, and records exceptions (5xx ones) as `error` events of the same request.
 *
 * @example
 * import { footprintPlugin } from '@footprint/node/fastify';
 * await app.register(footprintPlugin, { client: fp, userId: (req) => req.user?.id });
 */
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import type { Footprint } from '../client.js';
import { runWithContext } from '../context.js';
import { headerGetter, isServerError, nodeFacts } from '../http/node-facts.js';
import { type RequestLoggingOptions, RequestRecorder, type RequestState } from '../http/recorder.js';

export interface FastifyOptions extends RequestLoggingOptions<FastifyRequest> {
  client: Footprint;
}

const STATE = Symbol.for('footprint.request');
type WithState = FastifyRequest & { [STATE]?: RequestState };

const plugin: FastifyPluginCallback<FastifyOptions> = (app, options, done) => {
  const recorder = new RequestRecorder<FastifyRequest>(options.client, options);
  const header = recorder.requestIdHeader;
  // Declared up front, so every request object has the field from birth (one object shape).
  if (!app.hasRequestDecorator(STATE)) app.decorateRequest(STATE as unknown as string, null);

  app.addHook('onRequest', (request, reply, next) => {
    let state: RequestState;
    try {
      state = recorder.begin(request, request.method, request.url, headerGetter(request.headers), request.ip);
      (request as WithState)[STATE] = state;
      const raw = reply.raw;
      // On the raw response: Fastify's writeHead keeps it, and a hijacked reply sends it too.
      raw.setHeader(header, state.ctx.requestId);
      // One listener on the raw response covers a finished reply, a client that went away and
      // a hijacked reply alike (Fastify's onResponse and onRequestAbort hooks would cost a
      // hook run and a listener of their own on every request).
      raw.once('close', () =>
        recorder.end(state, nodeFacts(request.raw, raw, state.ctx.ip, request.routeOptions?.url, reply.getHeader('content-length'))),
      );
    } catch {
      next();
      return;
    }
    runWithContext(state.ctx, next);
  });

  app.addHook('onError', (request, _reply, error, next) => {
    if (isServerError(error)) recorder.fail((request as WithState)[STATE], error, request.routeOptions?.url);
    next();
  });

  done();
};

// Like fastify-plugin: the hooks apply to the whole application, not only to an encapsulated child.
Object.assign(plugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: '@footprint/node' });

export const footprintPlugin = plugin;
