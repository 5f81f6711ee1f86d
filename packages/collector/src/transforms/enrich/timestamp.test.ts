import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventTime, parseIsoUtc } from './timestamp.js';

describe('eventTime', () => {
  const received = Date.parse('2026-02-04T11:17:16.000Z');

  it('takes the receive time when the client sent no time', () => {
    assert.equal(eventTime(received, undefined, undefined, undefined), received);
  });

  it('keeps the client time when there is no sentAt to measure skew', () => {
    assert.equal(eventTime(received, '2026-02-04T11:00:00.000Z', undefined, undefined), Date.parse('2026-02-04T11:00:00.000Z'));
  });

  it('corrects a client clock that runs one hour fast, as Segment does', () => {
    const t = eventTime(received, '2026-02-04T12:16:00.000Z', undefined, '2026-02-04T12:17:16.000Z');
    assert.equal(new Date(t).toISOString(), '2026-02-04T11:16:00.000Z');
  });

  it('falls back to originalTimestamp', () => {
    assert.equal(eventTime(received, undefined, '2026-02-04T10:00:00Z', undefined), Date.parse('2026-02-04T10:00:00Z'));
  });

  it('reads a time without a zone as UTC, whatever the server zone', () => {
    assert.equal(parseIsoUtc('2025-05-14T11:46:45.722'), Date.parse('2025-05-14T11:46:45.722Z'));
    assert.equal(parseIsoUtc('2025-05-14T11:46:45+09:00'), Date.parse('2025-05-14T02:46:45Z'));
  });
});
