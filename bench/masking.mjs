#!/usr/bin/env node
/**
 * Cost of masking with the default rules: the collector's transform chain (validate →
 * enrich → mask → serialize) on the benchmark payload, with and without the project's
 * masker, interleaved in one run so both see the same machine. Reports events/s on one core
 * and the throughput lost to masking (goal: under 15%).
 *
 * Usage: npm run build && node bench/masking.mjs   (about 20 s)
 */
import { compileMasker } from '@footprint/privacy';
import sjson from 'secure-json-parse';
import { ingestEvents } from '../packages/collector/dist/transforms/ingest.js';
import { createRowMasker } from '../packages/collector/dist/transforms/mask.js';
import { batchBodies } from './payload.mjs';

const PER = 100;
const bodies = batchBodies(64, PER).map((b) => b.body);
const meta = { projectId: 'default', receivedAtMs: Date.now(), receivedAt: new Date().toISOString(), ip: '203.0.113.7', userAgent: 'wrk' };
const masker = createRowMasker({ masker: compileMasker({ secret: 'bench-secret' }) });
const opts = { protoAction: 'remove', constructorAction: 'remove' };

// Each run parses its own copy: masking edits events in place.
const run = (withMask) => (i) => {
  const events = sjson.parse(bodies[i % bodies.length], undefined, opts).batch;
  return ingestEvents(events, meta, 40_000, 'batch', withMask ? masker : undefined);
};

function rate(fn, ms) {
  let n = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(ms) * 1_000_000n;
  let t = t0;
  while (t < end) {
    fn(n++);
    t = process.hrtime.bigint();
  }
  return (n * PER) / (Number(t - t0) / 1e9);
}

const plain = run(false);
const masked = run(true);
for (let i = 0; i < 300; i++) {
  plain(i);
  masked(i);
}
const a = [];
const b = [];
for (let r = 0; r < 8; r++) {
  a.push(rate(plain, 1000));
  b.push(rate(masked, 1000));
}
const median = (xs) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const without = median(a);
const withMask = median(b);
const sample = ingestEvents(sjson.parse(bodies[0], undefined, opts).batch, meta, 40_000, 'batch', masker);
console.log(`| transform chain (parse → validate → enrich → serialize) | events/s on one core |`);
console.log(`|---|---|`);
console.log(`| without masking | ${Math.round(without).toLocaleString('en-US')} |`);
console.log(`| with the default masking rules | ${Math.round(withMask).toLocaleString('en-US')} |`);
console.log(`| throughput lost to masking | ${((1 - withMask / without) * 100).toFixed(1)}% (goal < 15%) |`);
console.log(`\nWAL line: ${Math.round(sample.lines.length / sample.accepted)} bytes per event on average`);
