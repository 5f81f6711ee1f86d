#!/usr/bin/env node
/**
 * Diagnostic: how fast DuckDB loads Footprint's WAL lines through the collector's own sink
 * (DuckDbSink.load: stage the chunk, drop duplicates within it, anti-join against the ids
 * received in the dedup window, insert, move the checkpoint, one transaction per chunk),
 * against a plain INSERT of the same lines with no deduplication. WAL lines are built with
 * the collector's transform chain (ingestEvents) from the benchmark payload, 16 MB chunk
 * files like the loader's, received 1 ms apart per batch of 100. Each variant loads in its own process, so
 * its CPU time and peak RSS are its own.
 *
 * The table can be filled first with `prefill` rows (fresh UUID ids) received evenly over
 * the `age` hours before the load: rows older than the dedup window cost the anti-join
 * nothing (DuckDB skips their row groups); rows inside it are read by every chunk.
 *
 * Usage: node bench/duckdb-load.mjs [events=200000] [threads] [prefill=0] [age-hours=48]
 * (needs `npm run build`). DuckDB threads and memory limit default to the collector's own
 * defaults (config.ts). The sink also runs with DuckDB's default checkpoint threshold
 * (16 MiB; the collector's is CHECKPOINT_THRESHOLD), to show what the collector's own saves.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../packages/collector/dist/config.js';
import { CHECKPOINT_THRESHOLD, DuckDbDatabase } from '../packages/collector/dist/sinks/duckdb/database.js';
import { idHashSql, readChunkSql } from '../packages/collector/dist/sinks/duckdb/schema.js';
import { DuckDbSink } from '../packages/collector/dist/sinks/duckdb/sink.js';
import { ingestEvents } from '../packages/collector/dist/transforms/ingest.js';
import { batchBodies } from './payload.mjs';

/** Chunk size (the loader's maxChunkBytes); BENCH_CHUNK_MB changes it. */
const CHUNK = Number(process.env.BENCH_CHUNK_MB ?? 16) * 1024 * 1024;
const [, self, totalArg, threadsArg, prefillArg, ageArg, variant, dirArg] = process.argv;
const total = Number(totalArg ?? 200_000);
// FOOTPRINT_DUCKDB_MEMORY / FOOTPRINT_DUCKDB_THREADS apply as they do to the collector.
const defaults = loadConfig({ FOOTPRINT_DUCKDB_MEMORY: process.env.FOOTPRINT_DUCKDB_MEMORY }, os.tmpdir());
const threads = Number(threadsArg ?? defaults.duckdbThreads);
const prefill = Number(prefillArg ?? 0);
const ageHours = Number(ageArg ?? 48);
const memoryLimit = defaults.duckdbMemory;
const START = Date.parse('2026-06-01T12:00:00.000Z');

const peakRssMb = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;

/** DuckDB's own default checkpoint_threshold, for comparison. */
const DUCKDB_DEFAULT_THRESHOLD = '16MiB';

