#!/usr/bin/env node
/**
 * The WAL line serializer with and without its plain-text path (printable ASCII text quoted
 * as it is, instead of through JSON.stringify), and JSON.stringify of the whole row, on the
 * rows of the benchmark payload: 9 rounds of ~0.5 s each, interleaved, medians. Checks first
 * that both serializers write the same lines. Uses the built collector (`npm run build`).
 *
 * Usage: node bench/serialize.mjs
 */
import { validateEvent } from '@footprint/schema';
import { compileRowSerializer } from '../packages/collector/dist/model/serialize.js';
import { toRow } from '../packages/collector/dist/transforms/to-row.js';
import { batchBodies } from './payload.mjs';

const meta = { projectId: 'default', receivedAtMs: Date.now(), receivedAt: new Date().toISOString(), ip: '127.0.0.1', userAgent: 'wrk' };
const rows = batchBodies(64, 100).flatMap((b) => b.events.map((e) => toRow(validateEvent(structuredClone(e)).event, meta)));
const variants = [
  ["serializer with the plain-text path (the collector's)", compileRowSerializer()],
  ['serializer, every value through JSON.stringify', compileRowSerializer({ plainText: false })],
  ['JSON.stringify(row)', (r) => JSON.stringify(r)],
];
const differ = rows.filter((r) => variants[0][1](r) !== variants[1][1](r)).length;
if (differ > 0) throw new Error(`${differ} rows serialize differently`);

/** Characters written, kept so that no serializer's work can be optimized away. */
let written = 0;

function round(fn) {
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 500) {
    for (const r of rows) {
      written += fn(r).length;
      n++;
    }
  }
  return ((performance.now() - t0) * 1000) / n;
}
for (const [, fn] of variants) round(fn);
const times = variants.map(() => []);
for (let i = 0; i < 9; i++) for (const [v, [, fn]] of variants.entries()) times[v].push(round(fn));
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const base = median(times[1]);
console.log(`${rows.length} rows of the benchmark payload, identical lines from both serializers (Node ${process.version})\n`);
console.log('| serializer | µs per row (median of 9) | against every value through JSON.stringify |');
console.log('|---|---|---|');
for (const [v, [name]] of variants.entries())
  console.log(`| ${name} | ${median(times[v]).toFixed(2)} | ${(median(times[v]) / base).toFixed(2)}× |`);
if (written === 0) throw new Error('nothing was serialized');
