/**
 * The scratch folder (data/tmp), where chunks are staged for DuckDB's JSON reader and read
 * pages are written by DuckDB: files of one process, named `chunk-<pid>-<n>.jsonl` and
 * `page-<pid>-<n>.json`, each removed as soon as it is read. A process killed meanwhile
 * leaves its file behind (`copies-<pid>-<n>-*.json` too, the loader's walk of repeated ids), full of event data (and out of reach of erasure): the next one to
 * use the folder removes what dead processes left.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

const SCRATCH_FILE = /^(?:chunk|page|copies)-(\d+)-\d+(?:-[a-z]+)?\.jsonl?$/;

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Makes the folder, and removes the scratch files of processes that are gone. */
export async function prepareScratch(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const name of await readdir(dir)) {
    const pid = Number(SCRATCH_FILE.exec(name)?.[1]);
    if (pid > 0 && !alive(pid)) await rm(join(dir, name), { force: true });
  }
}
