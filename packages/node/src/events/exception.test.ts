import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorProperties, locationOf } from './exception.js';

describe('errorProperties', () => {
  it('takes type, message, stack, code, cause and the first frame outside Node', () => {
    const err = Object.assign(new TypeError('bad input', { cause: new RangeError('too big') }), { code: 'E_INPUT' });
    const p = errorProperties(err, { handled: true });
    assert.equal(p.error_type, 'TypeError');
    assert.equal(p.message, 'bad input');
    assert.equal(p.code, 'E_INPUT');
    assert.equal((p as Record<string, unknown>).cause, 'RangeError: too big');
    assert.match(p.file ?? '', /exception\.test\.ts$/);
    assert.equal(p.level, 'error');
    assert.equal(p.handled, true);
  });

  it('describes thrown values that are not errors', () => {
    assert.deepEqual(errorProperties('boom'), { message: 'boom', error_type: 'string', level: 'error' });
    assert.deepEqual(errorProperties({ reason: 'x' }), { message: '{"reason":"x"}', error_type: 'object', level: 'error' });
    assert.deepEqual(errorProperties(null), { message: 'null', error_type: 'null', level: 'error' });
    assert.equal(errorProperties(new Error('')).message, 'Error');
  });

  it('cuts very long messages and stacks so the event stays under 32 KB', () => {
    const err = new Error('m'.repeat(50_000));
    err.stack = `Error\n${'    at f (/app/a.js:1:1)\n'.repeat(2000)}`;
    const p = errorProperties(err);
    assert.ok(p.message.length <= 4001);
    assert.ok((p.stack ?? '').length <= 12_001);
  });
});

describe('locationOf', () => {
  it('reads V8 frames with and without a function name, and skips node: frames', () => {
    assert.deepEqual(
      locationOf('Error: x\n    at JSON.parse (<anonymous>)\n    at node:internal/x:1:1\n    at handler (file:///app/route.ts:825:11)'),
      {
        file: '/app/route.ts',
        line: 825,
        function: 'handler',
      },
    );
    assert.deepEqual(locationOf('Error\n    at /app/a.js:3:9'), { file: '/app/a.js', line: 3 });
    assert.deepEqual(locationOf(undefined), {});
  });
});
