/**
 * The WAL line of a row, by a serializer compiled once from the column list (the same idea
 * as fast-json-stringify): keys are known, so only values are encoded, and columns without a
 * value are left out of the line (a loader reads a missing key as NULL). Text made only of
 * printable ASCII other than `"` and `\\` is written between quotes as it is: JSON.stringify
 * would write the same characters, and most values of a row are such text (names, ids,
 * paths, parsed user agents).
 */
import { COLUMNS } from './columns.js';
import type { StoredRow } from './row.js';

export type RowSerializer = (row: StoredRow) => string;

/** Text that JSON writes as it is, between quotes: printable ASCII without `"` and `\\`. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** JSON text of a text column's value: quoted as is when plain, else as JSON.stringify writes it. */
export function jsonText(value: unknown): string {
  return typeof value === 'string' && PLAIN.test(value) ? `"${value}"` : JSON.stringify(value);
}

/** Compiles the serializer; `plainText: false` (for benchmarks) encodes every value with JSON.stringify. */
export function compileRowSerializer({ plainText = true } = {}): RowSerializer {
  const encoder = (type: string): string => (plainText && type === 'text' ? 'jsonText' : 'JSON.stringify');
  const always = new Set(['project_id', 'id', 'type', 'timestamp', 'received_at', 'is_bot']);
  const parts: string[] = ['let s = "{"'];
  let first = true;
  // Fixed columns first, in column order, so every line starts the same way.
  for (const c of COLUMNS.filter((col) => always.has(col.name))) {
    parts.push(`s += ${JSON.stringify(`${first ? '' : ','}"${c.name}":`)} + ${encoder(c.type)}(r[${JSON.stringify(c.name)}]);`);
    first = false;
  }
  for (const c of COLUMNS.filter((col) => !always.has(col.name))) {
    const key = JSON.stringify(c.name);
    parts.push(
      `if (r[${key}] !== null && r[${key}] !== undefined) s += ${JSON.stringify(`,"${c.name}":`)} + ${encoder(c.type)}(r[${key}]);`,
    );
  }
  parts.push('return s + "}";');
  return new Function('jsonText', `return (r) => {\n${parts.join('\n')}\n}`)(jsonText) as RowSerializer;
}

/** Serializes a row to one JSON object (no newline). */
export const serializeRow: RowSerializer = compileRowSerializer();
