/**
 * DuckDB dialect of the `events` table: the logical columns of model/columns.ts mapped to
 * DuckDB types, plus the loader's checkpoint table. The same column list drives the
 * read_json() projection used to load WAL lines, so the WAL and the table cannot drift.
 *
 * The table has no PRIMARY KEY. DuckDB keeps a key's index in memory: with the collector's
 * 256 MB memory limit, an index on (project_id, id) stopped every commit at about 2.2 million
 * rows, and each automatic checkpoint rewrote it whole. Loading is idempotent by anti-join
 * instead: a row is inserted only if no row with its (project_id, id) was received within
 * the dedup window before it. A first pass compares 64-bit digests of the ids over the
 * window (windowMatchesSql, `id_hash`, a column of the table but not of the WAL line); the
 * ids themselves are compared only when a digest matches (insertChunkSql). A replayed WAL
 * line has its original received_at, so it always falls inside that window; a client
 * resending an event falls inside it when the resend comes within the window (24 hours by
 * default).
 */
import { COLUMNS, type LogicalType } from '../../model/columns.js';
import { checkedPairSql } from './checked-read.js';

const DUCK_TYPE: Record<LogicalType, string> = {
  text: 'VARCHAR',
  timestamp: 'TIMESTAMP',
  integer: 'INTEGER',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  json: 'JSON',
};

export const CHECKPOINT_TABLE = 'footprint_loader_checkpoint';

/**
 * The 64-bit digest of (project_id, id) that the loader's first dedup pass compares (it is
 * a column of `events`, not of the WAL line). MD5, so the value never changes with the
 * DuckDB version; the project id's length keeps ("a:b", "c") apart from ("a", "b:c"). Equal
 * digests only send a chunk to the exact comparison of the ids, so a collision costs time,
 * never an event.
 */
export function idHashSql(alias = ''): string {
  const p = alias ? `${alias}.` : '';
  return `md5_number_lower(length(${p}"project_id")::VARCHAR || ':' || ${p}"project_id" || ${p}"id")`;
}

const columnsDdl = (): string =>
  `${COLUMNS.map((c) => `  "${c.name}" ${DUCK_TYPE[c.type]}${c.notNull ? ' NOT NULL' : ''}`).join(',\n')},\n  "id_hash" UBIGINT`;

export function createEventsTableSql(): string {
  return `CREATE TABLE IF NOT EXISTS events (\n${columnsDdl()}\n);
CREATE TABLE IF NOT EXISTS ${CHECKPOINT_TABLE} (id INTEGER PRIMARY KEY, seq BIGINT NOT NULL, "offset" BIGINT NOT NULL, updated_at TIMESTAMP NOT NULL);
ALTER TABLE ${CHECKPOINT_TABLE} ADD COLUMN IF NOT EXISTS wal_id VARCHAR;
INSERT OR IGNORE INTO ${CHECKPOINT_TABLE} (id, seq, "offset", updated_at) VALUES (1, 0, 0, now()::TIMESTAMP);`;
}

/** A SQL string literal (a file path, a timestamp's text). */
export const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

const NAMES = COLUMNS.map((c) => `"${c.name}"`).join(', ');
const KEY = COLUMNS.filter((c) => c.key).map((c) => `"${c.name}"`);

/** The scratch table one chunk of WAL lines is staged in before it is inserted. */
export const CHUNK_TABLE = 'fp_load_chunk';

/** Stages one file of WAL lines in a temporary table, in file order (its rowid), with each row's id_hash. */
export function stageChunkSql(file: string): string {
  return `CREATE OR REPLACE TEMP TABLE ${CHUNK_TABLE} AS ${readChunkSql(file)}`;
}

/** The rows of a chunk file as DuckDB's JSON reader reads them: the event columns, then `id_hash`. */
export function readChunkSql(file: string): string {
  const columns = COLUMNS.map((c) => `"${c.name}": '${DUCK_TYPE[c.type]}'`).join(', ');
  return (
    `SELECT ${NAMES}, ${idHashSql()} AS "id_hash" FROM read_json(${literal(file)}, format = 'newline_delimited', ` +
    `records = true, columns = {${columns}}, maximum_object_size = 1048576)`
  );
}

/**
 * Where the dedup window of the staged chunk starts: its earliest received_at minus the
 * window, as text DuckDB parses back exactly, and how many rows are staged (the start is
 * null when no row has a received_at).
 */
export function dedupSinceSql(windowMs: number): string {
  return `SELECT (min("received_at") - to_milliseconds(${Math.max(0, Math.floor(windowMs))}))::VARCHAR, count(*)::INTEGER FROM ${CHUNK_TABLE}`;
}

/**
 * The first dedup pass: how many rows received since `since` have the id_hash of a staged
 * row, with a checksum (checked-read.ts). It reads two fixed-width columns of the window, a third of what comparing the ids
 * themselves costs; nearly always the answer is 0 and the chunk is inserted without the
 * exact comparison.
 */
export function windowMatchesSql(since: string): string {
  return checkedPairSql(
    'count(*)',
    '17',
    `FROM events e WHERE e."received_at" >= TIMESTAMP ${literal(since)} AND e."id_hash" IN (SELECT "id_hash" FROM ${CHUNK_TABLE})`,
  );
}

