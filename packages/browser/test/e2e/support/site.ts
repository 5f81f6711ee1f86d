/**
 * A real static web site on 127.0.0.1 for end-to-end tests: pages are HTML (or, for paths
 * ending in .js, JavaScript) strings by path
 * (any query string is ignored for routing), `/api/echo` answers the request headers it got
 * (for backend correlation), and every request is recorded. The site and the collector are on
 * different ports, so the SDK's requests to the collector are cross-origin, as in production.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Site {
  url: string;
  /** Path (with query) and headers of every request the site received. */
  requests: Array<{ path: string; headers: IncomingHttpHeaders }>;
  close(): Promise<void>;
}

export async function startSite(pages: Record<string, string>): Promise<Site> {
  const requests: Site['requests'] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push({ path, headers: req.headers });
    const route = path.split('?')[0] as string;
    if (route === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    if (route.startsWith('/api/echo')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.headers));
      return;
    }
    // A single-page app answers its shell for every path under it.
    const html = pages[route] ?? Object.entries(pages).find(([p]) => p.endsWith('/*') && route.startsWith(p.slice(0, -1)))?.[1];
    if (html === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': route.endsWith('.js') ? 'application/javascript' : 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An HTML page with a title, a body and any head content (the SDK's script tag). */
export function html(title: string, body: string, head = ''): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>${head}</head><body>${body}</body></html>`;
}
