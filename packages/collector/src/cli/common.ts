/** What the offline commands (replay, retention, erase) share. */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import cliProgress from 'cli-progress';
import { claimDataDir } from '../app.js';
import type { Settings } from '../projects/settings.js';
import { fileSize } from '../wal/segments.js';

/**
 * Fails with a clear message when a running collector holds the database (DuckDB allows
 * one process per file). `todo` says what to do instead.
 */
export async function assertNotInUse(path: string, todo: string, access: 'READ_WRITE' | 'READ_ONLY' = 'READ_WRITE'): Promise<void> {
  if ((await fileSize(path)) === 0) return;
  try {
    const probe = await DuckDBInstance.create(path, { access_mode: access });
    probe.closeSync();
  } catch (err) {
    throw new Error(`${path} is in use (${(err as Error).message.split('\n')[0]}); ${todo}`, { cause: err });
  }
}

/** Fails on a data folder that does not exist (a mistyped --data-dir) instead of making one. */
export async function assertDataDir(dataDir: string): Promise<void> {
  const isDir = await stat(dataDir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new Error(`${dataDir} is not a data folder (it does not exist)`);
}

/**
 * Runs `fn` holding the data folder's lock (as a running collector does), so that a
 * collector cannot start on the folder meanwhile, nor this run while one works on it. A
 * folder that does not exist is an error (a mistyped --data-dir), not made.
 */
export async function withDataDir<T>(dataDir: string, todo: string, fn: () => Promise<T>): Promise<T> {
  await assertDataDir(dataDir);
  const claim = await claimDataDir(dataDir, todo);
  try {
    return await fn();
  } finally {
    await claim.release();
  }
}

/** Projects named in keys.json (read only; nothing is generated) and in the settings. */
export async function configuredProjectsOffline(dataDir: string, settings: Pick<Settings, 'file'>): Promise<string[]> {
  const ids = new Set(Object.keys(settings.file.projects ?? {}));
  try {
    const file = JSON.parse(await readFile(join(dataDir, 'keys.json'), 'utf8')) as { projects?: Array<{ id?: unknown }> };
    for (const p of file.projects ?? []) if (typeof p.id === 'string') ids.add(p.id);
  } catch {
    // No keys file yet: only the settings name projects.
  }
  return [...ids];
}

/** A progress bar on stderr, or undefined when there is no terminal to draw on. */
export function progressBar(label: string, enabled: boolean): cliProgress.SingleBar | undefined {
  if (!enabled) return undefined;
  return new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total} MB | eta {eta}s`, hideCursor: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
}

export const megabytes = (b: number): number => Math.round((b / 1048576) * 10) / 10;
