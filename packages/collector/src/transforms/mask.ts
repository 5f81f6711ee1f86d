/**
 * mask: applies a project's masking engine (@footprint/privacy) to a stored row, before the
 * row is serialized for the WAL, so personal data never reaches disk. Each column has a
 * policy: free text is scanned, identifiers keep joining (emails and phone numbers in them
 * are hashed), the IP column is truncated, JSON columns are walked whole, and columns the
 * collector derived itself (parsed user agent, times, numbers) are left alone.
 */
import type { Masker } from '@footprint/privacy';
import type { ColumnName, StoredRow } from '../model/row.js';
import type { DailyVisitorSalt } from './enrich/visitor-id.js';
import type { RequestMeta } from './to-row.js';

/** Free-text columns: scanned like any text, with their column name as path. */
const TEXT_COLUMNS = [
  'event',
  'message',
  'url',
  'path',
  'title',
  'referrer',
  'route',
  'error_type',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
] as const satisfies readonly ColumnName[];
/** JSON columns: walked whole. */
const TREE_COLUMNS = ['properties', 'traits', 'context', 'extra'] as const satisfies readonly ColumnName[];

export type RowMasker = (row: StoredRow, meta: RequestMeta) => void;

export interface RowMaskerOptions {
  masker: Masker;
  /** Gives events without anonymousId or userId a daily visitor id. */
  cookielessVisitorId?: DailyVisitorSalt | undefined;
}

export function createRowMasker({ masker, cookielessVisitorId }: RowMaskerOptions): RowMasker {
  return (row, meta) => {
    if (cookielessVisitorId && row.anonymous_id === null && row.user_id === null && meta.ip) {
      row.anonymous_id = cookielessVisitorId.visitorId(meta.receivedAtMs, meta.projectId, meta.ip, row.user_agent ?? '');
    }
    for (const column of TEXT_COLUMNS) {
      const v = row[column];
      if (v !== null) row[column] = masker.text(v, row.type, column) ?? null;
    }
    if (row.user_id !== null) row.user_id = masker.identity(row.user_id);
    if (row.anonymous_id !== null) row.anonymous_id = masker.identity(row.anonymous_id);
    if (row.group_id !== null) row.group_id = masker.identity(row.group_id);
    if (row.previous_id !== null) row.previous_id = masker.identity(row.previous_id);
    if (row.ip !== null) row.ip = masker.ip(row.ip, row.type);
    for (const column of TREE_COLUMNS) {
      const v = row[column];
      if (v !== null) row[column] = (masker.tree(v, row.type, column) as Record<string, unknown> | undefined) ?? null;
    }
  };
}
