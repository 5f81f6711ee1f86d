/**
 * The WAL line of a row, by a serializer compiled once from the column list (the same idea
 * as fast-json-stringify): keys are known, so only values are encoded, and columns without a
 * value are left out of the line (a loader reads a missing key as NULL). About half the
 * bytes and time of JSON.stringify on a typical, sparse row.
 */
import { COLUMNS } from './columns.js';
import type { StoredRow } from './row.js';

export type RowSerializer = (row: StoredRow) => string;

function compile(): RowSerializer {
  const always = new Set(['project_id', 'id', 'type', 'timestamp', 'received_at', 'is_bot']);
  const parts: string[] = ['let s = "{"'];
  let first = true;
  // Fixed columns first, in column order, so every line starts the same way.
  for (const c of COLUMNS.filter((col) => always.has(col.name))) {
    parts.push(`s += ${JSON.stringify(`${first ? '' : ','}"${c.name}":`)} + JSON.stringify(r[${JSON.stringify(c.name)}]);`);
    first = false;
  }
  for (const c of COLUMNS.filter((col) => !always.has(col.name))) {
    const key = JSON.stringify(c.name);
    parts.push(`if (r[${key}] !== null && r[${key}] !== undefined) s += ${JSON.stringify(`,"${c.name}":`)} + JSON.stringify(r[${key}]);`);
  }
  parts.push('return s + "}";');
  return new Function('r', parts.join('\n')) as RowSerializer;
}

/** Serializes a row to one JSON object (no newline). */
export const serializeRow: RowSerializer = compile();
