import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type InProcess, startInProcess, trackEvent, WRITE_KEY } from './support/collector.js';
import { assertError, barrier, jsonHeaders, send, storedEvents, waitForId, waitForIds } from './support/http-client.js';
import { MINIMAL_EVENTS } from './support/samples.js';

const SEGMENT_PATHS = ['track', 'page', 'identify', 'screen', 'group', 'alias'] as const;

/** A body for /v1/<type> without `type`, so the path has to supply it. */
function untyped(type: (typeof SEGMENT_PATHS)[number], id: string): Record<string, unknown> {
  const { type: _drop, ...rest } = MINIMAL_EVENTS[type] as Record<string, unknown>;
  return { ...rest, messageId: id };
}

describe('ingestion endpoints', () => {
  let fp: InProcess;
  before(async () => {
    fp = await startInProcess();
  });
  after(async () => {
    await fp.dispose();
  });

  it('stores every event of a {"batch":[...]} body on POST /v1/batch and answers 200 with the accepted count', async () => {
    const res = await send(`${fp.url}/v1/batch`, {
      body: { batch: [trackEvent('batch-1'), trackEvent('batch-2'), trackEvent('batch-3')] },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { success: true, accepted: 3 });
    const rows = await waitForIds(fp.url, ['batch-1', 'batch-2', 'batch-3']);
    for (const row of rows.values()) {
      assert.equal(row.type, 'track');
      assert.equal(row.event, 'Order Completed');
      assert.equal(row.project_id, 'default');
    }
  });

  it('accepts a bare JSON array of events as a batch', async () => {
    const res = await send(`${fp.url}/v1/batch`, { body: [trackEvent('bare-1'), trackEvent('bare-2')] });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { success: true, accepted: 2 });
    await waitForIds(fp.url, ['bare-1', 'bare-2']);
  });

  it('treats POST /v1/import exactly like /v1/batch, with either body shape', async () => {
    const a = await send(`${fp.url}/v1/import`, { body: { batch: [trackEvent('import-1')] } });
    const b = await send(`${fp.url}/v1/import`, { body: [trackEvent('import-2')] });
    assert.deepEqual(a.body, { success: true, accepted: 1 });
    assert.deepEqual(b.body, { success: true, accepted: 1 });
    await waitForIds(fp.url, ['import-1', 'import-2']);
  });

  it('stores one event of each of the sixteen types sent in one batch', async () => {
    const batch = Object.entries(MINIMAL_EVENTS).map(([type, e]) => ({ ...e, messageId: `all-${type}` }));
    const res = await send(`${fp.url}/v1/batch`, { body: { batch } });
    assert.deepEqual(res.body, { success: true, accepted: 16 });
    const rows = await waitForIds(
      fp.url,
      batch.map((e) => e.messageId),
    );
    for (const type of Object.keys(MINIMAL_EVENTS)) assert.equal(rows.get(`all-${type}`).type, type);
    assert.equal(rows.get('all-request').method, 'GET', 'request methods are stored upper-case');
    assert.equal(rows.get('all-request').status, 200);
    assert.equal(rows.get('all-cron').event, 'nightly-report');
    assert.equal(rows.get('all-log').level, 'info');
    assert.equal(rows.get('all-ai').event, 'gpt-4o-mini');
  });

  for (const type of SEGMENT_PATHS) {
    it(`stores ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type} event sent to POST /v1/${type} without a type field, taking the type from the path`, async () => {
      const id = `path-${type}`;
      const res = await send(`${fp.url}/v1/${type}`, { body: untyped(type, id) });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, { success: true });
      const row = await waitForId(fp.url, id);
      assert.equal(row.type, type);
      if (type === 'track') assert.equal(row.event, 'Signed Up');
      if (type === 'page') assert.equal(row.event, 'Home');
      if (type === 'screen') assert.equal(row.event, 'Settings');
      if (type === 'identify') assert.deepEqual(row.traits, { plan: 'pro' });
      if (type === 'group') assert.equal(row.group_id, 'acme');
      if (type === 'alias') {
        assert.equal(row.previous_id, 'anon-1');
        assert.equal(row.user_id, 'user-1');
      }
    });
  }

  it('accepts the one-letter paths analytics.js 2.0 posts to (/v1/t, /v1/p, ... and /v1/b for batches)', async () => {
    for (const type of SEGMENT_PATHS) {
      const res = await send(`${fp.url}/v1/${type.charAt(0)}`, { body: untyped(type, `short-${type}`) });
      assert.equal(res.status, 200, `${type}: ${res.text}`);
    }
    const batch = await send(`${fp.url}/v1/b`, { body: { batch: [trackEvent('short-b')] } });
    assert.deepEqual(batch.body, { success: true, accepted: 1 });
    const rows = await waitForIds(fp.url, [...SEGMENT_PATHS.map((t) => `short-${t}`), 'short-b']);
    for (const type of SEGMENT_PATHS) assert.equal(rows.get(`short-${type}`).type, type);
  });

  it('accepts a body whose type matches the path', async () => {
    const res = await send(`${fp.url}/v1/track`, { body: trackEvent('path-match') });
    assert.equal(res.status, 200);
    await waitForId(fp.url, 'path-match');
  });

  for (const type of SEGMENT_PATHS) {
    it(`rejects a conflicting type in the body on /v1/${type} with 400 naming type, and stores nothing`, async () => {
      const other = type === 'track' ? 'page' : 'track';
      const id = `conflict-${type}`;
      const res = await send(`${fp.url}/v1/${type}`, { body: { ...untyped(type, id), type: other, event: 'x' } });
      assertError(res, 400, 'invalid_body', 'type');
      assert.match(res.body.error.message, new RegExp(`/v1/${type}`));
      await barrier(fp.url);
      assert.equal((await storedEvents(fp.url)).filter((e) => e.id === id).length, 0);
    });
  }

  it('rejects a non-string type on a Segment path with 400 naming type', async () => {
    const res = await send(`${fp.url}/v1/track`, { body: { ...trackEvent('conflict-num'), type: 7 } });
    assertError(res, 400, 'invalid_body', 'type');
  });

  it('answers POST /v1/e with a text/plain body and ?key= with 204 and an empty body, as sendBeacon sends it', async () => {
    const res = await send(`${fp.url}/v1/e?key=${WRITE_KEY}`, {
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify(trackEvent('beacon-1')),
    });
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const row = await waitForId(fp.url, 'beacon-1');
    assert.equal(row.type, 'track');
  });

  it('accepts Footprint types such as click and engagement on /v1/e', async () => {
    for (const type of ['click', 'engagement'] as const) {
      const res = await send(`${fp.url}/v1/e?key=${WRITE_KEY}`, {
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ ...MINIMAL_EVENTS[type], messageId: `beacon-${type}` }),
      });
      assert.equal(res.status, 204, res.text);
    }
    const rows = await waitForIds(fp.url, ['beacon-click', 'beacon-engagement']);
    assert.equal(rows.get('beacon-engagement').duration_ms, 4200);
  });

  it('rejects an event without a type on /v1/e with 400 naming type, since the path names no type', async () => {
    const res = await send(`${fp.url}/v1/e?key=${WRITE_KEY}`, {
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ event: 'x', anonymousId: 'a' }),
    });
    assertError(res, 400, 'missing_field', 'type');
  });

  it('applies a batch-level context as defaults under each event, the event’s own context values winning', async () => {
    const res = await send(`${fp.url}/v1/batch`, {
      body: {
        context: { library: { name: 'analytics-node', version: '6.0.0' }, locale: 'en-GB' },
        batch: [trackEvent('ctx-1'), trackEvent('ctx-2', { context: { locale: 'de-DE' } })],
      },
    });
    assert.equal(res.status, 200);
    const rows = await waitForIds(fp.url, ['ctx-1', 'ctx-2']);
    assert.equal(rows.get('ctx-1').library_name, 'analytics-node');
    assert.equal(rows.get('ctx-1').library_version, '6.0.0');
    assert.equal(rows.get('ctx-1').context.locale, 'en-GB');
    assert.equal(rows.get('ctx-2').context.locale, 'de-DE');
    assert.equal(rows.get('ctx-2').library_name, 'analytics-node');
  });

  it('answers an empty batch with 200 and accepted 0', async () => {
    const res = await send(`${fp.url}/v1/batch`, { body: { batch: [] } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { success: true, accepted: 0 });
  });

  it('accepts a JSON body that starts with a UTF-8 byte order mark', async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(trackEvent('bom-1')))]);
    const res = await send(`${fp.url}/v1/track`, { body });
    assert.equal(res.status, 200, res.text);
    await waitForId(fp.url, 'bom-1');
  });

  it('accepts application/json with a charset, a +json media type, text/plain and a body without Content-Type', async () => {
    const variants: Array<[string, Record<string, string>]> = [
      ['ct-charset', jsonHeaders({ 'content-type': 'application/json; charset=utf-8' })],
      ['ct-plus-json', jsonHeaders({ 'content-type': 'application/vnd.segment+json' })],
      ['ct-text', jsonHeaders({ 'content-type': 'text/plain' })],
      ['ct-upper', jsonHeaders({ 'content-type': 'Application/JSON' })],
    ];
    for (const [id, headers] of variants) {
      const res = await send(`${fp.url}/v1/batch`, { headers, body: { batch: [trackEvent(id)] } });
      assert.equal(res.status, 200, `${id}: ${res.text}`);
    }
    // fetch adds text/plain to a string body, so send bytes (no Content-Type at all).
    const none = await send(`${fp.url}/v1/batch`, {
      headers: { authorization: jsonHeaders().authorization as string },
      body: Buffer.from(JSON.stringify({ batch: [trackEvent('ct-none')] })),
    });
    assert.equal(none.status, 200, none.text);
    await waitForIds(fp.url, ['ct-charset', 'ct-plus-json', 'ct-text', 'ct-upper', 'ct-none']);
  });

  it('keeps unknown top-level fields in extra and never stores the write key sent in the body', async () => {
    const res = await send(`${fp.url}/v1/track`, {
      headers: { 'content-type': 'application/json' },
      body: { ...trackEvent('extra-1'), writeKey: WRITE_KEY, integrations: { All: true }, appBuild: 77 },
    });
    assert.equal(res.status, 200, res.text);
    const row = await waitForId(fp.url, 'extra-1');
    assert.deepEqual(row.extra, { integrations: { All: true }, appBuild: 77 });
    assert.ok(!JSON.stringify(row).includes(WRITE_KEY), 'the write key was stored with the event');
  });

  it('stores properties, traits and context as JSON objects that read back unchanged', async () => {
    const properties = { total: 12.5, items: [{ sku: 'a', qty: 2 }], gift: false, note: null, emoji: 'ünïcødé 🎉' };
    const context = { locale: 'fr-FR', custom: { nested: [1, 2, 3] } };
    const res = await send(`${fp.url}/v1/track`, { body: trackEvent('json-1', { properties, context }) });
    assert.equal(res.status, 200);
    const row = await waitForId(fp.url, 'json-1');
    assert.deepEqual(row.properties, properties);
    assert.deepEqual(row.context, context);
  });
});
