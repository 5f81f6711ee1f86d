import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { type InProcess, startInProcess, trackEvent } from './support/collector.js';
import { assertError, assertHealthy, assertNotStored, type Json, jsonHeaders, send, waitForId, waitForIds } from './support/http-client.js';

const gzipJson = (value: unknown): Buffer => gzipSync(Buffer.from(JSON.stringify(value)));

describe('request body encodings and media types', () => {
  let fp: InProcess;
  before(async () => {
    fp = await startInProcess();
  });
  after(async () => {
    await fp.dispose();
  });

  it('accepts a gzip batch (Content-Encoding: gzip) and stores its events', async () => {
    const res = await send(`${fp.url}/v1/batch`, {
      headers: jsonHeaders({ 'content-encoding': 'gzip' }),
      body: gzipJson({ batch: [trackEvent('gz-1'), trackEvent('gz-2')] }),
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { success: true, accepted: 2 });
    await waitForIds(fp.url, ['gz-1', 'gz-2']);
  });

  it('accepts gzip on single-event endpoints and the x-gzip alias in any letter case', async () => {
    const a = await send(`${fp.url}/v1/track`, {
      headers: jsonHeaders({ 'content-encoding': 'gzip' }),
      body: gzipJson(trackEvent('gz-single')),
    });
    assert.equal(a.status, 200, a.text);
    const b = await send(`${fp.url}/v1/track`, {
      headers: jsonHeaders({ 'content-encoding': 'X-GZIP' }),
      body: gzipJson(trackEvent('gz-xgzip')),
    });
    assert.equal(b.status, 200, b.text);
    await waitForIds(fp.url, ['gz-single', 'gz-xgzip']);
  });

  it('accepts Content-Encoding: identity as an uncompressed body', async () => {
    const res = await send(`${fp.url}/v1/track`, {
      headers: jsonHeaders({ 'content-encoding': 'identity' }),
      body: trackEvent('gz-identity'),
    });
    assert.equal(res.status, 200, res.text);
    await waitForId(fp.url, 'gz-identity');
  });

  it('treats an empty Content-Encoding header as no encoding', async () => {
    const res = await send(`${fp.url}/v1/track`, {
      headers: jsonHeaders({ 'content-encoding': '' }),
      body: trackEvent('gz-empty'),
    });
    assert.equal(res.status, 200, res.text);
    await waitForId(fp.url, 'gz-empty');
  });

  it('accepts a compressed batch whose inflated size is well over the per-event limit but under 500 KB', async () => {
    const batch = Array.from({ length: 40 }, (_, i) => trackEvent(`gz-big-${i}`, { properties: { pad: 'z'.repeat(8000) } }));
    const body = gzipJson({ batch });
    assert.ok(body.length < 32 * 1024);
    const res = await send(`${fp.url}/v1/batch`, { headers: jsonHeaders({ 'content-encoding': 'gzip' }), body });
    assert.deepEqual(res.body, { success: true, accepted: 40 });
  });

  it('answers gzip that does not inflate with 400 invalid_gzip, storing nothing', async () => {
    const res = await send(`${fp.url}/v1/batch`, {
      headers: jsonHeaders({ 'content-encoding': 'gzip' }),
      body: Buffer.from(JSON.stringify({ batch: [trackEvent('gz-bad')] })),
    });
    assertError(res, 400, 'invalid_gzip', 'body');
    await assertNotStored(fp.url, 'gz-bad');
  });

  it('answers a truncated gzip stream with 400 invalid_gzip', async () => {
    const whole = gzipJson({ batch: [trackEvent('gz-cut')] });
    const res = await send(`${fp.url}/v1/batch`, {
      headers: jsonHeaders({ 'content-encoding': 'gzip' }),
      body: whole.subarray(0, whole.length - 12),
    });
    assertError(res, 400, 'invalid_gzip', 'body');
  });

  it('answers a gzip body with a corrupted checksum with 400 invalid_gzip', async () => {
    const body = Buffer.from(gzipJson({ batch: [trackEvent('gz-crc')] }));
    body[body.length - 6] = (body[body.length - 6] as number) ^ 0xff;
    const res = await send(`${fp.url}/v1/batch`, { headers: jsonHeaders({ 'content-encoding': 'gzip' }), body });
    assertError(res, 400, 'invalid_gzip', 'body');
  });

  it('answers a gzip bomb that inflates past 500 KB with 413 naming maxBatchBytes, and keeps serving', async () => {
    // 50 MB of one byte compresses to about 50 KB; the collector must stop inflating at 500 KB.
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20), { level: 9 });
    assert.ok(bomb.length < 500 * 1024);
    const res = await send(`${fp.url}/v1/batch`, { headers: jsonHeaders({ 'content-encoding': 'gzip' }), body: bomb });
    assertError(res, 413, 'payload_too_large', 'body');
    assert.match(res.body.error.message, /maxBatchBytes/);
    assert.match(res.body.error.message, /inflated/);
    await assertHealthy(fp.url);
  });

  it('answers a gzip bomb sent to a single-event endpoint with 413 naming maxEventBytes', async () => {
    const bomb = gzipSync(Buffer.alloc(5 * 1024 * 1024, 0x20), { level: 9 });
    assert.ok(bomb.length < 32 * 1024);
    const res = await send(`${fp.url}/v1/track`, { headers: jsonHeaders({ 'content-encoding': 'gzip' }), body: bomb });
    assertError(res, 413, 'payload_too_large', 'body');
    assert.match(res.body.error.message, /maxEventBytes/);
  });

  it('answers Content-Encoding br with 415 unsupported_encoding naming Content-Encoding', async () => {
    const res = await send(`${fp.url}/v1/batch`, {
      headers: jsonHeaders({ 'content-encoding': 'br' }),
      body: brotliCompressSync(Buffer.from(JSON.stringify({ batch: [trackEvent('gz-br')] }))),
    });
    assertError(res, 415, 'unsupported_encoding', 'Content-Encoding');
    assert.match(res.body.error.message, /br/);
    await assertNotStored(fp.url, 'gz-br');
  });

  it('answers deflate and stacked encodings with 415 unsupported_encoding', async () => {
    const deflated = await send(`${fp.url}/v1/batch`, {
      headers: jsonHeaders({ 'content-encoding': 'deflate' }),
      body: deflateSync(Buffer.from(JSON.stringify({ batch: [trackEvent('gz-deflate')] }))),
    });
    assertError(deflated, 415, 'unsupported_encoding', 'Content-Encoding');
    const stacked = await send(`${fp.url}/v1/batch`, {
      headers: jsonHeaders({ 'content-encoding': 'gzip, gzip' }),
      body: gzipSync(gzipJson({ batch: [trackEvent('gz-stacked')] })),
    });
    assertError(stacked, 415, 'unsupported_encoding', 'Content-Encoding');
  });

  it('answers multipart/form-data with 415 unsupported_media_type naming Content-Type, storing nothing', async () => {
    const form = new FormData();
    form.set('data', JSON.stringify({ batch: [trackEvent('ct-multipart')] }));
    const res = await fetch(`${fp.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: jsonHeaders().authorization as string },
      body: form,
    });
    const body = (await res.json()) as Json;
    assert.equal(res.status, 415);
    assert.equal(body.error.code, 'unsupported_media_type');
    assert.equal(body.error.path, 'Content-Type');
    assert.match(body.error.message, /Content-Type multipart\/form-data/);
    await assertNotStored(fp.url, 'ct-multipart');
  });

  it('answers application/x-www-form-urlencoded with 415 naming Content-Type, on batch and beacon endpoints', async () => {
    for (const path of ['/v1/batch', '/v1/track', '/v1/e']) {
      const res = await send(`${fp.url}${path}`, {
        headers: jsonHeaders({ 'content-type': 'application/x-www-form-urlencoded' }),
        body: `data=${encodeURIComponent(JSON.stringify(trackEvent('ct-form')))}`,
      });
      assertError(res, 415, 'unsupported_media_type', 'Content-Type');
      assert.match(res.body.error.message, /application\/x-www-form-urlencoded/);
    }
  });

  it('answers other media types such as application/xml and application/octet-stream with 415', async () => {
    for (const type of ['application/xml', 'application/octet-stream', 'text/html']) {
      const res = await send(`${fp.url}/v1/track`, {
        headers: jsonHeaders({ 'content-type': type }),
        body: JSON.stringify(trackEvent('ct-other')),
      });
      assertError(res, 415, 'unsupported_media_type', 'Content-Type');
    }
  });

  it('checks the media type before the write key is looked at in the body', async () => {
    const res = await send(`${fp.url}/v1/track`, {
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body: '--x\r\n\r\n--x--',
    });
    assertError(res, 415, 'unsupported_media_type', 'Content-Type');
  });
});
