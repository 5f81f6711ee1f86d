import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type InProcess, startInProcess, trackEvent, WRITE_KEY } from './support/collector.js';
import { assertError, assertNotStored, barrier, type Json, type Reply, send, storedEvents, waitForIds } from './support/http-client.js';

const request = (id: string, props: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'request',
  messageId: id,
  properties: { method: 'GET', path: '/api', status: 200, duration_ms: 5, ...props },
});

describe('validation errors name the offending field', () => {
  let fp: InProcess;
  before(async () => {
    fp = await startInProcess();
  });
  after(async () => {
    await fp.dispose();
  });

  const single = (body: unknown): Promise<Reply> => send(`${fp.url}/v1/e?key=${WRITE_KEY}`, { body });
  const track = (body: unknown): Promise<Reply> => send(`${fp.url}/v1/track`, { body });

  it('answers every error as {"error":{"code","message","path"}} and nothing else', async () => {
    const res = await track({ anonymousId: 'a' });
    assert.equal(res.status, 400);
    assert.deepEqual(Object.keys(res.body), ['error']);
    assert.deepEqual(Object.keys(res.body.error).sort(), ['code', 'message', 'path']);
    assert.deepEqual(res.body.error, { code: 'missing_field', message: 'event is required', path: 'event' });
  });

  it('answers malformed JSON with 400 invalid_json on the body', async () => {
    for (const text of ['{"type":"track",', '{type:"track"}', "{'a':1}", '{"a":1}}', 'undefined', '[1,]', 'NaN']) {
      const res = await send(`${fp.url}/v1/batch`, { body: text });
      assertError(res, 400, 'invalid_json', 'body');
      assert.match(res.body.error.message, /not valid JSON/);
    }
  });

  it('answers an empty body with 400 invalid_body on every ingestion endpoint', async () => {
    for (const path of ['/v1/batch', '/v1/track', `/v1/e?key=${WRITE_KEY}`]) {
      const res = await send(`${fp.url}${path}`, { body: '' });
      assertError(res, 400, 'invalid_body', 'body');
      assert.match(res.body.error.message, /empty/);
    }
  });

  it('answers a whitespace-only body with 400 invalid_json', async () => {
    assertError(await send(`${fp.url}/v1/batch`, { body: '  \n\t ' }), 400, 'invalid_json', 'body');
  });

  it('answers a batch body that is neither an array nor an object with a batch array with 400 naming the field', async () => {
    assertError(await send(`${fp.url}/v1/batch`, { body: '42' }), 400, 'invalid_body', 'body');
    assertError(await send(`${fp.url}/v1/batch`, { body: 'null' }), 400, 'invalid_body', 'body');
    assertError(await send(`${fp.url}/v1/batch`, { body: '"batch"' }), 400, 'invalid_body', 'body');
    assertError(await send(`${fp.url}/v1/batch`, { body: {} }), 400, 'invalid_body', 'batch');
    assertError(await send(`${fp.url}/v1/batch`, { body: { batch: {} } }), 400, 'invalid_body', 'batch');
    assertError(await send(`${fp.url}/v1/batch`, { body: { batch: 'x' } }), 400, 'invalid_body', 'batch');
    assertError(await send(`${fp.url}/v1/batch`, { body: { events: [trackEvent('e')] } }), 400, 'invalid_body', 'batch');
  });

  it('answers batch-level context and sentAt of the wrong type with 400 naming them, and stores none of the batch', async () => {
    for (const context of [5, 'ctx', [1]]) {
      assertError(await send(`${fp.url}/v1/batch`, { body: { context, batch: [trackEvent('bad-ctx')] } }), 400, 'invalid_body', 'context');
    }
    assertError(
      await send(`${fp.url}/v1/batch`, { body: { sentAt: 1_700_000_000, batch: [trackEvent('bad-sent')] } }),
      400,
      'invalid_body',
      'sentAt',
    );
    await assertNotStored(fp.url, 'bad-ctx');
    await assertNotStored(fp.url, 'bad-sent');
  });

  it('answers a single event that is not an object with 400 not_an_object', async () => {
    for (const body of ['[]', '[{"type":"track"}]', '"track"', '7', 'null', 'true']) {
      assertError(await single(body), 400, 'not_an_object', '');
    }
  });

  it('names the index of a non-object event inside a batch', async () => {
    const res = await send(`${fp.url}/v1/batch`, { body: { batch: [trackEvent('nonobj-0'), 'str', null, [1], 5] } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.accepted, 1);
    assert.deepEqual(
      res.body.rejected.map((r: Json) => [r.index, r.code, r.path]),
      [
        [1, 'not_an_object', 'batch[1]'],
        [2, 'not_an_object', 'batch[2]'],
        [3, 'not_an_object', 'batch[3]'],
        [4, 'not_an_object', 'batch[4]'],
      ],
    );
  });

  it('answers a missing type with 400 missing_field naming type', async () => {
    const res = await single({ event: 'x', anonymousId: 'a' });
    assertError(res, 400, 'missing_field', 'type');
    assert.match(res.body.error.message, /type is required/);
  });

  it('answers an unknown type with 400 unknown_type listing the known types', async () => {
    for (const type of ['purchase', 'Track', '', 5, null, ['track'], { t: 1 }]) {
      const res = await single({ type, event: 'x', anonymousId: 'a' });
      assertError(res, 400, 'unknown_type', 'type');
      assert.match(res.body.error.message, /track/);
      assert.match(res.body.error.message, /realtime/);
    }
  });

  it('answers a track event without an event name with 400 missing_field naming event', async () => {
    assertError(await single({ type: 'track', anonymousId: 'a' }), 400, 'missing_field', 'event');
    assertError(await single({ type: 'track', event: '', anonymousId: 'a' }), 400, 'invalid_field', 'event');
    assertError(await single({ type: 'track', event: 42, anonymousId: 'a' }), 400, 'invalid_field', 'event');
  });

  it('answers a Segment event without userId or anonymousId with 400 missing_identity naming userId', async () => {
    for (const type of ['track', 'page', 'identify', 'screen', 'group']) {
      const body = { type, event: 'x', groupId: 'g', userId: null, anonymousId: null };
      const res = await single(body);
      assertError(res, 400, 'missing_identity', 'userId');
      assert.match(res.body.error.message, /userId or anonymousId/);
    }
  });

  it('accepts Footprint event types without any identity', async () => {
    const res = await single(request('noident-1'));
    assert.equal(res.status, 204, res.text);
  });

  it('names properties.status when a request event sends the status as a string', async () => {
    const res = await single(request('status-str', { status: '200' }));
    assertError(res, 400, 'invalid_field', 'properties.status');
    assert.equal(res.body.error.message, 'properties.status must be a whole number (a JSON number, not text)');
  });

  it('names each wrong field type with its dotted path', async () => {
    const cases: Array<[unknown, string]> = [
      [request('wt-1', { status: 99 }), 'properties.status'],
      [request('wt-2', { status: 200.5 }), 'properties.status'],
      [request('wt-3', { duration_ms: -1 }), 'properties.duration_ms'],
      [request('wt-4', { method: '' }), 'properties.method'],
      [{ type: 'request', properties: { method: 'GET', path: '/', duration_ms: 1 } }, 'properties.status'],
      [{ type: 'click', properties: { tag: 'a', classes: ['ok', 3] } }, 'properties.classes[1]'],
      [{ type: 'error', properties: { message: 'x', level: 'loud' } }, 'properties.level'],
      [{ type: 'log', properties: { level: 'info', message: 1 } }, 'properties.message'],
      [trackEvent('wt-5', { properties: [1, 2] }), 'properties'],
      [trackEvent('wt-6', { properties: 'x' }), 'properties'],
      [trackEvent('wt-7', { context: { page: { url: 5 } } }), 'context.page.url'],
      [trackEvent('wt-8', { context: 'ctx' }), 'context'],
      [trackEvent('wt-9', { userId: true }), 'userId'],
      [trackEvent('wt-10', { anonymousId: {} }), 'anonymousId'],
      [trackEvent({} as unknown as string), 'messageId'],
      [{ type: 'group', userId: 'u' }, 'groupId'],
      [{ type: 'alias', previousId: 'p' }, 'userId'],
    ];
    for (const [body, path] of cases) {
      const res = await single(body);
      assert.equal(res.status, 400, `${path}: ${res.text}`);
      assert.ok(['invalid_field', 'missing_field'].includes(res.body.error.code), res.text);
      assert.equal(res.body.error.path, path, res.text);
      assert.ok(res.body.error.message.startsWith(path), `the message should start with the path: ${res.body.error.message}`);
    }
  });

  it('explains in words what an id accepts, including for nested unions', async () => {
    const res = await single(trackEvent('words', { anonymousId: { a: 1 } }));
    assertError(res, 400, 'invalid_field', 'anonymousId');
    assert.equal(res.body.error.message, 'anonymousId must be one of: a string of 1 to 256 characters, number, null');
  });

  it('answers a bad timestamp format with 400 invalid_field naming timestamp and showing the expected format', async () => {
    for (const timestamp of ['yesterday', '2026-02-04', '04/02/2026 11:17', '2026-13-45T99:99:99Z', '1770203836', 1770203836000, '']) {
      const res = await single(trackEvent('ts-bad', { timestamp }));
      assertError(res, 400, 'invalid_field', 'timestamp');
      assert.match(res.body.error.message, /ISO-8601/);
    }
    assertError(await single(trackEvent('ts-bad', { sentAt: 'now' })), 400, 'invalid_field', 'sentAt');
    assertError(await single(trackEvent('ts-bad', { originalTimestamp: 'then' })), 400, 'invalid_field', 'originalTimestamp');
  });

  it('accepts ISO-8601 timestamps with milliseconds, offsets and a space separator', async () => {
    for (const [i, timestamp] of [
      '2026-02-04T11:17:16Z',
      '2026-02-04T11:17:16.123Z',
      '2026-02-04T12:17:16+01:00',
      '2026-02-04 11:17:16Z',
    ].entries()) {
      const res = await single(trackEvent(`ts-ok-${i}`, { timestamp }));
      assert.equal(res.status, 204, `${timestamp}: ${res.text}`);
    }
  });

  it('prefixes the path of a rejected batch event with its index', async () => {
    const res = await send(`${fp.url}/v1/batch`, { body: { batch: [trackEvent('px-0'), request('px-1', { status: 'ok' })] } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.rejected, [
      {
        index: 1,
        code: 'invalid_field',
        path: 'batch[1].properties.status',
        message: 'batch[1]: properties.status must be a whole number (a JSON number, not text)',
      },
    ]);
  });
});

describe('partial batches', () => {
  let fp: InProcess;
  before(async () => {
    fp = await startInProcess();
  });
  after(async () => {
    await fp.dispose();
  });

  it('stores the valid events of a mixed batch and lists each rejected index with its reason', async () => {
    const batch = [
      trackEvent('part-0'),
      { type: 'track', anonymousId: 'a', messageId: 'part-1' },
      trackEvent('part-2'),
      { type: 'nope', messageId: 'part-3' },
      { type: 'track', event: 'x', messageId: 'part-4' },
      trackEvent('part-5', { timestamp: 'noon' }),
      trackEvent('part-6'),
    ];
    const res = await send(`${fp.url}/v1/batch`, { body: { batch } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.success, true);
    assert.equal(res.body.accepted, 3);
    assert.deepEqual(
      res.body.rejected.map((r: Json) => [r.index, r.code, r.path]),
      [
        [1, 'missing_field', 'batch[1].event'],
        [3, 'unknown_type', 'batch[3].type'],
        [4, 'missing_identity', 'batch[4].userId'],
        [5, 'invalid_field', 'batch[5].timestamp'],
      ],
    );
    for (const r of res.body.rejected) assert.match(r.message, new RegExp(`^batch\\[${r.index}\\]: `));
    await waitForIds(fp.url, ['part-0', 'part-2', 'part-6']);
    await barrier(fp.url);
    const ids = (await storedEvents(fp.url)).map((e) => e.id).filter((id: string) => id.startsWith('part-'));
    assert.deepEqual(ids.sort(), ['part-0', 'part-2', 'part-6']);
  });

  it('answers a batch whose events are all invalid with 400, the first reason, every rejection, and stores nothing', async () => {
    const batch = [{ type: 'track', messageId: 'allbad-0', anonymousId: 'a' }, { messageId: 'allbad-1' }, 'x'];
    const res = await send(`${fp.url}/v1/batch`, { body: { batch } });
    assertError(res, 400, 'missing_field', 'batch[0].event');
    assert.equal(res.body.accepted, 0);
    assert.deepEqual(
      res.body.rejected.map((r: Json) => r.index),
      [0, 1, 2],
    );
    assert.equal(res.body.success, undefined);
    await barrier(fp.url);
    assert.equal((await storedEvents(fp.url)).filter((e) => String(e.id).startsWith('allbad-')).length, 0);
  });

  it('does not report rejections on a fully valid batch', async () => {
    const res = await send(`${fp.url}/v1/batch`, { body: { batch: [trackEvent('allgood-0')] } });
    assert.deepEqual(res.body, { success: true, accepted: 1 });
  });
});
