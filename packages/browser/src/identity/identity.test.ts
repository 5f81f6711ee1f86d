import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId, SESSION_TIMEOUT_MS, touchState } from './identity.js';

const T0 = Date.parse('2026-02-04T11:00:00Z');

describe('touchState', () => {
  it('starts a visitor with an anonymous id and a session that carries the landing campaign', () => {
    const s = touchState(undefined, T0, () => ({ source: 'news' }));
    assert.match(s.a, /^\d{20,}$/);
    assert.match(s.s, /^\d{20,}$/);
    assert.notEqual(s.a, s.s);
    assert.equal(s.t, T0);
    assert.deepEqual(s.c, { source: 'news' });
  });

  it('keeps the session, its campaign and the user while events come less than 30 minutes apart', () => {
    const first = { a: 'anon', u: 'u_42', s: 'sess', t: T0, c: { source: 'news' } };
    let landingRead = false;
    const next = touchState(first, T0 + SESSION_TIMEOUT_MS - 1, () => {
      landingRead = true;
      return { source: 'other' };
    });
    assert.deepEqual(next, { ...first, t: T0 + SESSION_TIMEOUT_MS - 1 });
    assert.equal(landingRead, false, 'a running session does not look at the landing again (first touch)');
  });

  it('rolls the session after 30 minutes without an event, keeping the anonymous id and the user', () => {
    const next = touchState({ a: 'anon', u: 'u_42', s: 'sess', t: T0, c: { source: 'news' } }, T0 + SESSION_TIMEOUT_MS, () => undefined);
    assert.equal(next.a, 'anon');
    assert.equal(next.u, 'u_42');
    assert.notEqual(next.s, 'sess');
    assert.equal(next.c, undefined);
  });
});

describe('newId', () => {
  it('makes distinct ids of 128 random bits', () => {
    const ids = new Set(Array.from({ length: 1000 }, newId));
    assert.equal(ids.size, 1000);
  });
});
