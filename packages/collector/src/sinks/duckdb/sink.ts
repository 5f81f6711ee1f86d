/**
 * DuckDbSink: loads WAL lines into the embedded DuckDB file. The lines are handed to DuckDB's
 * own JSON reader (read_json over a scratch file), so no row is converted value by value in
 * JavaScript; the insert and the checkpoint update commit in one transaction. Each
 * (project_id, id) is stored once: within a chunk, and against the rows received in the
 * dedup window before it (schema.ts says why this is not a primary key).
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { WalPosition } from '../../wal/segments.js';
import { type LoadResult, type Sink, SinkUnavailableError, UnloadableLineError } from '../sink.js';
import { checkedPairSql, readCheckedPair } from './checked-read.js';
import type { DuckDbDatabase } from './database.js';
import {
  CHECKPOINT_TABLE,
  chunkCopiesCountSql,
  chunkCopiesToFileSql,
  dedupSinceSql,
  dropChunkSql,
  dropTableSql,
  insertChunkSql,
  stageChunkSql,
  storedCopiesToFileSql,
  windowMatchesSql,
} from './schema.js';
import { prepareScratch } from './scratch.js';

/** DuckDB's text form of a TIMESTAMP. */
const TIMESTAMP_TEXT = /^-?\d{4,}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?$/;

/**
 * DuckDB's errors that a chunk's own lines cause (malformed JSON, a value of the wrong type):
 * the loader then looks for the lines and sets them aside. Any other error (I/O, memory, an
 * interrupted or failed transaction, a missing table) is the database's, not the data's:
 * the chunk is tried again later, whole.
 */
const DATA_ERROR = /^(Invalid Input|Conversion|Constraint) Error\b/;

