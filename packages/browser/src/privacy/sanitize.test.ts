import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanText, dict, MAX_TEXT, serialize } from './sanitize.js';

describe('serialize', () => {
  it('replaces a cycle with "[Circular]" instead of throwing', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    a.list = [a];
    assert.deepEqual(JSON.parse(serialize(a)), { name: 'a', self: '[Circular]', list: ['[Circular]'] });
  });

  it('turns BigInt into text and leaves out functions and symbols, as JSON does for the latter', () => {
    const out = JSON.parse(serialize({ big: 12345678901234567890n, fn: () => 1, sym: Symbol('x'), n: 1 }));
    assert.deepEqual(out, { big: '12345678901234567890', n: 1 });
  });

  it('sends non-finite numbers as null and Dates as ISO text', () => {
    const out = JSON.parse(serialize({ nan: Number.NaN, inf: Number.POSITIVE_INFINITY, at: new Date('2026-02-04T11:17:16Z') }));
    assert.deepEqual(out, { nan: null, inf: null, at: '2026-02-04T11:17:16.000Z' });
  });

  it('masks email addresses in any string, also URL-encoded ones', () => {
    const out = JSON.parse(serialize({ text: 'write to kim.lee+news@example.co.kr today', url: '/signup?email=kim%40example.com&x=1' }));
    assert.equal(out.text, 'write to [email] today');
    assert.equal(out.url, '/signup?email=[email]&x=1');
  });

  it("keeps a userId that is an email address: it is the app's id, not text", () => {
    const out = JSON.parse(serialize({ userId: 'kim@example.com', properties: { note: 'kim@example.com' } }));
    assert.equal(out.userId, 'kim@example.com');
    assert.equal(out.properties.note, '[email]');
  });

  it('repairs a lone surrogate, which the collector would reject, and keeps surrogate pairs', () => {
    const out = JSON.parse(serialize({ broken: 'a\ud800b', emoji: 'ok 👍' }));
    assert.equal(out.broken, 'a\ufffdb');
    assert.equal(out.emoji, 'ok 👍');
  });

  it(`cuts strings to ${MAX_TEXT} characters`, () => {
    assert.equal(cleanText('x'.repeat(MAX_TEXT * 3)).length, MAX_TEXT);
  });
});

describe('dict', () => {
  it('answers an empty object for anything that is not a plain object', () => {
    for (const value of [undefined, null, 'text', 42, [1, 2], true]) assert.deepEqual(dict(value), {});
    const props = { plan: 'pro' };
    assert.equal(dict(props), props);
  });
});
