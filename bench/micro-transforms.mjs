#!/usr/bin/env node
/**
 * Micro-benchmark of the collector's per-event work on the benchmark payload, stage by
 * stage, on one core and without HTTP, disk or the loader: what the event loop has to spend
 * per event at minimum. Uses the built collector (run `npm run build` first).
 *
 * Usage: node bench/micro-transforms.mjs   (about 30 s; prints a markdown table of medians of 7
 * interleaved rounds per stage)
 */
import { validateEvent } from '@footprint/schema';
import sjson from 'secure-json-parse';
import { ingestEvents } from '../packages/collector/dist/transforms/ingest.js';
import { toRow } from '../packages/collector/dist/transforms/to-row.js';
import { batchBodies } from './payload.mjs';

// The WAL line serializer: the collector's own when it has one, else JSON.stringify.
const serialize = await import('../packages/collector/dist/model/serialize.js').then(
  (m) => ({ name: 'serializeRow', fn: m.serializeRow }),
  () => ({ name: 'JSON.stringify', fn: (row) => JSON.stringify(row) }),
);

const N = 64;
const PER = 100;
const bodies = batchBodies(N, PER).map((b) => b.body);
const meta = { projectId: 'default', receivedAtMs: Date.now(), receivedAt: new Date().toISOString(), ip: '127.0.0.1', userAgent: 'wrk' };
const opts = { protoAction: 'remove', constructorAction: 'remove' };
const parsed = bodies.map((b) => sjson.parse(b, undefined, opts));
const valid = parsed.map((p) => p.batch.map((e) => validateEvent(e).event));
const rows = valid.map((v) => v.map((e) => toRow(e, meta)));
const wire = (i) => parsed[i % N].batch;

/** One round of fn over batches for ~0.4 s; returns µs per event. */
function round(fn) {
  let iters = 0;
  const t0 = process.hrtime.bigint();
  let t = t0;
  while (t - t0 < 400_000_000n) {
    for (let k = 0; k < 20; k++) fn(iters++);
    t = process.hrtime.bigint();
  }
  return Number(t - t0) / 1000 / iters / PER;
}

const cases = [
  ['secure-json-parse of the body (what body.ts does)', (i) => sjson.parse(bodies[i % N], undefined, opts)],
  ['JSON.parse of the body (for comparison)', (i) => JSON.parse(bodies[i % N])],
  ['ingestEvents, 40 KB body (as served; bodies > 32 KB may measure events)', (i) => ingestEvents(wire(i), meta, 40_000, 'batch')],
  ['ingestEvents, told the body is 1 KB (never measures)', (i) => ingestEvents(wire(i), meta, 1_000, 'batch')],
  [
    '  of which: Buffer.byteLength(JSON.stringify(event)) (the measure)',
    (i) => {
      for (const e of parsed[i % N].batch) Buffer.byteLength(JSON.stringify(e));
    },
  ],
  [
    '  of which: validateEvent (TypeBox)',
    (i) => {
      for (const e of parsed[i % N].batch) validateEvent(e);
    },
  ],
  [
    '  of which: toRow (enrich: UA, URL, UTM, uuid, timestamps)',
    (i) => {
      for (const e of valid[i % N]) toRow(e, meta);
    },
  ],
  [
    `  of which: ${serialize.name}(row) (the WAL line)`,
    (i) => {
      for (const r of rows[i % N]) serialize.fn(r);
    },
  ],
  [
    '  for comparison: JSON.stringify(row)',
    (i) => {
      for (const r of rows[i % N]) JSON.stringify(r);
    },
  ],
];

const inBytes = bodies.reduce((a, b) => a + Buffer.byteLength(b), 0) / (N * PER);
const outBytes = rows.flat().reduce((a, r) => a + Buffer.byteLength(serialize.fn(r)) + 1, 0) / (N * PER);
console.log(
  `Per-event cost on one core (Node ${process.version}); input ${inBytes.toFixed(0)} B/event, WAL line ${outBytes.toFixed(0)} B/event\n`,
);
console.log('| stage | µs per event | events/s on one core |');
console.log('|---|---|---|');
// Every case warms up, then the 7 rounds interleave the cases (round r of each case runs
// before round r + 1 of any), so a change in the machine's speed meets every case alike.
for (const [, fn] of cases) for (let i = 0; i < 500; i++) fn(i);
const rounds = cases.map(() => []);
for (let r = 0; r < 7; r++) for (const [c, [, fn]] of cases.entries()) rounds[c].push(round(fn));
cases.forEach(([name], c) => {
  const us = rounds[c].sort((a, b) => a - b)[3];
  console.log(`| ${name} | ${us.toFixed(2)} | ${Math.round(1e6 / us).toLocaleString('en-US')} |`);
});
