/**
 * The transform chain of one request: validate → enrich → mask, per event. Invalid events are
 * rejected one by one (the rest of a batch still goes through); accepted events become WAL
 * lines, serialized once here and never again on the way to disk.
 */
import { formatBytes, LIMITS, type ValidationIssue, validateEvent } from '@footprint/schema';
import type { StoredRow } from '../model/row.js';
import { serializeRow } from '../model/serialize.js';
import { errorFingerprint } from './enrich/error-fingerprint.js';
import type { RowMasker } from './mask.js';
import { type RequestMeta, toRow } from './to-row.js';

export interface Rejection {
  index: number;
  code: ValidationIssue['code'] | 'event_too_large';
  message: string;
  path: string;
}

export interface IngestResult {
  /** The accepted events as JSON lines, ready for the WAL. */
  lines: string;
  accepted: number;
  rejected: Rejection[];
}

function tooLarge(index: number, at: string): Rejection {
  return {
    index,
    code: 'event_too_large',
    path: at,
    message: `${at || 'the event'} is larger than ${formatBytes(LIMITS.maxEventBytes)} (limit maxEventBytes)`,
  };
}

/** Keeps error texts short when a hostile key or value would make them huge. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/**
 * Validates and enriches the events of one request.
 * @param bodyBytes size of the decoded body; events are measured one by one only when the
 *   whole body could hold one over the per-event limit.
 * @param prefix path prefix for errors (`batch` for batches, empty for single events).
 */
export function ingestEvents(
  events: readonly unknown[],
  meta: RequestMeta,
  bodyBytes: number,
  prefix: string,
  mask?: RowMasker,
): IngestResult {
  const measure = bodyBytes > LIMITS.maxEventBytes;
  const rejected: Rejection[] = [];
  let lines = '';
  let accepted = 0;
  for (let i = 0; i < events.length; i++) {
    const at = prefix === '' ? '' : `${prefix}[${i}]`;
    const raw = events[i];
    // Validate before measuring: validation bounds nesting depth without recursion, while
    // JSON.stringify recurses and would overflow the stack on a hostile, deeply nested event.
    const result = validateEvent(raw);
    if (!result.ok) {
      const path = at === '' ? result.issue.path : result.issue.path === '' ? at : `${at}.${result.issue.path}`;
      const message = at === '' ? result.issue.message : `${at}: ${result.issue.message}`;
      rejected.push({ index: i, code: result.issue.code, path: clip(path, 200), message: clip(message, 400) });
      continue;
    }
    const row: StoredRow = toRow(result.event, meta);
    mask?.(row, meta);
    if (row.type === 'error') {
      row.error_fingerprint = errorFingerprint(row.error_type, row.message, (row.properties as { stack?: unknown } | null)?.stack);
    }
    const line = serializeRow(row);
    // The stored line holds the whole event (less masked-away secrets), so a short line
    // proves the event is under the limit without serializing it again.
    if (measure && line.length * 3 > LIMITS.maxEventBytes && Buffer.byteLength(JSON.stringify(raw)) > LIMITS.maxEventBytes) {
      rejected.push(tooLarge(i, at));
      continue;
    }
    lines += `${line}\n`;
    accepted++;
  }
  return { lines, accepted, rejected };
}
