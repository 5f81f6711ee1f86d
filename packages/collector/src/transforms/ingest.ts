/**
 * The transform chain of one request: validate → enrich, per event. Invalid events are
 * rejected one by one (the rest of a batch still goes through); accepted events become WAL
 * lines, serialized once here and never again on the way to disk.
 */
import { formatBytes, LIMITS, type ValidationIssue, validateEvent } from '@footprint/schema';
import type { StoredRow } from '../model/row.js';
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
export function ingestEvents(events: readonly unknown[], meta: RequestMeta, bodyBytes: number, prefix: string): IngestResult {
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
    if (measure && Buffer.byteLength(JSON.stringify(raw)) > LIMITS.maxEventBytes) {
      rejected.push({
        index: i,
        code: 'event_too_large',
        path: at,
        message: `${at || 'the event'} is larger than ${formatBytes(LIMITS.maxEventBytes)} (limit maxEventBytes)`,
      });
      continue;
    }
    const row: StoredRow = toRow(result.event, meta);
    lines += `${JSON.stringify(row)}\n`;
    accepted++;
  }
  return { lines, accepted, rejected };
}
