/**
 * The columns of the `events` table, in order, with their logical type. Sinks map logical
 * types to their dialect (DuckDB, ClickHouse); the WAL line has exactly these keys.
 */
import type { ColumnName } from './row.js';

export type LogicalType = 'text' | 'timestamp' | 'integer' | 'double' | 'boolean' | 'json';

export interface ColumnSpec {
  name: ColumnName;
  type: LogicalType;
  /** Part of an event's identity (project_id, id): the loader stores each identity once. */
  key?: true;
  notNull?: true;
}

const text = (name: ColumnName): ColumnSpec => ({ name, type: 'text' });

export const COLUMNS: readonly ColumnSpec[] = [
  { name: 'project_id', type: 'text', key: true, notNull: true },
  { name: 'id', type: 'text', key: true, notNull: true },
  { name: 'type', type: 'text', notNull: true },
  text('event'),
  { name: 'timestamp', type: 'timestamp', notNull: true },
  { name: 'received_at', type: 'timestamp', notNull: true },
  text('user_id'),
  text('anonymous_id'),
  text('session_id'),
  text('request_id'),
  text('trace_id'),
  text('span_id'),
  text('group_id'),
  text('previous_id'),
  text('level'),
  text('message'),
  text('url'),
  text('host'),
  text('path'),
  text('title'),
  text('referrer'),
  text('referrer_domain'),
  text('utm_source'),
  text('utm_medium'),
  text('utm_campaign'),
  text('utm_term'),
  text('utm_content'),
  text('ip'),
  text('user_agent'),
  text('browser'),
  text('browser_version'),
  text('os'),
  text('os_version'),
  text('device_type'),
  text('device_vendor'),
  text('device_model'),
  { name: 'is_bot', type: 'boolean', notNull: true },
  text('method'),
  text('route'),
  { name: 'status', type: 'integer' },
  { name: 'duration_ms', type: 'double' },
  text('error_type'),
  text('error_fingerprint'),
  text('library_name'),
  text('library_version'),
  { name: 'properties', type: 'json' },
  { name: 'traits', type: 'json' },
  { name: 'context', type: 'json' },
  { name: 'extra', type: 'json' },
];

export const COLUMN_NAMES: readonly ColumnName[] = COLUMNS.map((c) => c.name);
