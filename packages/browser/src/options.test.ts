import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveOptions } from './options.js';

const PAGE = 'https://shop.example';

describe('resolveOptions', () => {
  it('gives every flag its default when only the write key is given', () => {
    assert.deepEqual(resolveOptions({ writeKey: 'wk' }, PAGE), {
      writeKey: 'wk',
      host: PAGE,
      pageviews: true,
      clicks: true,
      errors: true,
      hash: false,
      cookieless: false,
      correlate: false,
      dnt: false,
    });
  });

  it('reads script-tag text: "off", "false" and "0" turn a flag off, an empty attribute or any other text turns it on', () => {
    const o = resolveOptions(
      { writeKey: 'wk', clicks: 'off', errors: 'false', pageviews: '0', hash: '', correlate: 'true', dnt: 'yes' },
      PAGE,
    );
    assert.equal(o.clicks, false);
    assert.equal(o.errors, false);
    assert.equal(o.pageviews, false);
    assert.equal(o.hash, true);
    assert.equal(o.correlate, true);
    assert.equal(o.dnt, true);
  });

  it('makes the host absolute and drops trailing slashes', () => {
    assert.equal(resolveOptions({ writeKey: 'wk', host: 'https://fp.example.com/' }, PAGE).host, 'https://fp.example.com');
    assert.equal(resolveOptions({ writeKey: 'wk', host: '/footprint/' }, PAGE).host, `${PAGE}/footprint`);
  });

  it('refuses options without a write key, whatever they are', () => {
    for (const input of [undefined, null, 'wk', 42, {}, { writeKey: '' }]) {
      assert.throws(() => resolveOptions(input, PAGE), /writeKey/, JSON.stringify(input));
    }
  });
});
