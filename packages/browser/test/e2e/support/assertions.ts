/** Assertions every end-to-end test makes about a page: the SDK stayed silent and harmless. */
import assert from 'node:assert/strict';
import type { PageWatch } from './browser.js';

/** No uncaught error in the page, and no event the collector rejected (a beacon's answer cannot be read). */
export function assertCleanDelivery(watch: PageWatch): void {
  assert.deepEqual(
    watch.pageErrors.map((e) => e.message),
    [],
    'the page had uncaught errors',
  );
  for (const batch of watch.batches) {
    assert.ok(batch.status === 200, `a batch was answered ${batch.status}: ${JSON.stringify(batch.body)}`);
    const rejected = (batch.body as { rejected?: unknown } | null)?.rejected;
    assert.equal(rejected, undefined, `the collector rejected events: ${JSON.stringify(batch.body)}`);
  }
}
