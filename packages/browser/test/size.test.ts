/**
 * The size budget of the <script> build: `npm test` builds first, then this fails when
 * dist/fp.js, gzipped as the collector serves it, grows past SIZE_BUDGET_BYTES, and when the
 * size the READMEs state is no longer the measured one.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: a plain .mjs build helper without type declarations
import { gzippedSize, SCRIPT_FILE, SIZE_BUDGET_BYTES } from '../scripts/script-size.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const size = gzippedSize(`${root}${SCRIPT_FILE}`) as { raw: number; gzip: number };

it(`keeps the script build within its budget of ${SIZE_BUDGET_BYTES} bytes gzipped`, () => {
  assert.ok(
    size.gzip <= SIZE_BUDGET_BYTES,
    `dist/fp.js is ${size.gzip} bytes gzipped, over the budget of ${SIZE_BUDGET_BYTES}: make it smaller before adding to it`,
  );
});

it('states the measured size in the READMEs', () => {
  const measured = Math.round((size.gzip / 1024) * 100) / 100;
  for (const readme of [`${root}README.md`, `${root}../../README.md`]) {
    const stated = /(\d+(?:\.\d+)?) KB minified and gzipped/.exec(readFileSync(readme, 'utf8'));
    assert.ok(stated, `${readme} says "<n> KB minified and gzipped"`);
    assert.equal(Number(stated[1]), measured, `${readme}: the script is ${size.gzip} bytes gzipped`);
  }
});
