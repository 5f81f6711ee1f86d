import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { percent } from './engagement.js';

describe('percent', () => {
  it('answers a percentage with one decimal', () => {
    assert.equal(percent(1, 3), 33.3);
    assert.equal(percent(768, 768), 100);
  });

  it('never exceeds 100 and survives a zero whole', () => {
    assert.equal(percent(1300, 1200), 100);
    assert.equal(percent(5, 0), 100);
    assert.equal(percent(0, 0), 0);
  });
});
