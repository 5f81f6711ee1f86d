import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { campaignOf } from './attribution.js';

describe('campaignOf', () => {
  it('maps the five UTM parameters to the fields of context.campaign', () => {
    assert.deepEqual(campaignOf('?utm_source=newsletter&utm_medium=email&utm_campaign=reminder_d1&utm_term=kafka&utm_content=top'), {
      source: 'newsletter',
      medium: 'email',
      name: 'reminder_d1',
      term: 'kafka',
      content: 'top',
    });
  });

  it('keeps ad click ids under their own names', () => {
    assert.deepEqual(campaignOf('?gclid=g1&fbclid=f1&msclkid=m1&ttclid=t1&wbraid=w1&gbraid=b1&li_fat_id=l1'), {
      gclid: 'g1',
      fbclid: 'f1',
      msclkid: 'm1',
      ttclid: 't1',
      wbraid: 'w1',
      gbraid: 'b1',
      li_fat_id: 'l1',
    });
  });

  it('answers undefined for a landing without campaign parameters', () => {
    assert.equal(campaignOf(''), undefined);
    assert.equal(campaignOf('?page=2&q=shoes'), undefined);
  });

  it('ignores empty values and keeps the first of repeated parameters', () => {
    assert.deepEqual(campaignOf('?utm_source=&utm_medium=cpc&utm_medium=email'), { medium: 'cpc' });
  });
});
