/**
 * Test support: real collectors on 127.0.0.1 with a real data folder, either in this
 * process (fast, for endpoint tests) or as a child process (for kill -9 and signal tests).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { type CollectorOptions, type RunningCollector, startCollector } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

export const WRITE_KEY = 'test_write_key_1';
export const ADMIN_TOKEN = 'test_admin_token_1';
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export async function tempDataDir(prefix = 'fp-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/**
 * Data directories a suite makes and removes when it ends.
 * @example const dirs = tempDirs(); after(dirs.removeAll); const dir = await dirs.make('fp-x-');
 */
export function tempDirs(): { make: (prefix: string) => Promise<string>; removeAll: () => Promise<void> } {
  const made: string[] = [];
  return {
    make: async (prefix) => {
      const d = await tempDataDir(prefix);
      made.push(d);
      return d;
    },
    removeAll: async () => {
      for (const d of made.splice(0)) await rm(d, { recursive: true, force: true });
    },
  };
}

/**
 * Writes a settings file that keeps client addresses raw (allow-listed), for tests of how
 * the address is chosen; masking itself is tested with the defaults.
 */
export async function rawIpSettings(dir?: string): Promise<string> {
  const where = dir ?? (await tempDataDir('fp-settings-'));
  const file = join(where, 'footprint.config.json');
  const allow = ['ip', 'context.ip', 'properties.ip'];
  await writeFile(file, JSON.stringify({ projects: { default: { privacy: { allow } } } }));
  return file;
}

export interface InProcess extends RunningCollector {
  dataDir: string;
  /** Stops the collector and removes its data folder. */
  dispose(): Promise<void>;
}

/** Starts a collector in this process on a free port. */
export async function startInProcess(env: Record<string, string> = {}, dataDir?: string, options?: CollectorOptions): Promise<InProcess> {
  const dir = dataDir ?? (await tempDataDir());
  const config = loadConfig({
    FOOTPRINT_PORT: '0',
    FOOTPRINT_HOST: '127.0.0.1',
    FOOTPRINT_DATA_DIR: dir,
    FOOTPRINT_WRITE_KEY: WRITE_KEY,
    FOOTPRINT_ADMIN_TOKEN: ADMIN_TOKEN,
    FOOTPRINT_DUCKDB_MEMORY: '256MB',
    ...env,
  });
  const app = await startCollector(config, pino({ level: 'silent' }), options);
  return {
    ...app,
    dataDir: dir,
    async dispose() {
      await app.stop();
      if (!dataDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface ChildCollector {
  url: string;
  proc: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Child processes still running (with whether each leads its own process group), killed when the test file's process exits. */
const live = new Map<ChildProcess, boolean>();
let reaping = false;

/**
 * Kills `proc` (its whole process group when it was spawned `detached`) when this process
 * exits, if it is still running: a test that fails before its own cleanup must not leave a
 * collector or an app running after the run (the runner's --test-force-exit ends the file's
 * process once its tests are done).
 */
export function killOnExit(proc: ChildProcess, group = false): void {
  if (!reaping) {
    reaping = true;
    process.once('exit', () => {
      for (const [p, wholeGroup] of live) {
        try {
          if (wholeGroup && p.pid !== undefined) process.kill(-p.pid, 'SIGKILL');
          else p.kill('SIGKILL');
        } catch {
          // Already gone.
        }
      }
    });
  }
  live.set(proc, group);
  proc.once('exit', () => live.delete(proc));
}

/** Spawns `footprint serve` as its own process and waits until it listens. */
export async function spawnCollector(dataDir: string, env: Record<string, string> = {}): Promise<ChildCollector> {
  const proc = spawn(process.execPath, [CLI, 'serve'], {
    env: {
      ...process.env,
      FOOTPRINT_PORT: '0',
      FOOTPRINT_HOST: '127.0.0.1',
      FOOTPRINT_DATA_DIR: dataDir,
      FOOTPRINT_WRITE_KEY: WRITE_KEY,
      FOOTPRINT_ADMIN_TOKEN: ADMIN_TOKEN,
      FOOTPRINT_DUCKDB_MEMORY: '256MB',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killOnExit(proc);
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`collector did not start:\n${out}`));
    }, 20_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`collector exited before listening:\n${out}`));
    });
  });
  return { url, proc, output: () => out, exited };
}

export const basicAuth = (key = WRITE_KEY): string => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
export const adminAuth = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** POSTs JSON (or raw bytes) with the write key; answers status and parsed body. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = { authorization: basicAuth(), 'content-type': 'application/json' },
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

/** Reads every event matching `query` through the read API, following cursors. */
export async function listAll(url: string, query = ''): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams(query);
    q.set('limit', '10000');
    if (cursor) q.set('cursor', cursor);
    const res = await fetch(`${url}/v1/events?${q}`, { headers: adminAuth });
    if (res.status !== 200) throw new Error(`read API answered ${res.status}: ${await res.text()}`);
    const page = (await res.json()) as { events: any[]; next_cursor: string | null };
    out.push(...page.events);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

/** Polls until `check` returns a value, or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined>, ms = 10_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/** A valid track event with a unique id. */
export function trackEvent(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'track', event: 'Order Completed', messageId: id, anonymousId: `anon-${id}`, properties: { total: 12.5 }, ...extra };
}
