/**
 * DuckDbEventStore: the read API's listing compiled to DuckDB SQL. Every user value is a
 * bound parameter; column names come from the fixed column list, never from the request.
 *
 * A page is handed over as JSON written by DuckDB itself (the page goes into a temporary
 * table, then `COPY ... (FORMAT json)` to a scratch file), not read value by value from the
 * client library's result vectors: under memory pressure those reads were seen to return
 * bytes of freed native memory in place of text, and a wrong answer is worse than a slow one.
 */
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COLUMNS } from '../../model/columns.js';
import { type EventFilter, type EventPage, type EventStore, encodeCursor, JSON_COLUMNS } from '../../query/events.js';
import type { DuckDbDatabase } from './database.js';
import { literal } from './schema.js';
import { prepareScratch } from './scratch.js';

const ISO = `'%Y-%m-%dT%H:%M:%S.%gZ'`;
const SELECT_LIST = COLUMNS.map((c) =>
  c.type === 'timestamp' ? `strftime("${c.name}", ${ISO}) AS "${c.name}"` : c.type === 'json' ? `"${c.name}"` : `"${c.name}"`,
).join(', ');

export class DuckDbEventStore implements EventStore {
  private seqNo = 0;
  private scratchReady = false;

  constructor(
    private readonly db: DuckDbDatabase,
    private readonly scratchDir: string = tmpdir(),
  ) {}

  async listEvents(f: EventFilter): Promise<EventPage> {
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    const eq = (column: string, name: string, value: string | undefined): void => {
      if (value === undefined) return;
      where.push(`"${column}" = $${name}`);
      params[name] = value;
    };
    eq('project_id', 'project', f.project);
    eq('event', 'event', f.event);
    const anyOf = (column: string, name: string, values: string[] | undefined): void => {
      if (values === undefined) return;
      where.push(`"${column}" IN (${values.map((_, i) => `$${name}${i}`).join(', ')})`);
      values.forEach((v, i) => {
        params[`${name}${i}`] = v;
      });
    };
    if (f.userIds && f.linkedAnonymousIds && f.linkedAnonymousIds.length > 0) {
      const users = f.userIds.map((v, i) => {
        params[`user_id${i}`] = v;
        return `$user_id${i}`;
      });
      const linked = f.linkedAnonymousIds.map((v, i) => {
        params[`linked${i}`] = v;
        return `$linked${i}`;
      });
      where.push(`("user_id" IN (${users.join(', ')}) OR "anonymous_id" IN (${linked.join(', ')}))`);
    } else {
      anyOf('user_id', 'user_id', f.userIds);
    }
    anyOf('anonymous_id', 'anonymous_id', f.anonymousIds);
    eq('session_id', 'session_id', f.sessionId);
    eq('request_id', 'request_id', f.requestId);
    eq('trace_id', 'trace_id', f.traceId);
    eq('path', 'path', f.path);
    eq('route', 'route', f.route);
    eq('host', 'host', f.host);
    eq('error_fingerprint', 'error_fingerprint', f.errorFingerprint);
    anyOf('level', 'level', f.levels);
    if (f.types && f.types.length > 0) {
      where.push(`"type" IN (${f.types.map((_, i) => `$type${i}`).join(', ')})`);
      f.types.forEach((t, i) => {
        params[`type${i}`] = t;
      });
    }
    if (f.from) {
      where.push(`"timestamp" >= $from::TIMESTAMP`);
      params.from = toDuckTs(f.from);
    }
    if (f.to) {
      where.push(`"timestamp" < $to::TIMESTAMP`);
      params.to = toDuckTs(f.to);
    }
    if (f.cursor) {
      // After the cursor's row in the order below: (timestamp, project_id, id, received_at) descending.
      const c = f.cursor;
      where.push(
        `("timestamp" < $ct::TIMESTAMP OR ("timestamp" = $ct::TIMESTAMP AND ("project_id" < $cp OR ("project_id" = $cp AND ` +
          `("id" < $cid OR ("id" = $cid AND "received_at" < $cr::TIMESTAMP))))))`,
      );
      params.ct = toDuckTs(c.t);
      params.cp = c.p;
      params.cid = c.id;
      params.cr = toDuckTs(c.r);
    }
    const sql = `SELECT ${SELECT_LIST} FROM events${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY "timestamp" DESC, "project_id" DESC, "id" DESC, "received_at" DESC LIMIT ${f.limit + 1}`;
    if (!this.scratchReady) {
      await prepareScratch(this.scratchDir);
      this.scratchReady = true;
    }
    const file = join(this.scratchDir, `page-${process.pid}-${this.seqNo++}.json`);
    return this.db.use(async (conn) => {
      let rows: Record<string, unknown>[];
      try {
        await conn.run(`CREATE OR REPLACE TEMP TABLE footprint_page AS ${sql}`, params);
        await conn.run(`COPY footprint_page TO ${literal(file)} (FORMAT json)`);
        await conn.run('DROP TABLE footprint_page');
        const text = await readFile(file, 'utf8');
        rows =
          text === ''
            ? []
            : text
                .trimEnd()
                .split('\n')
                .map((line) => JSON.parse(line) as Record<string, unknown>);
      } finally {
        await rm(file, { force: true });
      }
      const more = rows.length > f.limit;
      const page = more ? rows.slice(0, f.limit) : rows;
      const events = page.map(toApiRow);
      const last = page.at(-1);
      return {
        events,
        next_cursor:
          more && last
            ? encodeCursor({ t: String(last.timestamp), p: String(last.project_id), id: String(last.id), r: String(last.received_at) })
            : null,
      };
    });
  }
}

/** DuckDB TIMESTAMP literals have no zone; the table stores UTC. */
function toDuckTs(iso: string): string {
  return new Date(iso).toISOString().replace('T', ' ').replace('Z', '');
}

function toApiRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in row) {
    const v = row[key];
    if (v === null || v === undefined) continue;
    out[key] = JSON_COLUMNS.has(key) && typeof v === 'string' ? JSON.parse(v) : v;
  }
  return out;
}