/** Child: loads every chunk file of `dir` into a fresh database. */
async function load(dir, dedup, checkpointThreshold) {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort((a, b) => Number(a.match(/\d+/)[0]) - Number(b.match(/\d+/)[0]))
    .map((f) => join(dir, f));
  const name = `${dedup ? 'sink' : 'plain'}-${checkpointThreshold}`;
  const db = new DuckDbDatabase({ path: join(dir, `${name}.duckdb`), memoryLimit, threads, checkpointThreshold });
  const sink = new DuckDbSink(db, join(dir, `scratch-${name}`));
  await sink.open();
  const conn = await db.connect();
  if (prefill > 0) {
    // Rows with fresh ids, received evenly over the `ageHours` before the load.
    const stepUs = Math.max(1, Math.floor((ageHours * 3600e6) / prefill));
    await conn.run(
      `INSERT INTO events (project_id, id, type, event, timestamp, received_at, is_bot, anonymous_id, path, id_hash) ` +
        `SELECT project_id, id, 'track', 'Prefilled', t, t, false, 'a' || (i % 5000), '/p/' || (i % 100), ${idHashSql()} ` +
        `FROM (SELECT i, 'default' AS project_id, uuid()::VARCHAR AS id, TIMESTAMP '${new Date(START - ageHours * 3600_000).toISOString().replace('T', ' ').replace('Z', '')}' + to_microseconds(i * ${stepUs}) AS t FROM range(${prefill}) r(i))`,
    );
    await conn.run('CHECKPOINT');
  }
  const rssBefore = peakRssMb();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const perChunk = [];
  for (const [i, f] of files.entries()) {
    const c0 = process.cpuUsage();
    if (dedup) {
      await sink.load(readFileSync(f), { seq: 1, offset: i + 1 });
    } else {
      await conn.run('BEGIN TRANSACTION');
      await conn.run(`INSERT INTO events ${readChunkSql(f)}`);
      await conn.run('COMMIT');
    }
    const c = process.cpuUsage(c0);
    perChunk.push((c.user + c.system) / 1e6);
  }
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const rows = Number((await conn.runAndReadAll('SELECT count(*) FROM events')).getRows()[0][0]) - prefill;
  conn.closeSync();
  await sink.close();
  db.close();
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const label =
    (dedup ? "the collector's sink (deduplication in the window)" : 'plain INSERT, no deduplication') +
    (checkpointThreshold === CHECKPOINT_THRESHOLD ? '' : `, DuckDB's default checkpoint threshold (${checkpointThreshold})`);
  console.log(
    `| ${label} | ${prefill.toLocaleString('en-US')}${prefill ? ` (${ageHours} h before)` : ''} | ${rows.toLocaleString('en-US')} | ${secs.toFixed(2)} s | ${Math.round(rows / secs).toLocaleString('en-US')} | ` +
      `${((cpuS * 1e6) / rows).toFixed(0)} µs | ${perChunk[0].toFixed(2)} s / ${perChunk.at(-1).toFixed(2)} s | ${peakRssMb().toFixed(0)} MB (${rssBefore.toFixed(0)} before) |`,
  );
}

if (variant) {
  const [kind, threshold] = variant.split(':');
  await load(dirArg, kind === 'sink', threshold);
} else {
  const dir = mkdtempSync(join(os.tmpdir(), 'footprint-duckdb-load-'));
  try {
    const bodies = batchBodies(64, 100);
    let chunk = '';
    let files = 0;
    let bytes = 0;
    for (let n = 0; n < total; n += 100) {
      const at = START + n / 100;
      const meta = { projectId: 'default', receivedAtMs: at, receivedAt: new Date(at).toISOString(), ip: '127.0.0.1', userAgent: 'wrk' };
      chunk += ingestEvents(bodies[(n / 100) % 64].events, meta, 40_000, 'batch').lines;
      if (chunk.length >= CHUNK || n + 100 >= total) {
        writeFileSync(join(dir, `chunk-${files++}.jsonl`), chunk);
        bytes += chunk.length;
        chunk = '';
      }
    }
    console.log(
      `${total} events, ${(bytes / total).toFixed(0)} bytes per WAL line, ${files} chunk files of ${CHUNK / 1048576} MB; DuckDB threads=${threads}, memory_limit ${memoryLimit}\n`,
    );
    console.log(
      '| load | rows already in the table | rows loaded | wall time | events/s | CPU per event (all threads) | CPU of the first / last chunk | peak RSS |',
    );
    console.log('|---|---|---|---|---|---|---|---|');
    for (const v of [`sink:${CHECKPOINT_THRESHOLD}`, `plain:${CHECKPOINT_THRESHOLD}`, `sink:${DUCKDB_DEFAULT_THRESHOLD}`]) {
      const r = spawnSync(process.execPath, [self, String(total), String(threads), String(prefill), String(ageHours), v, dir], {
        stdio: 'inherit',
        timeout: 1_800_000,
      });
      if (r.status !== 0) process.exitCode = r.status ?? 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