/** The rows of the staged chunk that copies of the same id, received before them in the window, make duplicates. */
export const DROP_TABLE = 'fp_load_drop';

/** How many id digests the staged chunk holds more than once (with a checksum, checked-read.ts): nearly always 0. */
export const chunkCopiesCountSql = checkedPairSql(
  'count(*)',
  '17',
  `FROM (SELECT "id_hash" FROM ${CHUNK_TABLE} GROUP BY "id_hash" HAVING count(*) > 1)`,
);

const REPEATED = `"id_hash" IN (SELECT "id_hash" FROM ${CHUNK_TABLE} GROUP BY "id_hash" HAVING count(*) > 1)`;

/**
 * Writes the staged rows whose id digest repeats in the chunk to `file` (JSON lines of rowid
 * `rid` as text, `p`roject, `i`d and received_at `t` in epoch microseconds, as the SQL compares), in file order, for the walk in
 * sink.ts. Written by DuckDB itself, like the read API's pages (event-store.ts says why).
 */
export function chunkCopiesToFileSql(file: string): string {
  return (
    // rowid as text: a temporary table's rowids within a transaction are past 2^53.
    // A row without received_at is not walked: the insert refuses it, and the loader sets it aside.
    `COPY (SELECT c.rowid::VARCHAR AS rid, c."project_id" AS p, c."id" AS i, epoch_us(c."received_at") AS t FROM ${CHUNK_TABLE} c ` +
    `WHERE c.${REPEATED} AND c."received_at" IS NOT NULL ORDER BY c.rowid) TO ${literal(file)} (FORMAT json)`
  );
}

/** Writes, for each (project_id, id) repeated in the chunk, the latest received_at stored since `since` to `file`. */
export function storedCopiesToFileSql(since: string, file: string): string {
  return (
    `COPY (SELECT e."project_id" AS p, e."id" AS i, epoch_us(max(e."received_at")) AS last FROM events e ` +
    `JOIN (SELECT DISTINCT "project_id", "id" FROM ${CHUNK_TABLE} WHERE ${REPEATED}) m ON e."project_id" = m."project_id" AND e."id" = m."id" ` +
    `WHERE e."received_at" >= TIMESTAMP ${literal(since)} GROUP BY ALL) TO ${literal(file)} (FORMAT json)`
  );
}

/** Fills DROP_TABLE with the rowids listed in `file` (JSON lines `{"rid":N}`), or leaves it empty without one. */
export function dropTableSql(file?: string): string {
  return file
    ? `CREATE OR REPLACE TEMP TABLE ${DROP_TABLE} AS SELECT rid FROM read_json(${literal(file)}, format = 'newline_delimited', columns = {rid: 'BIGINT'})`
    : `CREATE OR REPLACE TEMP TABLE ${DROP_TABLE} (rid BIGINT)`;
}

/**
 * Inserts the staged rows, in file order. With `copies`, not those listed in DROP_TABLE.
 * With `exact`, only the rows whose (project_id, id) no stored row received in the window
 * before them holds: `since` (the window's start for the chunk's earliest row) is a
 * constant, so DuckDB skips the row groups received before it (their min/max); the per-row
 * bound makes the window the same for every row, however the WAL was cut into chunks.
 */
export function insertChunkSql(since: string, windowMs: number, exact: boolean, copies: boolean): string {
  const match = KEY.map((k) => `e.${k} = c.${k}`).join(' AND ');
  const window = Math.max(0, Math.floor(windowMs));
  const where = [
    copies ? `c.rowid NOT IN (SELECT rid FROM ${DROP_TABLE})` : '',
    exact
      ? `NOT EXISTS (SELECT 1 FROM events e WHERE e."received_at" >= TIMESTAMP ${literal(since)} AND ${match} ` +
        `AND e."received_at" >= c."received_at" - to_milliseconds(${window}))`
      : '',
  ].filter(Boolean);
  return (
    `INSERT INTO events (${NAMES}, "id_hash") SELECT ${NAMES}, "id_hash" FROM ${CHUNK_TABLE} c` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '')
  );
}

export const dropChunkSql = `DROP TABLE IF EXISTS ${CHUNK_TABLE}; DROP TABLE IF EXISTS ${DROP_TABLE}`;

/** 1 when `events` has its id_hash column (files made by earlier versions do not). */
export const hasIdHashSql = `SELECT count(*)::INTEGER FROM duckdb_columns() WHERE table_name = 'events' AND column_name = 'id_hash'`;

/** Adds and fills id_hash (run it in one transaction). */
export function addIdHashSql(): string {
  return `ALTER TABLE events ADD COLUMN "id_hash" UBIGINT;
UPDATE events SET "id_hash" = ${idHashSql()};`;
}

/** True when `events` was created with a primary key (by an earlier version). */
export const hasPrimaryKeySql = `SELECT count(*)::INTEGER FROM duckdb_constraints() WHERE table_name = 'events' AND constraint_type = 'PRIMARY KEY'`;

/** Rebuilds `events` without its primary key, rows in the same order (run it in one transaction). */
export function dropPrimaryKeySql(): string {
  return `CREATE TABLE events_unkeyed (\n${columnsDdl()}\n);
INSERT INTO events_unkeyed SELECT ${NAMES}, ${idHashSql()} FROM events;
DROP TABLE events;
ALTER TABLE events_unkeyed RENAME TO events;`;
}
