/** Reads a collector's DuckDB file directly (the collector must be stopped). */
import { DuckDBInstance } from '@duckdb/node-api';

/** Every row of `events`, all columns as text, ordered by (project_id, id). */
export async function dumpEvents(path: string): Promise<string[][]> {
  const instance = await DuckDBInstance.create(path);
  try {
    const conn = await instance.connect();
    const cols = await conn.runAndReadAll(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'events' ORDER BY ordinal_position",
    );
    const names = cols.getRows().map((r) => `"${String(r[0])}"::VARCHAR`);
    const reader = await conn.runAndReadAll(`SELECT ${names.join(', ')} FROM events ORDER BY project_id, id`);
    const rows = reader.getRows().map((r) => r.map((v) => (v === null ? 'NULL' : String(v))));
    conn.closeSync();
    return rows;
  } finally {
    instance.closeSync();
  }
}

/** How many times each id is stored. */
export async function idCounts(path: string): Promise<Map<string, number>> {
  const instance = await DuckDBInstance.create(path);
  try {
    const conn = await instance.connect();
    const reader = await conn.runAndReadAll('SELECT id, count(*)::INTEGER FROM events GROUP BY id');
    const out = new Map<string, number>();
    for (const [id, n] of reader.getRows()) out.set(String(id), Number(n));
    conn.closeSync();
    return out;
  } finally {
    instance.closeSync();
  }
}
