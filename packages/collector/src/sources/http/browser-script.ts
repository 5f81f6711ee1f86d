/**
 * GET /fp.js: the browser SDK as a <script> (the IIFE build of @footprint/browser,
 * `dist/fp.js`), so a site needs nothing but
 *
 *   <script src="https://collector.example/fp.js" data-key="WRITE_KEY" defer></script>
 *
 * The file is read once at start and kept in memory with its gzip form (level 9, the size the
 * SDK's budget measures). Responses carry an ETag (304 on a matching If-None-Match), an hour
 * of public caching, CORS for any origin, and `Vary: Accept-Encoding`. Without the file (the
 * browser package not built) the route answers 503 script_unavailable, and the rest of the
 * collector works as before.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { constants, gzipSync } from 'node:zlib';
import { errors } from '../../errors.js';
import { CORS_HEADERS, sendError } from './respond.js';

export interface BrowserScript {
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

/** Where the built script is: the `./fp.js` export of the @footprint/browser package. */
export function browserScriptPath(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('@footprint/browser/fp.js');
  } catch {
    return undefined;
  }
}

/** Reads and compresses the script; undefined when the file is missing. */
export async function loadBrowserScript(path = browserScriptPath()): Promise<BrowserScript | undefined> {
  if (path === undefined) return undefined;
  let body: Buffer;
  try {
    body = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return {
    body,
    gzip: gzipSync(body, { level: constants.Z_BEST_COMPRESSION }),
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
}

const CACHE_CONTROL = 'public, max-age=3600';

/** The GET/HEAD /fp.js handler for a loaded script (or none). */
export function createBrowserScriptHandler(script: BrowserScript | undefined): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (!script) return sendError(res, errors.scriptUnavailable());
    const headers: Record<string, string | number> = {
      ...CORS_HEADERS,
      'content-type': 'application/javascript; charset=utf-8',
      'cache-control': CACHE_CONTROL,
      etag: script.etag,
      vary: 'Accept-Encoding',
    };
    const cached = String(req.headers['if-none-match'] ?? '').split(',');
    if (cached.some((tag) => tag.trim().replace(/^W\//, '') === script.etag)) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? script.gzip : script.body;
    if (gzip) headers['content-encoding'] = 'gzip';
    headers['content-length'] = body.length;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
