#!/usr/bin/env node
/**
 * Diagnostic: how fast DuckDB loads Footprint's WAL lines, and what the primary key costs.
 * Builds WAL lines with the collector's own transform chain (ingestEvents) from the benchmark
 * payload, writes them in 16 MB chunk files (the loader's chunk size), then loads them with
 * the collector's own SQL (createEventsTableSql + loadFileSql: INSERT OR IGNORE ... read_json)
 * and, for comparison, into the same table without its PRIMARY KEY (plain INSERT). Each
 * variant loads in its own process, so its CPU time and peak RSS are its own.
 *
 * Usage: node bench/duckdb-load.mjs [events=200000] [threads]   (needs `npm run build`)
 * DuckDB threads and memory limit default to the collector's own defaults (config.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadConfig } from '../packages/collector/dist/config.js';
import { createEventsTableSql, loadFileSql } from '../packages/collector/dist/sinks/duckdb/schema.js';
import { ingestEvents } from '../packages/collector/dist/transforms/ingest.js';
import { batchBodies } from './payload.mjs';

const CHUNK = 16 * 1024 * 1024;
const [, self, totalArg, threadsArg, variant, dirArg] = process.argv;
const total = Number(totalArg ?? 200_000);
const defaults = loadConfig({}, os.tmpdir());
const threads = Number(threadsArg ?? defaults.duckdbThreads);
const memoryLimit = defaults.duckdbMemory;

const peakRssMb = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;

/** Child: loads every chunk file of `dir` into a fresh database. */
async function load(dir, withKey) {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort((a, b) => Number(a.match(/\d+/)[0]) - Number(b.match(/\d+/)[0]))
    .map((f) => join(dir, f));
  const db = await DuckDBInstance.create(join(dir, `${withKey ? 'pk' : 'nopk'}.duckdb`), {
    threads: String(threads),
    memory_limit: memoryLimit,
  });
  const conn = await db.connect();
  const ddl = withKey ? createEventsTableSql() : createEventsTableSql().replace(/,\s*PRIMARY KEY \([^)]*\)\s*\n?\)/, '\n)');
  for (const stmt of ddl.split(';').filter((s) => s.trim())) await conn.run(stmt);
  const rssBefore = peakRssMb();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const f of files) {
    await conn.run('BEGIN TRANSACTION');
    await conn.run(withKey ? loadFileSql(f) : loadFileSql(f).replace('INSERT OR IGNORE', 'INSERT'));
    await conn.run('COMMIT');
  }
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const rows = Number((await conn.runAndReadAll('SELECT count(*) FROM events')).getRows()[0][0]);
  conn.closeSync();
  db.closeSync();
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const name = withKey ? 'as the collector creates it: PRIMARY KEY, INSERT OR IGNORE' : 'same table without the PRIMARY KEY, plain INSERT';
  console.log(
    `| ${name} | ${rows.toLocaleString('en-US')} | ${secs.toFixed(2)} s | ${Math.round(rows / secs).toLocaleString('en-US')} | ` +
      `${cpuS.toFixed(1)} s | ${((cpuS * 1e6) / rows).toFixed(0)} µs | ${peakRssMb().toFixed(0)} MB (${rssBefore.toFixed(0)} before) |`,
  );
}

if (variant) {
  await load(dirArg, variant === 'pk');
} else {
  const dir = mkdtempSync(join(os.tmpdir(), 'footprint-duckdb-load-'));
  try {
    const bodies = batchBodies(64, 100);
    const meta = {
      projectId: 'default',
      receivedAtMs: Date.now(),
      receivedAt: new Date().toISOString(),
      ip: '127.0.0.1',
      userAgent: 'wrk',
    };
    let chunk = '';
    let files = 0;
    let bytes = 0;
    for (let n = 0; n < total; n += 100) {
      chunk += ingestEvents(bodies[(n / 100) % 64].events, meta, 40_000, 'batch').lines;
      if (chunk.length >= CHUNK || n + 100 >= total) {
        writeFileSync(join(dir, `chunk-${files++}.jsonl`), chunk);
        bytes += chunk.length;
        chunk = '';
      }
    }
    console.log(
      `${total} events, ${(bytes / total).toFixed(0)} bytes per WAL line, ${files} chunk files of 16 MB; DuckDB threads=${threads}, memory_limit ${memoryLimit}\n`,
    );
    console.log('| table | rows | wall time | events/s | CPU (all threads) | CPU per event | peak RSS |');
    console.log('|---|---|---|---|---|---|---|');
    for (const v of ['pk', 'nopk']) {
      const r = spawnSync(process.execPath, [self, String(total), String(threads), v, dir], { stdio: 'inherit', timeout: 900_000 });
      if (r.status !== 0) process.exitCode = r.status ?? 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
