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
