/**
 * Test support for retention and erasure: WAL days written in the past through the real
 * pipeline (validate → enrich → serialize) and the real WAL writer with an injected clock,
 * loaded by the real loader into a real DuckDB file; the CLI as a child process; and byte
 * scans of a whole data folder.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { dataPaths } from '../../src/app.js';
import { LOADER_DEFAULTS, WalLoader } from '../../src/loader/loader.js';
import { DuckDbDatabase } from '../../src/sinks/duckdb/database.js';
import { DuckDbSink } from '../../src/sinks/duckdb/sink.js';
import { ingestEvents } from '../../src/transforms/ingest.js';
import { type SegmentBound, WalReader } from '../../src/wal/reader.js';
import { listSegments } from '../../src/wal/segments.js';
import { WalSegmentWriter } from '../../src/wal/writer.js';
import { ADMIN_TOKEN, CLI, WRITE_KEY } from './collector.js';

export const DAY = 24 * 60 * 60 * 1000;
const silent = pino({ level: 'silent' });

/** The WAL lines the collector would write for these events, received at `atMs`. */
export function walLinesOf(events: readonly Record<string, unknown>[], atMs: number, projectId = 'default'): string {
  const meta = { projectId, receivedAtMs: atMs, receivedAt: new Date(atMs).toISOString(), ip: '203.0.113.9', userAgent: null };
  const result = ingestEvents(events, meta, 0, 'batch');
  if (result.rejected.length > 0) throw new Error(`test events rejected: ${JSON.stringify(result.rejected)}`);
  return result.lines;
}

/**
 * Appends lines to the WAL as a writer whose clock says `atMs`: they land in that UTC day's
 * folder (a new segment when the day differs from the last segment's).
 */
export async function appendWalAt(dataDir: string, atMs: number, lines: string, maxSegmentBytes = 64 * 1024 * 1024): Promise<void> {
  const wal = await WalSegmentWriter.open({ dir: dataPaths(dataDir).wal, maxSegmentBytes, maxSegmentAgeMs: 7 * DAY, now: () => atMs });
  try {
    await wal.append(lines);
  } finally {
    await wal.close();
  }
}

/** Writes events received at `atMs` to the WAL (see appendWalAt). */
export async function writeEventsAt(
  dataDir: string,
  atMs: number,
  events: readonly Record<string, unknown>[],
  opts: { projectId?: string; maxSegmentBytes?: number } = {},
): Promise<void> {
  await appendWalAt(dataDir, atMs, walLinesOf(events, atMs, opts.projectId), opts.maxSegmentBytes);
}

/** Loads the WAL into the data folder's DuckDB file with the real loader; `bound` limits what it may read. */
export async function loadWal(dataDir: string, bound?: SegmentBound): Promise<void> {
  const paths = dataPaths(dataDir);
  const db = new DuckDbDatabase({ path: paths.duckdb, memoryLimit: '256MB', threads: 1 });
  const sink = new DuckDbSink(db, paths.scratch);
  const loader = new WalLoader(new WalReader(paths.wal, bound), sink, { ...LOADER_DEFAULTS, quarantineFile: paths.quarantine }, silent);
  try {
    await loader.drain();
  } finally {
    await sink.close();
    db.close();
  }
}

/** Runs the `footprint` CLI as a child process. */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, FOOTPRINT_WRITE_KEY: WRITE_KEY, FOOTPRINT_ADMIN_TOKEN: ADMIN_TOKEN, FOOTPRINT_DUCKDB_MEMORY: '256MB', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    p.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    p.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Every file under `dir`, recursively, relative paths sorted. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(dir, p));
    }
  }
  await walk(dir);
  return out.sort();
}

/** sha256 of every file under `dir`, by relative path. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of await filesUnder(dir))
    out[f] = createHash('sha256')
      .update(await readFile(join(dir, f)))
      .digest('hex');
  return out;
}

/** Files under `dir` whose bytes contain any of the needles (gzip files are searched decompressed too). */
export async function filesContaining(dir: string, needles: readonly string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const f of await filesUnder(dir)) {
    const raw = await readFile(join(dir, f));
    const texts = [raw];
    if (f.endsWith('.gz')) texts.push(gunzipSync(raw));
    if (needles.some((n) => texts.some((t) => t.includes(Buffer.from(n))))) hits.push(f);
  }
  return hits;
}

/** The lines of every WAL segment, in order, as text (with their newline). */
export async function walLines(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const seg of await listSegments(dataPaths(dataDir).wal)) out.push(...splitLines(await readFile(seg.path)));
  return out;
}

/** Splits a buffer into its lines (each keeps its "\n"). */
export function splitLines(buf: Buffer): string[] {
  const text = buf.toString('utf8');
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl + 1;
    out.push(text.slice(start, end));
    start = end;
  }
  return out;
}
