import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storedRow } from '../../test/support/sink-contract.js';
import type { StoredRow } from './row.js';
import { jsonText, serializeRow } from './serialize.js';

const TRICKY = [
  '',
  'plain /path?q=1&x=[2]',
  'a "quoted" word',
  'back\\slash',
  'line\nbreak\ttab\r',
  'nul \u0000 and \u001f',
  'del \u007f',
  'accented é, 한국어',
  'emoji 👋',
  'lone \ud800 surrogate',
  'trailing \udc00',
  'separators \u2028 \u2029',
  '</script>',
];

describe('serializeRow', () => {
  it('writes every text value as JSON.stringify does, plain or not', () => {
    for (const text of TRICKY) {
      assert.equal(jsonText(text), JSON.stringify(text), JSON.stringify(text));
      const row = storedRow('s1', { user_id: text, title: text, path: text });
      const line = serializeRow(row);
      assert.ok(line.includes(`"user_id":${JSON.stringify(text)}`), line);
      const back = JSON.parse(line) as Record<string, unknown>;
      assert.equal(back.user_id, text);
      assert.equal(back.title, text);
    }
  });

  it('gives the same object as JSON.stringify of the row, less the empty columns', () => {
    const row = storedRow('s2', {
      user_id: 'u "1"',
      properties: { nested: { a: [1, 'two', null] }, quote: '"' },
      status: 201,
      duration_ms: 12.5,
    } as Partial<StoredRow>);
    const expected = Object.fromEntries(Object.entries(JSON.parse(JSON.stringify(row))).filter(([, v]) => v !== null));
    assert.deepEqual(JSON.parse(serializeRow(row)), expected);
  });

  it('writes a value of another type in a text column as JSON, not as text', () => {
    const row = storedRow('s3', { user_id: 42 as unknown as string });
    assert.equal((JSON.parse(serializeRow(row)) as Record<string, unknown>).user_id, 42);
  });
});
