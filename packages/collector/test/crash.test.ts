/**
 * Crash safety: a real collector process is SIGKILLed at random moments while concurrent
 * clients send batches; after every restart, every event that was acknowledged must be in
 * the database exactly once.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { basicAuth, eventually, spawnCollector, tempDataDir, trackEvent } from './support/collector.js';
import { idCounts } from './support/duckdb-file.js';

const ROUNDS = 5;
const SENDERS = 8;
const BATCH = 50;

describe('crash safety', () => {
  let dataDir: string;
  after(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged event, exactly once, through repeated kill -9 and restarts', async (t) => {
    dataDir = await tempDataDir('fp-crash-');
    const acked = new Set<string>();
    let attempted = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Small segments so that kills also land around rotations.
      const fp = await spawnCollector(dataDir, { FOOTPRINT_WAL_SEGMENT_BYTES: String(256 * 1024), FOOTPRINT_LOG_LEVEL: 'warn' });
      let stop = false;
      const senders = Array.from({ length: SENDERS }, async (_, s) => {
        for (let n = 0; !stop; n++) {
          const ids = Array.from({ length: BATCH }, (_, i) => `r${round}-s${s}-b${n}-e${i}`);
          attempted += BATCH;
          try {
            const res = await fetch(`${fp.url}/v1/batch`, {
              method: 'POST',
              headers: { authorization: basicAuth(), 'content-type': 'application/json' },
              body: JSON.stringify({ batch: ids.map((id) => trackEvent(id, { properties: { round, pad: 'x'.repeat(200) } })) }),
            });
            const body = (await res.json()) as { accepted?: number };
            if (res.status === 200 && body.accepted === BATCH) for (const id of ids) acked.add(id);
          } catch {
            return; // the collector died under us: this batch was not acknowledged
          }
        }
      });
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 900));
      fp.proc.kill('SIGKILL');
      stop = true;
      await Promise.all(senders);
      const exit = await fp.exited;
      assert.equal(exit.signal, 'SIGKILL');
    }
    t.diagnostic(`acknowledged ${acked.size} of ${attempted} events sent over ${ROUNDS} kills`);
    assert.ok(acked.size > 1000, `the test must acknowledge a meaningful number of events (got ${acked.size} of ${attempted})`);

    // Restart once more and let the loader catch up with everything in the WAL. The bound is
    // generous (it takes a few seconds on an idle machine); a timeout reports where it stood.
    const fp = await spawnCollector(dataDir, { FOOTPRINT_LOG_LEVEL: 'warn' });
    let lastHealth: unknown;
    try {
      await eventually(
        async () => {
          const h = (await (await fetch(`${fp.url}/healthz`)).json()) as { loader: { lag_bytes: number; state: string } };
          lastHealth = h;
          return h.loader.lag_bytes === 0 && h.loader.state !== 'starting' ? true : undefined;
        },
        120_000,
        'the loader to catch up',
      );
    } catch (err) {
      fp.proc.kill('SIGKILL');
      throw new Error(
        `${(err as Error).message}\nlast /healthz: ${JSON.stringify(lastHealth)}\ncollector output:\n${fp.output().slice(-4000)}`,
      );
    }
    fp.proc.kill('SIGTERM');
    assert.equal((await fp.exited).code, 0);

    const counts = await idCounts(join(dataDir, 'footprint.duckdb'));
    const missing = [...acked].filter((id) => !counts.has(id));
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged events are missing`);
    const doubled = [...counts].filter(([, n]) => n !== 1);
    assert.deepEqual(doubled, [], 'no event may be stored twice');
  });
});
