// The size of the <script> build as a browser downloads it from the collector, which serves
// it gzip-compressed at the highest level. SIZE_BUDGET_BYTES is the limit `npm test` enforces.
import { readFileSync } from 'node:fs';
import { constants, gzipSync } from 'node:zlib';

export const SCRIPT_FILE = 'dist/fp.js';
export const SIZE_BUDGET_BYTES = 3584;

/** Raw and gzipped (level 9) size of a file in bytes. */
export function gzippedSize(path) {
  const bytes = readFileSync(path);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION }).length };
}
