import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MASKED, maskEmail, maskQuery } from './mask.js';

describe('maskEmail', () => {
  it('keeps the first character of the local part and the domain', () => {
    assert.equal(maskEmail('user@example.com'), 'u***@example.com');
    assert.equal(maskEmail('kim.minsu@mail.example.kr'), 'k***@mail.example.kr');
    assert.equal(maskEmail('😀x@example.com'), '😀***@example.com');
    assert.equal(maskEmail('@example.com'), '***@example.com');
  });

  it('keeps only the masked address of a recipient written with a name', () => {
    assert.equal(maskEmail('Jane Doe <jane@example.com>'), 'j***@example.com');
    assert.equal(maskEmail('"Kim, Minsu" <kim.minsu@mail.example.kr> '), 'k***@mail.example.kr');
  });

  it('returns text that is not an address as it is (a hash or an id)', () => {
    assert.equal(maskEmail('sha256:9f86d081'), 'sha256:9f86d081');
  });
});

describe('maskQuery', () => {
  it('masks secret parameter names and email values, and keeps the rest', () => {
    assert.deepEqual(maskQuery('q=shoes&token=abc&password=pw&api_key=k&email=user%40example.com&page=2'), {
      q: 'shoes',
      token: MASKED,
      password: MASKED,
      api_key: MASKED,
      email: 'u***@example.com',
      page: '2',
    });
  });

  it('takes secret names by whole words, in any case and separator, and leaves names that only contain one', () => {
    const secret = [
      'key',
      'apiKey',
      'X-Api-Key',
      'auth',
      'auth_token',
      'AuthToken',
      'sessionId',
      'sid',
      'client.secret',
      'cardNumber',
      'code',
      'otp',
      // Run together, in any case: the long stems count inside a word.
      'accesstoken',
      'authtoken',
      'refreshtoken',
      'sessiontoken',
      'apitoken',
      'clientsecret',
      'SECRETKEY',
      'password1',
      'newpassword',
      'passphrase',
      'passcode',
      'token2',
    ];
    const plain = ['author', 'monkey', 'footprint', 'passenger', 'cardinal', 'sessions_count', 'promo_code', 'keyword'];
    const q = maskQuery([...secret, ...plain].map((k) => `${encodeURIComponent(k)}=v`).join('&')) as Record<string, string>;
    for (const k of secret) assert.equal(q[k], MASKED, k);
    for (const k of plain) assert.equal(q[k], 'v', k);
  });

  it('decodes form encoding, keeps repeated keys as arrays and keys without a value as empty', () => {
    assert.deepEqual(maskQuery('tag=a&tag=b+c&tag=%E2%9C%93&flag&bad=%E0%A4%A'), { tag: ['a', 'b c', '✓'], flag: '', bad: '%E0%A4%A' });
  });

  it('ignores __proto__ and empty pairs, and does not confuse own keys with Object.prototype', () => {
    const q = maskQuery('__proto__=x&&constructor=c&toString=t') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(q), Object.prototype);
    assert.deepEqual(q, { constructor: 'c', toString: 't' });
  });

  it('returns nothing for an empty query, and at most 64 parameters of at most 512 characters', () => {
    assert.equal(maskQuery(''), undefined);
    assert.equal(maskQuery('&&'), undefined);
    const many = Array.from({ length: 100 }, (_, i) => `k${i}=${'v'.repeat(600)}`).join('&');
    const q = maskQuery(many) as Record<string, string>;
    assert.equal(Object.keys(q).length, 64);
    assert.equal(q.k0?.length, 513);
  });
});
