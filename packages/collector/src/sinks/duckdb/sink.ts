/**
 * DuckDbSink: loads WAL lines into the embedded DuckDB file. The lines are handed to DuckDB's
 * own JSON reader (read_json over a scratch file), so no row is converted value by value in
 * JavaScript; the insert and the checkpoint update commit in one transaction. Each
 * (project_id, id) is stored once: within a chunk, and against the rows received in the
 * dedup window before it (schema.ts says why this is not a primary key).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { WalPosition } from '../../wal/segments.js';
import { type LoadResult, type Sink, SinkUnavailableError } from '../sink.js';
import type { DuckDbDatabase } from './database.js';
import { CHECKPOINT_TABLE, dedupSinceSql, dropChunkSql, insertChunkSql, stageChunkSql, windowMatchesSql } from './schema.js';

/** DuckDB's text form of a TIMESTAMP. */
const TIMESTAMP_TEXT = /^-?\d{4,}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?$/;

/** How far back a resent event id is looked for, by default. */
export const DEFAULT_DEDUP_WINDOW_MS = 24 * 3600 * 1000;

export class DuckDbSink implements Sink {
  private conn: DuckDBConnection | undefined;
  private seqNo = 0;

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
    await mkdir(this.scratchDir, { recursive: true });
    this.conn = await this.db.connect();
  }

  private connection(): DuckDBConnection {
    if (!this.conn) throw new SinkUnavailableError('the DuckDB sink is not open');
    return this.conn;
  }

  async checkpoint(): Promise<WalPosition> {
    // Read until two reads agree: the position decides what is loaded next, and values read
    // back from the client library were seen corrupted under memory pressure (see
    // event-store.ts). A checksum column proves each read whole.
    for (let attempt = 0; attempt < 5; attempt++) {
      const reader = await this.connection().runAndReadAll(
        `SELECT seq::VARCHAR, "offset"::VARCHAR, (seq * 1000003 + "offset")::VARCHAR FROM ${CHECKPOINT_TABLE} WHERE id = 1`,
      );
      const row = reader.getRows()[0];
      if (!row) return { seq: 0, offset: 0 };
      const [seq, offset, check] = row.map((v) => Number(v));
      if (
        seq !== undefined &&
        offset !== undefined &&
        Number.isSafeInteger(seq) &&
        Number.isSafeInteger(offset) &&
        seq * 1000003 + offset === check
      ) {
        return { seq, offset };
      }
    }
    throw new SinkUnavailableError('the loader checkpoint could not be read consistently');
  }

  async load(ndjson: Buffer, to: WalPosition): Promise<LoadResult> {
    const conn = this.connection();
    const file = join(this.scratchDir, `chunk-${process.pid}-${this.seqNo++}.jsonl`);
    await writeFile(file, ndjson);
    try {
      await conn.run('BEGIN TRANSACTION');
      try {
        await conn.run(stageChunkSql(file));
        const [since, staged] = (await conn.runAndReadAll(dedupSinceSql(this.dedupWindowMs))).getRows()[0] ?? [];
        if (since === null && Number(staged) > 0) {
          // Lines without received_at: refused like any unloadable line (the loader sets them aside).
          throw new Error('a WAL line has no received_at');
        }
        if (since != null && (typeof since !== 'string' || !TIMESTAMP_TEXT.test(since))) {
          throw new SinkUnavailableError(`the dedup window of a chunk could not be read (got ${String(since).slice(0, 40)})`);
        }
        // A constant, not a subquery: DuckDB then skips the row groups received before it.
        let inserted = 0;
        if (since != null) {
          // Exact comparison of the ids only when a digest in the window matches one of the chunk's.
          // Read with a checksum: skipping the exact comparison on a misread 0 would store a duplicate.
          const [n, check] = ((await conn.runAndReadAll(windowMatchesSql(since))).getRows()[0] ?? []).map(Number);
          const matches = n ?? Number.NaN;
          if (!Number.isSafeInteger(matches) || matches * 1000003 + 17 !== check) {
            throw new SinkUnavailableError('the dedup pass of a chunk could not be read consistently');
          }
          inserted = Number((await conn.run(insertChunkSql(since, this.dedupWindowMs, matches > 0))).rowsChanged);
        }
        await conn.run(dropChunkSql);
        await this.setCheckpoint(conn, to);
        await conn.run('COMMIT');
        return { inserted };
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      await rm(file, { force: true });
    }
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
