import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isoTime } from './clock.js';

describe('isoTime', () => {
  it('writes the same text as Date#toISOString, across seconds and for the edges', () => {
    const start = Date.parse('2026-02-04T11:17:16.000Z');
    for (const ms of [0, 1, 999, 1000, start, start + 7, start + 99, start + 999, start + 1000, start + 61_234, 253402300799999]) {
      assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
    }
  });

  it('falls back to Date for times before 1970 or after 9999, and to now for NaN', () => {
    assert.equal(isoTime(-1), '1969-12-31T23:59:59.999Z');
    assert.match(isoTime(Number.NaN), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});
