/**
 * Diagnostic preload for the collector (not used by default): every 250 ms appends
 * process.memoryUsage() (rss, V8 heap, external, array buffers) as a JSON line to the file
 * named by BENCH_MEM_PROBE, to split RSS into V8 heap, Buffers and native (DuckDB, malloc).
 *
 * Usage: BENCH_MEM_PROBE=/tmp/mem.jsonl node --import ./bench/mem-probe.mjs packages/collector/dist/cli/main.js serve
 *        or: npm run bench -- --mem-probe   (then see bench/results/mem-probe.jsonl)
 */
import { appendFileSync } from 'node:fs';

const file = process.env.BENCH_MEM_PROBE;
if (file) {
  const mb = (n) => Math.round((n / 1048576) * 10) / 10;
  setInterval(() => {
    const m = process.memoryUsage();
    const line = {
      t: Date.now(),
      rss: mb(m.rss),
      heapTotal: mb(m.heapTotal),
      heapUsed: mb(m.heapUsed),
      external: mb(m.external),
      arrayBuffers: mb(m.arrayBuffers),
    };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  }, 250).unref();
}
