import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, type InProcess, listAll, post, startInProcess, trackEvent } from './support/collector.js';

describe('ingestion basics', () => {
  let fp: InProcess;
  before(async () => {
    fp = await startInProcess();
  });
  after(async () => {
    await fp.dispose();
  });

  it('stores a Segment batch and makes it queryable through the read API', async () => {
    const res = await post(`${fp.url}/v1/batch`, { batch: [trackEvent('b1'), trackEvent('b2')] });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { success: true, accepted: 2 });
    const rows = await eventually(async () => {
      const all = await listAll(fp.url, 'event=Order Completed');
      return all.length === 2 ? all : undefined;
    });
    assert.deepEqual(rows.map((r) => r.id).sort(), ['b1', 'b2']);
    assert.equal(rows[0].properties.total, 12.5);
  });
});
