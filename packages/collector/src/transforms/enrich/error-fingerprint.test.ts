import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorFingerprint, frameOf } from './error-fingerprint.js';

describe('errorFingerprint', () => {
  it('is the same for one bug seen with other ids and line numbers', () => {
    const a = errorFingerprint(
      'TypeError',
      "Cannot read 'x' of user 123",
      'TypeError: x\n    at load (/app/user.js:10:5)\n    at run (/app/main.js:3:1)',
    );
    const b = errorFingerprint(
      'TypeError',
      "Cannot read 'y' of user 987",
      'TypeError: x\n    at load (/srv/app/user.js:12:9)\n    at run (/srv/app/main.js:4:2)',
    );
    assert.equal(a, b);
  });

  it('tells apart errors thrown from different functions', () => {
    const a = errorFingerprint('Error', 'boom', 'Error: boom\n    at save (/app/a.js:1:1)');
    const b = errorFingerprint('Error', 'boom', 'Error: boom\n    at load (/app/a.js:1:1)');
    assert.notEqual(a, b);
  });

  it('reads Firefox and Safari stacks, not only V8 ones', () => {
    const a = errorFingerprint(
      'TypeError',
      'x is undefined',
      'save@https://shop.example/static/app.js:10:5\nclick@https://shop.example/static/app.js:99:1',
    );
    const b = errorFingerprint(
      'TypeError',
      'x is undefined',
      'load@https://shop.example/static/app.js:10:5\nclick@https://shop.example/static/app.js:99:1',
    );
    const c = errorFingerprint(
      'TypeError',
      'x is undefined',
      'save@https://cdn.example/v2/app.js:11:7\nclick@https://cdn.example/v2/app.js:120:3',
    );
    assert.notEqual(a, b);
    assert.equal(a, c);
  });

  it('reads the function and file of each frame format, and nothing from lines that are not frames', () => {
    const cases: Array<[string, [string, string] | undefined]> = [
      ['    at Object.handler (/app/src/routes/orders.js:42:17)', ['Object.handler', 'orders.js']],
      ['    at /app/node_modules/express/lib/router/layer.js:95:5', ['', 'layer.js']],
      ['    at async fn (/a/b.js:3:4)', ['async fn', 'b.js']],
      ['    at processTicksAndRejections (node:internal/process/task_queues:95:5)', ['processTicksAndRejections', 'task_queues']],
      ['    at fn (file:///C:/app/x.js:1:2)', ['fn', 'x.js']],
      ['  at   spaced   (/a/b.js:1:2)', ['spaced', 'b.js']],
      ['handleClick@https://shop.example/static/js/main.3f2a.js:1:2345', ['handleClick', 'main.3f2a.js']],
      ['@https://shop.example/app.js:10:2', ['', 'app.js']],
      ['Error: boom', undefined],
      ['    at async Promise.all (index 0)', ['async Promise.all', 'index 0']],
      ['a b@c.js:1', undefined],
    ];
    for (const [line, frame] of cases) assert.deepEqual(frameOf(line), frame, line);
  });

  it('reads a hostile stack line (a run of " (/" thousands long) as no frame', () => {
    const line = `at ${' (/'.repeat(10_000)}`;
    assert.equal(frameOf(line), undefined);
    assert.match(errorFingerprint('Error', 'm', Array(40).fill(line).join('\n')), /^[0-9a-f]{16}$/);
  });
});