/** The rows of a JSON-lines file DuckDB wrote (an empty file: none). */
async function jsonLines(file: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(file, 'utf8');
  return text === ''
    ? []
    : text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function refusalOrOutage(err: unknown): Error {
  if (err instanceof SinkUnavailableError || err instanceof UnloadableLineError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (DATA_ERROR.test(message)) return err as Error;
  return new SinkUnavailableError(`the database could not take a chunk: ${message}`, { cause: err });
}

/** How far back a resent event id is looked for, by default. */
export const DEFAULT_DEDUP_WINDOW_MS = 24 * 3600 * 1000;

/** The longest pause between two reopenings of a database that keeps failing. */
export const REOPEN_MAX_MS = 30_000;

export class DuckDbSink implements Sink {
  private conn: DuckDBConnection | undefined;
  private seqNo = 0;
  /** Set when a load failed in DuckDB itself: open() then opens the file afresh (see reopen()). */
  private failedInDatabase = false;
  private reopenedAt = Number.NEGATIVE_INFINITY;
  private reopenDelayMs = 0;

  /**
   * @param scratchDir where chunks are staged for DuckDB's reader; emptied as it goes.
   * @param dedupWindowMs how long before a chunk's first row an id already stored makes a row a duplicate.
   */
  constructor(
    private readonly db: DuckDbDatabase,
    private readonly scratchDir: string,
    private readonly dedupWindowMs = DEFAULT_DEDUP_WINDOW_MS,
  ) {}

  async open(): Promise<void> {
    if (this.conn) return;
    await prepareScratch(this.scratchDir);
    if (this.failedInDatabase && Date.now() - this.reopenedAt >= this.reopenDelayMs) {
      // DuckDB holds its log file open: after a failed write (a full disk) every commit fails
      // until the file is opened again. The first failure reopens at once; while failures go
      // on, the pauses double from 1 s to REOPEN_MAX_MS, since each opening replays DuckDB's log.
      this.reopenedAt = Date.now();
      this.reopenDelayMs = Math.min(Math.max(1_000, this.reopenDelayMs * 2), REOPEN_MAX_MS);
      await this.db.reopen();
    }
    this.conn = await this.db.connect();
  }

  private connection(): DuckDBConnection {
    if (!this.conn) throw new SinkUnavailableError('the DuckDB sink is not open');
    return this.conn;
  }

  async checkpoint(): Promise<WalPosition> {
    // The position decides what is loaded next: read with a checksum (checked-read.ts).
    const pair = await readCheckedPair(
      this.connection(),
      checkedPairSql('seq', '"offset"', `FROM ${CHECKPOINT_TABLE} WHERE id = 1`),
      'the loader checkpoint',
    );
    return pair ? { seq: pair[0], offset: pair[1] } : { seq: 0, offset: 0 };
  }

  async load(ndjson: Buffer, to: WalPosition): Promise<LoadResult> {
    const conn = this.connection();
    const file = join(this.scratchDir, `chunk-${process.pid}-${this.seqNo++}.jsonl`);
    try {
      // Made again if it went away (someone emptied data/tmp).
      await mkdir(this.scratchDir, { recursive: true });
      await writeFile(file, ndjson);
    } catch (err) {
      // A part written before the disk filled holds event data: it must not stay behind.
      await rm(file, { force: true }).catch(() => undefined);
      throw new SinkUnavailableError(`a chunk could not be staged in ${this.scratchDir}: ${(err as Error).message}`, { cause: err });
    }
    try {
      await conn.run('BEGIN TRANSACTION');
      try {
        await conn.run(stageChunkSql(file));
        const [since, staged] = (await conn.runAndReadAll(dedupSinceSql(this.dedupWindowMs))).getRows()[0] ?? [];
        if (since === null && Number(staged) > 0) {
          // Lines without received_at: refused like any unloadable line (the loader sets them aside).
          throw new UnloadableLineError('a WAL line has no received_at');
        }
        if (since != null && (typeof since !== 'string' || !TIMESTAMP_TEXT.test(since))) {
          throw new SinkUnavailableError(`the dedup window of a chunk could not be read (got ${String(since).slice(0, 40)})`);
        }
        // A constant, not a subquery: DuckDB then skips the row groups received before it.
        let inserted = 0;
        if (since != null) {
          // Exact comparison of the ids only when a digest in the window matches one of the chunk's.
          const [copies] = await this.readCount(conn, chunkCopiesCountSql, 'the copies in a chunk');
          if (copies > 0) await this.dropCopies(conn, since);
          const [matches] = await this.readCount(conn, windowMatchesSql(since), 'the dedup pass of a chunk');
          inserted = Number((await conn.run(insertChunkSql(since, this.dedupWindowMs, matches > 0, copies > 0))).rowsChanged);
        }
        await conn.run(dropChunkSql);
        await this.setCheckpoint(conn, to);
        await conn.run('COMMIT');
        this.failedInDatabase = false;
        this.reopenDelayMs = 0;
        return { inserted };
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        const error = refusalOrOutage(err);
        if (error instanceof SinkUnavailableError && !(err instanceof SinkUnavailableError)) {
          // DuckDB's own failure (not a misread this sink noticed): the loader retries after
          // open(), on a fresh instance.
          this.failedInDatabase = true;
          this.conn = undefined;
          try {
            conn.closeSync();
          } catch {
            // Already unusable; the instance is closed on reopen.
          }
        }
        throw error;
      }
    } finally {
      await rm(file, { force: true });
    }
  }

  /**
   * Decides the chunk's own copies of an id (rare: a client resending): walks them in file
   * order and drops a copy when a kept one (stored before, or kept earlier in the chunk) was
   * received within the window before it. That is the rule rows of different chunks meet, so
   * where the WAL is cut into chunks changes nothing: replay, with its large chunks, stores
   * what live loading stored. One pass over the copies, however many there are; the values
   * come through files DuckDB writes, and the rowids to drop go back the same way.
   */
  private async dropCopies(conn: DuckDBConnection, since: string): Promise<void> {
    const base = join(this.scratchDir, `copies-${process.pid}-${this.seqNo++}`);
    const [copiesFile, storedFile, dropFile] = [`${base}-rows.json`, `${base}-stored.json`, `${base}-drop.json`];
    try {
      await conn.run(chunkCopiesToFileSql(copiesFile));
      await conn.run(storedCopiesToFileSql(since, storedFile));
      const last = new Map<string, number>();
      for (const row of await jsonLines(storedFile)) {
        if (typeof row.last !== 'number' || !Number.isSafeInteger(row.last))
          throw new SinkUnavailableError('the copies in a chunk could not be read back');
        last.set(JSON.stringify([row.p, row.i]), row.last);
      }
      const drop: string[] = [];
      // In microseconds, clamped as the SQL's window is.
      const window = Math.max(0, Math.floor(this.dedupWindowMs)) * 1000;
      for (const row of await jsonLines(copiesFile)) {
        const key = JSON.stringify([row.p, row.i]);
        const t = row.t;
        const kept = last.get(key);
        if (typeof t !== 'number' || !Number.isSafeInteger(t) || typeof row.rid !== 'string' || !/^\d{1,20}$/.test(row.rid)) {
          throw new SinkUnavailableError('the copies in a chunk could not be read back');
        }
        if (kept === undefined || kept < t - window) last.set(key, kept === undefined ? t : Math.max(kept, t));
        else drop.push(row.rid);
      }
      if (drop.length > 0) {
        await writeFile(dropFile, drop.map((rid) => `{"rid":${rid}}\n`).join(''));
        await conn.run(dropTableSql(dropFile));
      } else {
        await conn.run(dropTableSql());
      }
    } finally {
      for (const f of [copiesFile, storedFile, dropFile]) await rm(f, { force: true });
    }
  }

  /** A count the dedup acts on, proved whole: skipping a step on a misread 0 would store a duplicate. */
  private async readCount(conn: DuckDBConnection, sql: string, what: string): Promise<[number, number]> {
    const read = await readCheckedPair(conn, sql, what);
    if (!read) throw new SinkUnavailableError(`${what} returned no row`);
    return read;
  }

  async advance(to: WalPosition): Promise<void> {
    await this.setCheckpoint(this.connection(), to);
  }

  private async setCheckpoint(conn: DuckDBConnection, to: WalPosition): Promise<void> {
    await conn.run(`UPDATE ${CHECKPOINT_TABLE} SET seq = $seq, "offset" = $offset, updated_at = now()::TIMESTAMP WHERE id = 1`, {
      seq: to.seq,
      offset: to.offset,
    });
  }

  async walId(): Promise<string | undefined> {
    const row = (await this.connection().runAndReadAll(`SELECT wal_id FROM ${CHECKPOINT_TABLE} WHERE id = 1`)).getRows()[0];
    const id = row?.[0];
    return typeof id === 'string' && id !== '' ? id : undefined;
  }

  async adoptWal(id: string, at: WalPosition): Promise<void> {
    await this.connection().run(
      `UPDATE ${CHECKPOINT_TABLE} SET seq = $seq, "offset" = $offset, wal_id = $id, updated_at = now()::TIMESTAMP WHERE id = 1`,
      { seq: at.seq, offset: at.offset, id },
    );
  }

  async ping(): Promise<boolean> {
    try {
      await this.connection().run('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.conn?.closeSync();
    this.conn = undefined;
  }
}
