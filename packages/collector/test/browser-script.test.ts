/**
 * GET /fp.js: the collector serves the browser SDK's <script> build, compressed and cacheable,
 * to any origin; without the build it answers a catalogued 503.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { type InProcess, startInProcess } from './support/collector.js';
import { assertError, send } from './support/http-client.js';

/** A GET without the automatic decompression of fetch, to see the bytes as sent. */
function get(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body: Buffer.concat(parts) }),
      );
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

const script = readFileSync(createRequire(import.meta.url).resolve('@footprint/browser/fp.js'));

describe('GET /fp.js', () => {
  let collector: InProcess;
  before(async () => {
    collector = await startInProcess();
  });
  after(() => collector.dispose());

  it('serves the browser script as JavaScript with cache headers and CORS for any origin', async () => {
    const res = await get(`${collector.url}/fp.js`, { 'accept-encoding': 'identity' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/javascript; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'public, max-age=3600');
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.match(res.headers.etag ?? '', /^"[\w-]+"$/);
    assert.equal(res.headers['content-encoding'], undefined);
    assert.deepEqual(res.body, script);
  });

  it('sends it gzip-compressed to a client that accepts gzip', async () => {
    const res = await get(`${collector.url}/fp.js`, { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.equal(res.headers.vary, 'Accept-Encoding');
    assert.equal(Number(res.headers['content-length']), res.body.length);
    assert.ok(res.body.length < script.length / 1.5, 'compressed');
    assert.deepEqual(gunzipSync(res.body), script);
  });

  it('answers 304 without a body when the cached copy is current', async () => {
    const { headers } = await get(`${collector.url}/fp.js`);
    const res = await get(`${collector.url}/fp.js`, { 'if-none-match': `W/"other", ${headers.etag}` });
    assert.equal(res.status, 304);
    assert.equal(res.body.length, 0);
    assert.equal(res.headers.etag, headers.etag);
  });

  it('answers HEAD with the headers only, and refuses POST with 405', async () => {
    const head = await get(`${collector.url}/fp.js`, { 'accept-encoding': 'identity' }, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers['content-length']), script.length);
    assert.equal(head.body.length, 0);
    const post = await send(`${collector.url}/fp.js`, { method: 'POST', body: '{}' });
    assertError(post, 405, 'method_not_allowed');
    assert.equal(post.headers.get('allow'), 'GET, HEAD, OPTIONS');
  });
});

describe('GET /fp.js without the browser build', () => {
  let collector: InProcess;
  before(async () => {
    collector = await startInProcess({}, undefined, { browserScriptFile: '/nonexistent/packages/browser/dist/fp.js' });
  });
  after(() => collector.dispose());

  it('answers 503 script_unavailable with how to build it, while ingestion works', async () => {
    const res = await send(`${collector.url}/fp.js`, { method: 'GET', headers: {} });
    assertError(res, 503, 'script_unavailable');
    assert.match(res.body.error.message, /npm run build/);
    assert.equal((await send(`${collector.url}/healthz`, { method: 'GET', headers: {} })).status, 200);
  });
});
