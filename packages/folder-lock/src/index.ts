/**
 * Claims a folder for one process with a lock file in it: the Node SDK's outbox folders, and
 * the collector's data folder (two collectors writing one WAL would cut each other's lines).
 *
 * A lock names its owner (`{"pid","host","token"}`) and is refreshed while held. It is
 * abandoned when its owner is a dead process on this host (a crash, a SIGKILL: a restart
 * takes over at once), or, for an owner on another host (a container sharing the volume),
 * when nobody refreshed it for LOCK_STALE_MS.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** Folders claimed by this process, so two clients in one process never share one. */
const claimedHere = new Set<string>();

/** A lock of another host not refreshed for this long is an abandoned one (its owner went away). */
export const LOCK_STALE_MS = 30_000;
/** How often an owner refreshes its lock's modification time. */
const LOCK_REFRESH_MS = 10_000;
const HOST = hostname();

/**
 * Where a pid means this process table: the boot and the pid namespace. Containers that share
 * a host name and a volume (host networking, one pod) see each other's pids as dead, or as
 * their own; a lock of another pid namespace is judged by its age, as another host's is.
 * Undefined where /proc does not tell (not Linux): the host name alone decides, as before.
 */
const PID_SPACE = ((): string | undefined => {
  try {
    return `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}/${readlinkSync('/proc/self/ns/pid')}`;
  } catch {
    return undefined;
  }
})();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What a lock file says: `{"pid","host","space","token"}`, or a bare pid (older locks, which name no pid space: taken as this one). */
function lockOwner(text: string): { pid: number; host: string | undefined; space: string | undefined } {
  try {
    const v = JSON.parse(text) as { pid?: unknown; host?: unknown; space?: unknown };
    if (typeof v === 'object' && v !== null) {
      return {
        pid: Number(v.pid),
        host: typeof v.host === 'string' ? v.host : undefined,
        space: typeof v.space === 'string' ? v.space : PID_SPACE,
      };
    }
  } catch {
    // Not JSON: an older lock holding the pid alone.
  }
  return { pid: Number(text.trim()), host: HOST, space: PID_SPACE };
}

const errCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException)?.code;
/** A file's modification time; now-ish (so: not old) when it cannot be read. */
const mtimeOf = async (path: string): Promise<number> => (await stat(path).catch(() => undefined))?.mtimeMs ?? Number.POSITIVE_INFINITY;

/** A claimed folder: its lock is refreshed while held, and removed on release (if still ours). */
export interface FolderClaim {
  readonly dir: string;
  release(): Promise<void>;
}

export interface ClaimOptions {
  /** The lock file's name in the folder; default `lock`. */
  lockName?: string;
}

/** Who holds a folder's lock, as its file says (undefined: no lock, or not readable). */
export async function lockHolder(
  dir: string,
  { lockName = 'lock' }: ClaimOptions = {},
): Promise<{ pid: number; host: string | undefined } | undefined> {
  const text = await readFile(join(dir, lockName), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : lockOwner(text);
}

/**
 * Takes `dir` for this process unless a live owner (another process, or another client here)
 * holds it. A lock is abandoned when its owner is a dead process on this host (a crash, a
 * SIGKILL: how a restarted process finds the events its predecessor left), or, for an owner
 * on another host (a container sharing the volume), when nobody refreshed it for LOCK_STALE_MS.
 *
 * Both steps are atomic, so processes starting together never share a folder: a new lock is
 * written whole to a file of its own and linked into place (link fails if a lock exists);
 * an abandoned one is taken over by the one process that creates the takeover marker named
 * after it, and only if the lock is still the one judged abandoned.
 */
export async function claimFolder(dir: string, { lockName = 'lock' }: ClaimOptions = {}): Promise<FolderClaim | undefined> {
  if (claimedHere.has(dir)) return undefined;
  // Taken for this process before the first await: two clients opening at once must not both get it.
  claimedHere.add(dir);
  let placed = false;
  try {
    await mkdir(dir, { recursive: true });
    const lock = join(dir, lockName);
    const token = randomUUID();
    const mine = JSON.stringify({ pid: process.pid, host: HOST, space: PID_SPACE, token });
    const tmp = join(dir, `${lockName}.${token}.tmp`);
    await writeFile(tmp, mine);
    try {
      // The file system's own clock (the temp file's time), to judge another host's lock by.
      const now = (await stat(tmp)).mtimeMs;
      placed = await placeLock(lock, tmp, now);
    } finally {
      await unlink(tmp).catch(() => {});
    }
    return placed ? holdLock(dir, lock, mine) : undefined;
  } finally {
    if (!placed) claimedHere.delete(dir);
  }
}

/** Puts the lock file `tmp` in place if there is no lock or an abandoned one; false if a live owner holds it. */
async function placeLock(lock: string, tmp: string, now: number, tries = 2): Promise<boolean> {
  try {
    await link(tmp, lock);
    return true;
  } catch (err) {
    if (errCode(err) !== 'EEXIST') {
      // A file system without hard links: create the lock exclusively, then fill it in (a
      // reader meanwhile sees an empty lock, which counts as held).
      const created = await writeFile(lock, await readFile(tmp), { flag: 'wx' }).then(
        () => true,
        (e: unknown) => {
          if (errCode(e) !== 'EEXIST') throw e;
          return false;
        },
      );
      if (created) return true;
    }
  }
  const seen = await readFile(lock, 'utf8').catch(() => undefined);
  // Released between the two steps: try once more to place a new one.
  if (seen === undefined) return tries > 1 && placeLock(lock, tmp, now, tries - 1);
  const owner = lockOwner(seen);
  // On this host the owner's pid says it all (an owner of an older version never refreshes
  // its lock); elsewhere, only the lock's age can.
  const here = owner.host === HOST && owner.space === PID_SPACE && Number.isInteger(owner.pid) && owner.pid > 0;
  const abandoned = here ? owner.pid === process.pid || !alive(owner.pid) : now - (await mtimeOf(lock)) >= LOCK_STALE_MS;
  if (!abandoned) return false;
  // One taker per abandoned lock: the marker's name comes from the lock's content.
  const marker = `${lock}.takeover-${createHash('sha256').update(seen).digest('hex').slice(0, 16)}`;
  try {
    await writeFile(marker, '', { flag: 'wx' });
  } catch (err) {
    if (errCode(err) !== 'EEXIST') throw err;
    // A taker that died mid-takeover leaves its marker: an old one no longer counts.
    if (now - (await mtimeOf(marker)) < LOCK_STALE_MS) return false;
    await unlink(marker).catch(() => {});
    return false;
  }
  try {
    if ((await readFile(lock, 'utf8').catch(() => undefined)) !== seen) return false;
    await rename(tmp, lock);
    return true;
  } finally {
    await unlink(marker).catch(() => {});
  }
}

function holdLock(dir: string, lock: string, mine: string): FolderClaim {
  const stillMine = async (): Promise<boolean> => (await readFile(lock, 'utf8').catch(() => undefined)) === mine;
  const timer = setInterval(() => {
    void stillMine()
      .then((ok) => (ok ? utimes(lock, new Date(), new Date()) : undefined))
      .catch(() => {});
  }, LOCK_REFRESH_MS);
  timer.unref();
  return {
    dir,
    async release() {
      clearInterval(timer);
      claimedHere.delete(dir);
      if (await stillMine()) await unlink(lock).catch(() => {});
    },
  };
}
