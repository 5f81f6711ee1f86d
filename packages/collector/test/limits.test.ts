import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LIMITS } from '@footprint/schema';
import { basicAuth, type InProcess, startInProcess, trackEvent } from './support/collector.js';
import {
  assertError,
  assertHealthy,
  barrier,
  rawHttp,
  send,
  storedEvents,
  streamChunks,
  waitForId,
  waitForIds,
} from './support/http-client.js';

const KB = 1024;

/** A track event whose JSON text is exactly `bytes` long. */
function eventOfSize(id: string, bytes: number): Record<string, unknown> {
  const base = trackEvent(id, { properties: { pad: '' } });
  const pad = bytes - Buffer.byteLength(JSON.stringify(base));
  assert.ok(pad >= 0, `an event of ${bytes} bytes cannot be built`);
  const e = trackEvent(id, { properties: { pad: 'p'.repeat(pad) } });
  assert.equal(Buffer.byteLength(JSON.stringify(e)), bytes);
  return e;
}

describe('wire limits', () => {
  let fp: InProcess;
  before(async () => {
    fp = await startInProcess();
  });
  after(async () => {
    await fp.dispose();
  });

  async function countOf(prefix: string): Promise<number> {
    await barrier(fp.url);
    return (await storedEvents(fp.url)).filter((e) => String(e.id).startsWith(prefix)).length;
  }

  it('follows Segment: 32 KB per event, 500 KB per batch, 2500 events per batch', () => {
    assert.equal(LIMITS.maxEventBytes, 32 * KB);
    assert.equal(LIMITS.maxBatchBytes, 500 * KB);
    assert.equal(LIMITS.maxBatchEvents, 2500);
  });

  it('accepts a single event of exactly 32 KB', async () => {
    const res = await send(`${fp.url}/v1/track`, { body: eventOfSize('lim-event-max', 32 * KB) });
    assert.equal(res.status, 200, res.text);
    await waitForId(fp.url, 'lim-event-max');
  });

  it('rejects a single event one byte over 32 KB with 413 naming maxEventBytes, storing nothing', async () => {
    const res = await send(`${fp.url}/v1/track`, { body: eventOfSize('lim-event-over', 32 * KB + 1) });
    assertError(res, 413, 'payload_too_large', 'body');
    assert.match(res.body.error.message, /32 KB/);
    assert.match(res.body.error.message, /maxEventBytes/);
    assert.equal(await countOf('lim-event-over'), 0);
  });

  it('rejects an event over 32 KB on the beacon endpoint with 413 too', async () => {
    const res = await send(`${fp.url}/v1/e`, { body: eventOfSize('lim-beacon-over', 40 * KB) });
    assertError(res, 413, 'payload_too_large', 'body');
    assert.match(res.body.error.message, /maxEventBytes/);
  });

  it('rejects only the oversized event of a batch, naming its index, and stores the others', async () => {
    const batch = [
      trackEvent('lim-mixed-0'),
      eventOfSize('lim-mixed-1', 32 * KB + 1),
      trackEvent('lim-mixed-2'),
      eventOfSize('lim-mixed-3', 32 * KB),
    ];
    const res = await send(`${fp.url}/v1/batch`, { body: { batch } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.success, true);
    assert.equal(res.body.accepted, 3);
    assert.equal(res.body.rejected.length, 1);
    const [rej] = res.body.rejected;
    assert.equal(rej.index, 1);
    assert.equal(rej.code, 'event_too_large');
    assert.equal(rej.path, 'batch[1]');
    assert.match(rej.message, /maxEventBytes/);
    await waitForIds(fp.url, ['lim-mixed-0', 'lim-mixed-2', 'lim-mixed-3']);
    assert.equal(await countOf('lim-mixed-1'), 0);
  });

  it('accepts a batch body just under 500 KB and stores all of it', async () => {
    const batch = Array.from({ length: 16 }, (_, i) => eventOfSize(`lim-full-${i}`, 31 * KB));
    const text = JSON.stringify({ batch });
    assert.ok(Buffer.byteLength(text) <= 500 * KB && Buffer.byteLength(text) > 490 * KB);
    const res = await send(`${fp.url}/v1/batch`, { body: text });
    assert.deepEqual(res.body, { success: true, accepted: 16 });
    assert.equal(await countOf('lim-full-'), 16);
  });

  it('rejects a batch body over 500 KB with 413 naming maxBatchBytes, storing nothing of it', async () => {
    const batch = Array.from({ length: 17 }, (_, i) => eventOfSize(`lim-over-${i}`, 31 * KB));
    const res = await send(`${fp.url}/v1/batch`, { body: { batch } });
    assertError(res, 413, 'payload_too_large', 'body');
    assert.match(res.body.error.message, /500 KB/);
    assert.match(res.body.error.message, /maxBatchBytes/);
    assert.equal(res.headers.get('connection'), 'close', 'the unread rest of the body makes the connection unusable');
    assert.equal(await countOf('lim-over-'), 0);
  });

  it('rejects a batch streamed without Content-Length once it passes 500 KB, with 413', async () => {
    const head = Buffer.from(
      `{"batch":[${JSON.stringify(trackEvent('lim-stream-0'))},{"type":"track","event":"x","anonymousId":"a","properties":{"pad":"`,
    );
    const chunks = [head, ...Array.from({ length: 70 }, () => Buffer.alloc(10 * KB, 0x61)), Buffer.from('"}}]}')];
    const res = await streamChunks(`${fp.url}/v1/batch`, chunks);
    assertError(res, 413, 'payload_too_large', 'body');
    assert.match(res.body.error.message, /maxBatchBytes/);
    assert.equal(await countOf('lim-stream-'), 0);
    await assertHealthy(fp.url);
  });

  it('rejects at once a request that announces a Content-Length over 500 KB, without waiting for the body', async () => {
    const body = JSON.stringify({ batch: [trackEvent('lim-announced')] });
    const started = Date.now();
    const res = await rawHttp(
      fp.port,
      `POST /v1/batch HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${basicAuth()}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${500 * KB + 1}\r\n\r\n${body}`,
    );
    assert.equal(res.status, 413, res.raw);
    assert.ok(Date.now() - started < 2000, 'the collector waited for a body that never came');
    const parsed = JSON.parse(res.body);
    assert.equal(parsed.error.code, 'payload_too_large');
    assert.match(parsed.error.message, /maxBatchBytes/);
    assert.equal(res.headers.connection, 'close');
    assert.equal(await countOf('lim-announced'), 0);
  });

  it('answers a body that stops coming with 408 request_timeout after 30 seconds, storing nothing', { timeout: 90_000 }, async () => {
    const body = JSON.stringify(trackEvent('lim-stalled'));
    const res = await rawHttp(
      fp.port,
      `POST /v1/track HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${basicAuth()}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`,
      { timeoutMs: 60_000 },
    );
    assert.equal(res.status, 408, res.raw);
    const parsed = JSON.parse(res.body);
    assert.equal(parsed.error.code, 'request_timeout');
    assert.equal(res.headers.connection, 'close');
    assert.equal(await countOf('lim-stalled'), 0);
    await assertHealthy(fp.url);
  });

  it('rejects an announced Content-Length over 32 KB on a single-event endpoint with 413 naming maxEventBytes', async () => {
    const res = await rawHttp(
      fp.port,
      `POST /v1/track HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${basicAuth()}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${32 * KB + 1}\r\n\r\n{}`,
    );
    assert.equal(res.status, 413, res.raw);
    assert.match(JSON.parse(res.body).error.message, /maxEventBytes/);
  });

  it('accepts a batch of exactly 2500 events', async () => {
    const batch = Array.from({ length: 2500 }, (_, i) => ({ type: 'track', event: 'n', anonymousId: 'a', messageId: `lim-2500-${i}` }));
    const res = await send(`${fp.url}/v1/batch`, { body: { batch } });
    assert.deepEqual(res.body, { success: true, accepted: 2500 });
    assert.equal(await countOf('lim-2500-'), 2500);
  });

  it('rejects a batch of 2501 events with 413 too_many_events naming maxBatchEvents, storing none of them', async () => {
    const batch = Array.from({ length: 2501 }, (_, i) => ({ type: 'track', event: 'n', anonymousId: 'a', messageId: `lim-2501-${i}` }));
    const res = await send(`${fp.url}/v1/batch`, { body: batch });
    assertError(res, 413, 'too_many_events', 'batch');
    assert.match(res.body.error.message, /2500/);
    assert.match(res.body.error.message, /maxBatchEvents/);
    assert.equal(await countOf('lim-2501-'), 0);
  });

  it('rejects identifiers over 256 characters and names over 512 characters, naming the field', async () => {
    const longId = await send(`${fp.url}/v1/track`, { body: trackEvent('x'.repeat(257)) });
    assertError(longId, 400, 'invalid_field', 'messageId');
    assert.match(longId.body.error.message, /256/);
    const longUser = await send(`${fp.url}/v1/track`, { body: trackEvent('lim-user', { userId: 'u'.repeat(257) }) });
    assertError(longUser, 400, 'invalid_field', 'userId');
    const longName = await send(`${fp.url}/v1/track`, { body: trackEvent('lim-name', { event: 'n'.repeat(513) }) });
    assertError(longName, 400, 'invalid_field', 'event');
    assert.match(longName.body.error.message, /512/);
    const okName = await send(`${fp.url}/v1/track`, {
      body: trackEvent('lim-name-ok', { event: 'n'.repeat(512), messageId: 'i'.repeat(256) }),
    });
    assert.equal(okName.status, 200, okName.text);
  });
});
