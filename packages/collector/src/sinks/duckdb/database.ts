/**
 * DuckDbDatabase: the one DuckDB instance of the process (DuckDB allows one writer process
 * per file). It opens lazily and can be retried: if another process holds the file's lock,
 * ingestion goes on into the WAL and the loader retries until the file is free.
 *
 * `compact()` rewrites the file into a fresh one: DuckDB keeps the values of deleted rows in
 * free blocks of the file, so an erasure is complete only once the file is rewritten.
 */
import { open as openFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { syncDir } from '../../wal/segments.js';
import { SinkUnavailableError } from '../sink.js';
import { addIdHashSql, createEventsTableSql, dropPrimaryKeySql, hasIdHashSql, hasPrimaryKeySql, literal } from './schema.js';

/** How much DuckDB's own log may hold before it folds it into the file (see create()). */
export const CHECKPOINT_THRESHOLD = '64MiB';

export interface DuckDbOptions {
  path: string;
  /** DuckDB memory_limit, e.g. "512MB". */
  memoryLimit: string;
  threads: number;
  /** DuckDB checkpoint_threshold; CHECKPOINT_THRESHOLD unless a benchmark compares another. */
  checkpointThreshold?: string;
  /** Open the file read-only and write nothing, not even the schema (reports, dry runs). */
  readOnly?: boolean;
}

export class DuckDbDatabase {
  private instance: DuckDBInstance | undefined;
  private opening: Promise<DuckDBInstance> | undefined;
  /** Connections lent by use() and not yet returned. */
  private borrowed = 0;
  private idleWaiters: Array<() => void> = [];
  /** Set while compact() swaps the file: use() and connect() wait for it. */
  private swapping: Promise<void> | undefined;

  /** How many times the file was opened (more than once: reopened after failures, or compacted). */
  opens = 0;

  constructor(readonly opts: DuckDbOptions) {}

  isOpen(): boolean {
    return this.instance !== undefined;
  }

  /** Opens the file (creating the schema) or throws SinkUnavailableError. */
  async open(): Promise<DuckDBInstance> {
    if (this.instance) return this.instance;
    this.opening ??= this.create().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async create(): Promise<DuckDBInstance> {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(this.opts.path, {
        memory_limit: this.opts.memoryLimit,
        threads: String(this.opts.threads),
        // DuckDB checkpoints when its own log reaches this size, and each checkpoint
        // recompresses the table's last, partly filled row group whole. At DuckDB's default
        // (16 MB, about one 16 MB chunk of WAL lines) that happened on nearly every commit;
        // 64 MiB made loading cost a fifth to a third less CPU per event (docs/BENCHMARKS.md).
        // Footprint's WAL is what makes events durable; DuckDB's log only has to be replayed
        // on the next open.
        checkpoint_threshold: this.opts.checkpointThreshold ?? CHECKPOINT_THRESHOLD,
        // Everything needed (json) is built in; never reach out to download extensions.
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'false',
        ...(this.opts.readOnly ? { access_mode: 'READ_ONLY' } : {}),
      });
    } catch (err) {
      throw new SinkUnavailableError(`cannot open DuckDB file ${this.opts.path}: ${(err as Error).message}`, { cause: err });
    }
    this.opens++;
    if (this.opts.readOnly) {
      this.instance = instance;
      return instance;
    }
    const conn = await instance.connect();
    try {
      await conn.run(createEventsTableSql());
      // Files made by earlier versions: drop the key (its index outgrows memory), add id_hash.
      const count = async (sql: string) => Number((await conn.runAndReadAll(sql)).getRows()[0]?.[0]);
      const migration =
        (await count(hasPrimaryKeySql)) > 0 ? dropPrimaryKeySql() : (await count(hasIdHashSql)) === 0 ? addIdHashSql() : undefined;
      if (migration) {
        await conn.run('BEGIN TRANSACTION');
        try {
          await conn.run(migration);
          await conn.run('COMMIT');
        } catch (err) {
          await conn.run('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }
    } catch (err) {
      conn.closeSync();
      instance.closeSync();
      throw new SinkUnavailableError(
        `cannot prepare the tables of ${this.opts.path}: ${(err as Error).message}. Events stay in the WAL and loading is retried; ` +
          'if this persists, stop the collector, move the file aside and run `footprint replay` to rebuild it from the WAL',
        { cause: err },
      );
    }
    conn.closeSync();
    this.instance = instance;
    return instance;
  }

  /** A connection the caller keeps and closes itself (the loader's sink). */
  async connect(): Promise<DuckDBConnection> {
    while (this.swapping) await this.swapping;
    return (await this.open()).connect();
  }

  /** Runs `fn` on a fresh connection and closes it after; compact() waits for these. */
  async use<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    while (this.swapping) await this.swapping;
    this.borrowed++;
    let conn: DuckDBConnection | undefined;
    try {
      conn = await (await this.open()).connect();
      return await fn(conn);
    } finally {
      conn?.closeSync();
      if (--this.borrowed === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /**
   * Rewrites the database into a fresh file, so that nothing of deleted rows is left in free
   * blocks, and swaps it in: copy to `<file>.compact` (all tables, keys and the loader
   * checkpoint), fsync, wait for borrowed connections, close, rename over the file, fsync the
   * folder. A crash before the rename leaves the old file (a rerun compacts again); after it,
   * the new one. The caller closes any connection it keeps (the sink's) beforehand and
   * writes nothing meanwhile.
   */
  async compact(): Promise<void> {
    const path = this.opts.path;
    const tmp = `${path}.compact`;
    await rm(tmp, { force: true });
    await rm(`${tmp}.wal`, { force: true });
    await this.use(async (conn) => {
      await conn.run('CHECKPOINT');
      const name = String((await conn.runAndReadAll('SELECT current_database()')).getRows()[0]?.[0]);
      await conn.run(`ATTACH ${literal(tmp)} AS fp_compact`);
      try {
        await conn.run(`COPY FROM DATABASE "${name.replace(/"/g, '""')}" TO fp_compact`);
        await conn.run('CHECKPOINT fp_compact');
      } finally {
        await conn.run('DETACH fp_compact');
      }
    });
    await rm(`${tmp}.wal`, { force: true });
    const fh = await openFile(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.swap(async () => {
      // The old file's own log was checkpointed into the copy; it must not be replayed onto it.
      await rm(`${path}.wal`, { force: true });
      await rename(tmp, path);
      await syncDir(dirname(path));
    });
  }

  /**
   * Closes the instance, so that the next open() opens the file afresh. DuckDB keeps its log
   * file open, and once a write to it failed (a full disk), every later commit fails too,
   * even after space was freed, until the file is opened again. Waits for borrowed
   * connections as compact() does; the caller closes any connection it keeps beforehand.
   */
  async reopen(): Promise<void> {
    const instance = this.instance;
    if (instance) {
      // Closing would otherwise fold up to CHECKPOINT_THRESHOLD of log into the file, on the
      // event loop (closeSync); the next open replays the log instead.
      try {
        const conn = await instance.connect();
        try {
          await conn.run('PRAGMA disable_checkpoint_on_shutdown');
        } finally {
          conn.closeSync();
        }
      } catch {
        // A broken instance may refuse even that; it is closed all the same.
      }
    }
    await this.swap(async () => undefined);
  }

  /** Waits for borrowed connections, closes the instance and runs `fn` while use() and connect() wait. */
  private async swap(fn: () => Promise<void>): Promise<void> {
    while (this.swapping) await this.swapping;
    let release = (): void => undefined;
    this.swapping = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      while (this.borrowed > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      this.close();
      await fn();
    } finally {
      this.swapping = undefined;
      release();
    }
  }

  close(): void {
    const instance = this.instance;
    this.instance = undefined;
    try {
      instance?.closeSync();
    } catch {
      // Closing checkpoints; on a failing disk that can fail. The file is as the last commit left it.
    }
  }
}
