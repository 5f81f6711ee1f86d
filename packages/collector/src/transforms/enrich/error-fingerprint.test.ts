import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorFingerprint } from './error-fingerprint.js';

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
});
