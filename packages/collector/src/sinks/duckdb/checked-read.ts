/**
 * Reads of integers the loader acts on (its checkpoint, the dedup pass's match count), each
 * proved whole by a checksum column computed in the same query. Values read back from the
 * client library were seen corrupted under memory pressure (see event-store.ts): a misread
 * checkpoint would load the wrong lines, and a misread 0 matches would skip the exact dedup
 * comparison and store a duplicate. A read that does not add up is tried again, then refused.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { SinkUnavailableError } from '../sink.js';

const MULTIPLIER = 1000003;
const ATTEMPTS = 5;

/**
 * `SELECT a, b, a * 1000003 + b <rest>`, all as text (exact for BIGINT, whatever the client's number types).
 * @example checkedPairSql('seq', '"offset"', 'FROM checkpoint WHERE id = 1')
 */
export function checkedPairSql(a: string, b: string, rest: string): string {
  return `SELECT (${a})::VARCHAR, (${b})::VARCHAR, ((${a}) * ${MULTIPLIER} + (${b}))::VARCHAR ${rest}`;
}

/**
 * Runs a query made by `checkedPairSql` until a read adds up; undefined when it returns no row.
 * @param what names the value in the error (`the loader checkpoint`).
 */
export async function readCheckedPair(conn: DuckDBConnection, sql: string, what: string): Promise<[number, number] | undefined> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const row = (await conn.runAndReadAll(sql)).getRows()[0];
    if (!row) return undefined;
    const [a, b, check] = row.map((v) => Number(v));
    if (
      a !== undefined &&
      b !== undefined &&
      Number.isSafeInteger(a) &&
      Number.isSafeInteger(b) &&
      Number.isSafeInteger(check) &&
      a * MULTIPLIER + b === check
    ) {
      return [a, b];
    }
  }
  throw new SinkUnavailableError(`${what} could not be read consistently`);
}
