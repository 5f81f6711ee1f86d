/**
 * Runs the fixture Next.js app (test/fixtures/next-app) with `next dev` as a child process
 * on 127.0.0.1, configured through the environment; each server gets its own build folder,
 * removed when it stops.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RequestLoggingOptions } from '../../src/index.js';
import { freePort, killOnExit, WRITE_KEY } from './harness.js';
import type { RunningApp } from './middleware-contract.js';

export const NEXT_APP = fileURLToPath(new URL('../fixtures/next-app', import.meta.url));
const NEXT_BIN = join(createRequire(import.meta.url).resolve('next/package.json'), '..', 'dist', 'bin', 'next');

/** Options as JSON (regular expressions as {"re": source}); the app's lib/fp.js turns them back. */
function optionsJson(options: Omit<RequestLoggingOptions<unknown>, 'userId'>): string {
  return JSON.stringify({ ...options, ignorePaths: options.ignorePaths?.map((p) => (typeof p === 'string' ? p : { re: p.source })) });
}

export async function startNextApp(endpoint: string, options: Omit<RequestLoggingOptions<unknown>, 'userId'> = {}): Promise<RunningApp> {
  const port = await freePort();
  const distDir = `.next-test-${port}`;
  const proc: ChildProcess = spawn(process.execPath, [NEXT_BIN, 'dev', '--port', String(port), '--hostname', '127.0.0.1'], {
    cwd: NEXT_APP,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NODE_ENV: 'development',
      NEXT_TELEMETRY_DISABLED: '1',
      NEXT_DIST_DIR: distDir,
      FOOTPRINT_ENDPOINT: endpoint,
      FOOTPRINT_WRITE_KEY: WRITE_KEY,
      FOOTPRINT_TEST_OPTIONS: optionsJson(options),
    },
  });
  killOnExit(proc, true);
  let out = '';
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`next dev did not start:\n${out}`)), 60_000);
    const onData = (c: Buffer): void => {
      out += c.toString();
      if (/Ready in/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`next dev exited:\n${out}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      if (proc.pid !== undefined && proc.exitCode === null) {
        try {
          process.kill(-proc.pid, 'SIGTERM');
        } catch {
          // Already gone.
        }
        await exited;
      }
      await rm(join(NEXT_APP, distDir), { recursive: true, force: true });
    },
  };
}
