#!/usr/bin/env node
/**
 * Compares two V8 .cpuprofile files (from `node --cpu-prof`) per unit of work: the self time
 * of each function divided by how many requests (or events) each run served, largest
 * increase first. Used to see what a middleware adds to an app's requests. Each profile also
 * holds the process's start and warm-up, which are divided by the measured requests too:
 * module loading shows up as a small cost per request (`wrapSafe`, `compileSourceTextModule`).
 *
 * Usage: node bench/cpuprofile-diff.mjs <before.cpuprofile> <requests> <after.cpuprofile> <requests> [rows]
 *
 * Example (Node SDK on Fastify, against the same app with only an AsyncLocalStorage context):
 *   node bench/node-sdk/sink.mjs 0                  # prints "listening <sinkPort>"
 *   node --cpu-prof --cpu-prof-dir=/tmp/a bench/node-sdk/app.mjs fastify als http://127.0.0.1:<sinkPort> /tmp/ob
 *   wrk -t1 -c32 -d8s http://127.0.0.1:<appPort>/api/orders/42?ref=bench     # note "N requests", then SIGTERM the app
 *   (the same with footprint-memory into /tmp/b)
 *   node bench/cpuprofile-diff.mjs /tmp/a/*.cpuprofile N_a /tmp/b/*.cpuprofile N_b
 */
import { readFileSync } from 'node:fs';

const [fileA, nA, fileB, nB, rowsArg] = process.argv.slice(2);
if (!fileA || !nA || !fileB || !nB) {
  console.error('usage: node bench/cpuprofile-diff.mjs <before.cpuprofile> <requests> <after.cpuprofile> <requests> [rows]');
  process.exit(1);
}

/** Self time per function, in µs per request. */
function perRequest(file, requests) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < p.samples.length; i++) {
    const cf = byId.get(p.samples[i]).callFrame;
    if (cf.functionName === '(idle)') continue;
    const url = cf.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/');
    const key = `${cf.functionName || '(anonymous)'}${url ? ` ${url}:${cf.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  for (const [k, v] of self) self.set(k, v / requests);
  return self;
}

const a = perRequest(fileA, Number(nA));
const b = perRequest(fileB, Number(nB));
const rows = [...new Set([...a.keys(), ...b.keys()])]
  .map((k) => ({ k, a: a.get(k) ?? 0, b: b.get(k) ?? 0 }))
  .map((r) => ({ ...r, d: r.b - r.a }))
  .sort((x, y) => y.d - x.d);
const total = rows.reduce((n, r) => n + r.d, 0);
const f = (x) => x.toFixed(2);
console.log(`total: ${f(total)} µs per request more in the second profile (sampled time, kernel time in syscalls included)\n`);
console.log('| added | before | after | function |');
console.log('|---|---|---|---|');
for (const r of rows.slice(0, Number(rowsArg ?? 30))) console.log(`| ${f(r.d)} µs | ${f(r.a)} | ${f(r.b)} | \`${r.k}\` |`);
