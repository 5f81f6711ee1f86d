/**
 * The stored event: one flat row per event, written to the WAL as one JSON line and loaded
 * into the sink as one row of the wide `events` table. The WAL line *is* the row, so a
 * replay of the WAL rebuilds the table exactly. Column order and types live in ./columns.ts.
 */
export interface StoredRow {
  id: string;
  project_id: string;
  type: string;
  /**
   * What happened, by type: track event name, page/screen name, db operation, cron job,
   * email status, ai model, realtime status; null for the other types.
   */
  event: string | null;
  /** ISO-8601, UTC, milliseconds. When it happened (client clock, corrected for skew). */
  timestamp: string;
  /** ISO-8601, UTC, milliseconds. When the collector received it. */
  received_at: string;
  user_id: string | null;
  anonymous_id: string | null;
  session_id: string | null;
  request_id: string | null;
  trace_id: string | null;
  span_id: string | null;
  group_id: string | null;
  previous_id: string | null;
  level: string | null;
  message: string | null;
  url: string | null;
  host: string | null;
  path: string | null;
  title: string | null;
  referrer: string | null;
  referrer_domain: string | null;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  utm_term: string | null;
  utm_content: string | null;
  ip: string | null;
  user_agent: string | null;
  browser: string | null;
  browser_version: string | null;
  os: string | null;
  os_version: string | null;
  device_type: string | null;
  device_vendor: string | null;
  device_model: string | null;
  is_bot: boolean;
  method: string | null;
  route: string | null;
  status: number | null;
  duration_ms: number | null;
  error_type: string | null;
  error_fingerprint: string | null;
  library_name: string | null;
  library_version: string | null;
  properties: Record<string, unknown> | null;
  traits: Record<string, unknown> | null;
  context: Record<string, unknown> | null;
  /** Top-level fields of the wire event that have no column (e.g. `integrations`). */
  extra: Record<string, unknown> | null;
}

export type ColumnName = keyof StoredRow;
