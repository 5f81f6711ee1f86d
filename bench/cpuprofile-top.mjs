#!/usr/bin/env node
/**
 * Summarizes a V8 .cpuprofile (from `node --cpu-prof`, e.g. `npm run bench -- --cpu-prof`):
 * self and inclusive time per function as a share of the non-idle samples.
 *
 * Usage: node bench/cpuprofile-top.mjs <file.cpuprofile> [rows]
 */
import { readFileSync } from 'node:fs';

const file = process.argv[2];
const rows = Number(process.argv[3] ?? 25);
if (!file) {
  console.error('usage: node bench/cpuprofile-top.mjs <file.cpuprofile> [rows]');
  process.exit(1);
}
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const name = (n) => {
  const cf = n.callFrame;
  const url = cf.url
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/dist\//, 'dist/')
    .replace(/^file:\/\//, '');
  return `${cf.functionName || '(anonymous)'}${url ? ` ${url}:${cf.lineNumber + 1}` : ''}`;
};
const selfT = new Map();
let busy = 0;
let idle = 0;
for (let i = 0; i < p.samples.length; i++) {
  const n = byId.get(p.samples[i]);
  const dt = p.timeDeltas[i] ?? 0;
  if (n.callFrame.functionName === '(idle)') {
    idle += dt;
    continue;
  }
  busy += dt;
  selfT.set(n.id, (selfT.get(n.id) ?? 0) + dt);
}
const self = new Map();
const incl = new Map();
for (const [id, t] of selfT) {
  const k = name(byId.get(id));
  self.set(k, (self.get(k) ?? 0) + t);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const key = name(byId.get(cur));
    if (seen.has(key)) continue;
    seen.add(key);
    incl.set(key, (incl.get(key) ?? 0) + t);
  }
}
const top = (m) =>
  [...m]
    .filter(([k]) => k !== '(root)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, rows)
    .map(([k, v]) => `| ${((100 * v) / busy).toFixed(1)}% | ${(v / 1e6).toFixed(2)} s | \`${k}\` |`)
    .join('\n');
console.log(`busy ${(busy / 1e6).toFixed(1)} s, idle ${(idle / 1e6).toFixed(1)} s (percentages are of busy time)\n`);
console.log('Self time:\n\n| share | time | function |\n|---|---|---|');
console.log(top(self));
console.log('\nInclusive time:\n\n| share | time | function |\n|---|---|---|');
console.log(top(incl));
