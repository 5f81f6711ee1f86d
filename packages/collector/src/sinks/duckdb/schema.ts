/**
 * DuckDB dialect of the `events` table: the logical columns of model/columns.ts mapped to
 * DuckDB types, plus the loader's checkpoint table. The same column list drives the
 * read_json() projection used to load WAL lines, so the WAL and the table cannot drift.
 */
import { COLUMNS, type LogicalType } from '../../model/columns.js';

const DUCK_TYPE: Record<LogicalType, string> = {
  text: 'VARCHAR',
  timestamp: 'TIMESTAMP',
  integer: 'INTEGER',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  json: 'JSON',
};

export const CHECKPOINT_TABLE = 'footprint_loader_checkpoint';

export function createEventsTableSql(): string {
  const cols = COLUMNS.map((c) => `  "${c.name}" ${DUCK_TYPE[c.type]}${c.notNull ? ' NOT NULL' : ''}`);
  const key = COLUMNS.filter((c) => c.key).map((c) => `"${c.name}"`);
  return `CREATE TABLE IF NOT EXISTS events (\n${cols.join(',\n')},\n  PRIMARY KEY (${key.join(', ')})\n);
CREATE TABLE IF NOT EXISTS ${CHECKPOINT_TABLE} (id INTEGER PRIMARY KEY, seq BIGINT NOT NULL, "offset" BIGINT NOT NULL, updated_at TIMESTAMP NOT NULL);
INSERT OR IGNORE INTO ${CHECKPOINT_TABLE} VALUES (1, 0, 0, now()::TIMESTAMP);`;
}

/** `INSERT OR IGNORE ... SELECT ... FROM read_json(<file>)` for one file of WAL lines. */
export function loadFileSql(file: string): string {
  const columns = COLUMNS.map((c) => `"${c.name}": '${DUCK_TYPE[c.type]}'`).join(', ');
  const names = COLUMNS.map((c) => `"${c.name}"`).join(', ');
  const path = file.replace(/'/g, "''");
  return `INSERT OR IGNORE INTO events (${names}) SELECT ${names} FROM read_json('${path}', format = 'newline_delimited', records = true, columns = {${columns}}, maximum_object_size = 1048576)`;
}
