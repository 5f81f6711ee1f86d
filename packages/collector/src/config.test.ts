import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig: FOOTPRINT_DEDUP_HOURS', () => {
  it('defaults to 24 hours and takes whole hours from 0 to a year', () => {
    assert.equal(loadConfig({}, '/tmp').dedupWindowMs, 24 * 3600_000);
    assert.equal(loadConfig({ FOOTPRINT_DEDUP_HOURS: '0' }, '/tmp').dedupWindowMs, 0);
    assert.equal(loadConfig({ FOOTPRINT_DEDUP_HOURS: '168' }, '/tmp').dedupWindowMs, 168 * 3600_000);
  });

  for (const bad of ['-1', '1.5', 'a day', '9000', '99999', ' 24x']) {
    it(`refuses ${JSON.stringify(bad)}, naming the variable and the rule`, () => {
      assert.throws(
        () => loadConfig({ FOOTPRINT_DEDUP_HOURS: bad }, '/tmp'),
        (err: unknown) => err instanceof ConfigError && /^FOOTPRINT_DEDUP_HOURS must be a whole number from 0 to 8784/.test(err.message),
      );
    });
  }
});

describe('loadConfig: keys and proxies', () => {
  it('refuses an admin token equal to the write key: the write key is public', () => {
    assert.throws(
      () => loadConfig({ FOOTPRINT_WRITE_KEY: 'samesame1', FOOTPRINT_ADMIN_TOKEN: 'samesame1' }, '/tmp'),
      (err: unknown) => err instanceof ConfigError && /^FOOTPRINT_ADMIN_TOKEN must differ from FOOTPRINT_WRITE_KEY/.test(err.message),
    );
    assert.equal(loadConfig({ FOOTPRINT_WRITE_KEY: 'samesame1', FOOTPRINT_ADMIN_TOKEN: 'different2' }, '/tmp').adminToken, 'different2');
  });

  for (const [bad, rule] of [
    ['10.0.0.0/33', /prefix length that is not a whole number from 0 to 32/],
    ['::1/129', /prefix length that is not a whole number from 0 to 128/],
    ['10.0.0.0/x', /prefix length/],
    ['10.0.0.0/8/9', /is not an IP address or CIDR range/],
    ['proxy.local', /is not an IP address or CIDR range/],
  ] as const) {
    it(`refuses FOOTPRINT_TRUSTED_PROXIES=${bad}, naming the variable and the rule`, () => {
      assert.throws(
        () => loadConfig({ FOOTPRINT_TRUSTED_PROXIES: `127.0.0.1,${bad}` }, '/tmp'),
        (err: unknown) => err instanceof ConfigError && err.message.startsWith('FOOTPRINT_TRUSTED_PROXIES: ') && rule.test(err.message),
      );
    });
  }

  it('takes addresses and ranges of both families', () => {
    assert.deepEqual(loadConfig({ FOOTPRINT_TRUSTED_PROXIES: '10.0.0.0/8, ::1, fd00::/8' }, '/tmp').trustedProxies, [
      '10.0.0.0/8',
      '::1',
      'fd00::/8',
    ]);
  });
});
