import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchBody, RETRY_BASE_MS, RETRY_MAX_MS, retryDelay, settled } from './batch.js';

describe('batch delivery rules', () => {
  it('writes a Segment batch body with sentAt around the serialized events', () => {
    const body = JSON.parse(batchBody(['{"type":"page","anonymousId":"a"}', '{"type":"track","event":"x","anonymousId":"a"}']));
    assert.equal(body.batch.length, 2);
    assert.equal(body.batch[1].event, 'x');
    assert.ok(Math.abs(Date.parse(body.sentAt) - Date.now()) < 60_000);
  });

  it('is done with a request on 2xx and on 4xx answers that a retry cannot fix', () => {
    for (const status of [200, 204, 400, 401, 413, 415]) assert.equal(settled(status), true, `${status}`);
  });

  it('retries network failures, 408, 429 and 5xx answers', () => {
    for (const status of [0, 408, 429, 500, 503]) assert.equal(settled(status), false, `${status}`);
  });

  it('doubles the wait after each failure, up to a minute', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 30].map(retryDelay), [
      RETRY_BASE_MS,
      4000,
      8000,
      16000,
      32000,
      RETRY_MAX_MS,
      RETRY_MAX_MS,
      RETRY_MAX_MS,
    ]);
  });
});
