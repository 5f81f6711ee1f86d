/**
 * The contract every Sink implementation must meet; each implementation's test calls
 * `sinkContract(name, factory)` (see src/sinks/duckdb/sink.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredRow } from '../../src/model/row.js';
import { type Sink, SinkUnavailableError } from '../../src/sinks/sink.js';

export interface SinkUnderTest {
  sink: Sink;
  /** Number of stored rows with these ids (any project). */
  countIds(ids: string[]): Promise<number>;
  /** A stored row by id, as the store returns it. */
  row(id: string): Promise<Record<string, unknown> | undefined>;
  dispose(): Promise<void>;
}

export function storedRow(id: string, patch: Partial<StoredRow> = {}): StoredRow {
  return {
    id,
    project_id: 'default',
    type: 'track',
    event: 'Signed Up',
    timestamp: '2026-02-04T11:17:16.123Z',
    received_at: '2026-02-04T11:17:16.456Z',
    user_id: 'u1',
    anonymous_id: 'a1',
    session_id: null,
    request_id: null,
    trace_id: null,
    span_id: null,
    group_id: null,
    previous_id: null,
    level: null,
    message: null,
    url: 'https://shop.example/p/11?utm_source=mail',
    host: 'shop.example',
    path: '/p/11',
    title: null,
    referrer: null,
    referrer_domain: null,
    utm_source: 'mail',
    utm_medium: null,
    utm_campaign: null,
    utm_term: null,
    utm_content: null,
    ip: '127.0.0.1',
    user_agent: null,
    browser: null,
    browser_version: null,
    os: null,
    os_version: null,
    device_type: null,
    device_vendor: null,
    device_model: null,
    is_bot: false,
    method: null,
    route: null,
    status: 201,
    duration_ms: 12.5,
    error_type: null,
    error_fingerprint: null,
    library_name: null,
    library_version: null,
    properties: { plan: 'pro', items: [1, 2, { nested: true }] },
    traits: null,
    context: { locale: 'ko-KR' },
    extra: null,
    ...patch,
  };
}

export const lines = (...rows: StoredRow[]): Buffer => Buffer.from(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));

export function sinkContract(name: string, make: () => Promise<SinkUnderTest>): void {
  describe(`Sink contract: ${name}`, () => {
    it('starts empty with its checkpoint at the start of the WAL', async () => {
      const t = await make();
      await t.sink.open();
      assert.deepEqual(await t.sink.checkpoint(), { seq: 0, offset: 0 });
      await t.dispose();
    });

    it('stores rows and moves the checkpoint in the same step', async () => {
      const t = await make();
      await t.sink.open();
      const r = await t.sink.load(lines(storedRow('a'), storedRow('b')), { seq: 1, offset: 100 });
      assert.equal(r.inserted, 2);
      assert.equal(await t.countIds(['a', 'b']), 2);
      assert.deepEqual(await t.sink.checkpoint(), { seq: 1, offset: 100 });
      await t.dispose();
    });

    it('keeps every value of a row as it was written', async () => {
      const t = await make();
      await t.sink.open();
      const original = storedRow('full');
      await t.sink.load(lines(original), { seq: 1, offset: 1 });
      const row = await t.row('full');
      assert.ok(row);
      assert.equal(row.timestamp, original.timestamp);
      assert.equal(row.status, 201);
      assert.equal(row.duration_ms, 12.5);
      assert.equal(row.is_bot, false);
      assert.deepEqual(row.properties, original.properties);
      assert.deepEqual(row.context, original.context);
      assert.equal(row.utm_source, 'mail');
      await t.dispose();
    });

    it('ignores rows whose id it already holds, within a chunk and across chunks', async () => {
      const t = await make();
      await t.sink.open();
      const first = await t.sink.load(lines(storedRow('x'), storedRow('x'), storedRow('y')), { seq: 1, offset: 10 });
      assert.equal(first.inserted, 2);
      const again = await t.sink.load(lines(storedRow('x', { event: 'changed' }), storedRow('z')), { seq: 1, offset: 20 });
      assert.equal(again.inserted, 1);
      assert.equal(await t.countIds(['x', 'y', 'z']), 3);
      assert.equal((await t.row('x'))?.event, 'Signed Up');
      await t.dispose();
    });

    it('treats the same id in two projects as two events', async () => {
      const t = await make();
      await t.sink.open();
      await t.sink.load(lines(storedRow('p'), storedRow('p', { project_id: 'other' })), { seq: 1, offset: 5 });
      assert.equal(await t.countIds(['p']), 2);
      await t.dispose();
    });

    it('stores nothing and keeps its checkpoint when a chunk holds an unreadable line', async () => {
      const t = await make();
      await t.sink.open();
      await t.sink.load(lines(storedRow('ok1')), { seq: 1, offset: 10 });
      const bad = Buffer.concat([lines(storedRow('ok2')), Buffer.from('{"id": "broken", \n')]);
      await assert.rejects(t.sink.load(bad, { seq: 1, offset: 99 }));
      assert.equal(await t.countIds(['ok2', 'broken']), 0);
      assert.deepEqual(await t.sink.checkpoint(), { seq: 1, offset: 10 });
      assert.equal(await t.sink.ping(), true);
      await t.dispose();
    });

    it('refuses a line whose value does not fit its column as the line’s fault, not the store’s', async () => {
      const t = await make();
      await t.sink.open();
      await t.sink.load(lines(storedRow('fit1')), { seq: 1, offset: 10 });
      // Well-formed JSON, with keys that load: only the value of a column the keys do not hold is wrong.
      const misfit = { ...storedRow('misfit'), status: 'two hundred' } as unknown as StoredRow;
      const bad = lines(storedRow('fit2'), misfit);
      await assert.rejects(t.sink.load(bad, { seq: 1, offset: 99 }), (err: Error) => {
        assert.ok(!(err instanceof SinkUnavailableError), `a data error, not an outage: ${err.message}`);
        return true;
      });
      assert.equal(await t.countIds(['fit2', 'misfit']), 0);
      assert.deepEqual(await t.sink.checkpoint(), { seq: 1, offset: 10 });
      assert.equal(await t.sink.ping(), true);
      await t.dispose();
    });

    it('moves the checkpoint alone with advance()', async () => {
      const t = await make();
      await t.sink.open();
      await t.sink.advance({ seq: 3, offset: 42 });
      assert.deepEqual(await t.sink.checkpoint(), { seq: 3, offset: 42 });
      await t.dispose();
    });

    it('records the WAL it loads from with the checkpoint, and keeps it across loads', async () => {
      const t = await make();
      await t.sink.open();
      assert.equal(await t.sink.walId(), undefined, 'a new store has loaded no WAL');
      const id = '0b7e1f0c-3f1e-4d5a-9c43-6a2f1d9e8b21';
      await t.sink.adoptWal(id, { seq: 4, offset: 7 });
      assert.equal(await t.sink.walId(), id);
      assert.deepEqual(await t.sink.checkpoint(), { seq: 4, offset: 7 });
      await t.sink.load(lines(storedRow('w1')), { seq: 5, offset: 99 });
      assert.equal(await t.sink.walId(), id);
      assert.deepEqual(await t.sink.checkpoint(), { seq: 5, offset: 99 });
      await t.dispose();
    });
  });
}
