/**
 * enrich: turns one validated wire event into the stored row. A pure function of the event
 * and the request it came in (receive time, client IP, User-Agent header); it never throws
 * for a valid event. The server makes an id when the client sent no `messageId`.
 */
import { randomUUID } from 'node:crypto';
import type { FootprintEvent } from '@footprint/schema';
import type { StoredRow } from '../model/row.js';
import { campaignOf, parseUrl, referrerDomain } from './enrich/page-url.js';
import { eventTime, storableTime } from './enrich/timestamp.js';
import { parseUserAgent } from './enrich/user-agent.js';

/** What the collector knows about the request an event arrived in. */
export interface RequestMeta {
  projectId: string;
  receivedAtMs: number;
  receivedAt: string;
  /** The client address, from the socket or trusted X-Forwarded-For. */
  ip: string | null;
  /** The request's User-Agent header, used when the event has no `context.userAgent`. */
  userAgent: string | null;
}

type Dict = Record<string, unknown>;

/** Top-level wire fields that map to columns; anything else is kept in `extra`. */
const KNOWN = new Set([
  'type',
  'messageId',
  'userId',
  'anonymousId',
  'sessionId',
  'requestId',
  'traceId',
  'spanId',
  'timestamp',
  'originalTimestamp',
  'sentAt',
  'context',
  'properties',
  'traits',
  'event',
  'name',
  'groupId',
  'previousId',
  'writeKey',
  'receivedAt',
]);

/** An id as text: strings as they are, finite numbers in decimal; anything else (an object
 * in an unvalidated spot such as `context.sessionId`) is not an id and yields null. */
const idText = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : null);
const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function extraOf(e: Dict): Dict | null {
  let extra: Dict | null = null;
  for (const key in e) {
    if (KNOWN.has(key)) continue;
    extra ??= {};
    extra[key] = e[key];
  }
  return extra;
}

/**
 * `context` as stored: what the row's columns already hold (page url, path, title and
 * referrer, the user agent, the ip, a campaign fully mapped to utm_*, the library) is not
 * written twice. Values that differ from their column are kept.
 */
function residualContext(
  ctx: Dict,
  row: { url: string | null; path: string | null; title: string | null; referrer: string | null; ua: string | null; ip: string | null },
): Dict | null {
  let out: Dict | null = null;
  for (const key in ctx) {
    const v = ctx[key];
    if (key === 'userAgent' && v === row.ua) continue;
    if (key === 'ip' && v === row.ip) continue;
    if (key === 'library' && isDict(v) && Object.keys(v).every((k) => k === 'name' || k === 'version')) continue;
    if (key === 'campaign' && isDict(v) && Object.keys(v).every((k) => CAMPAIGN_KEYS.has(k))) continue;
    if (key === 'page' && isDict(v)) {
      const page: Dict = {};
      let kept = false;
      for (const pk in v) {
        const pv = v[pk];
        if (
          (pk === 'url' && pv === row.url) ||
          (pk === 'path' && pv === row.path) ||
          (pk === 'title' && pv === row.title) ||
          (pk === 'referrer' && pv === row.referrer)
        )
          continue;
        page[pk] = pv;
        kept = true;
      }
      if (kept) (out ??= {}).page = page;
      continue;
    }
    (out ??= {})[key] = v;
  }
  return out;
}

const CAMPAIGN_KEYS = new Set(['source', 'medium', 'name', 'term', 'content']);
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

export function toRow(e: FootprintEvent, meta: RequestMeta): StoredRow {
  const ctx = (e.context ?? {}) as Dict;
  const props = ('properties' in e ? (e.properties as Dict | undefined) : undefined) ?? {};
  const page = (ctx.page ?? {}) as Dict;
  const pageUrl = text(page.url) ?? text(props.url);
  const parsed = parseUrl(pageUrl);
  const referrer = text(page.referrer) ?? text(props.referrer);
  const campaign = campaignOf(ctx.campaign as Dict | undefined, parsed.params);
  // A request event describes the end user's request to a back end, not the back end that
  // sent the event: its own ip and user_agent properties win.
  const isRequest = e.type === 'request';
  const ua = (isRequest ? text(props.user_agent) : null) ?? text(ctx.userAgent) ?? meta.userAgent;
  const uaInfo = parseUserAgent(ua);
  const library = (ctx.library ?? {}) as Dict;
  const clientTs = eventTime(meta.receivedAtMs, e.timestamp, e.originalTimestamp, e.sentAt);
  const ts = storableTime(clientTs) ? clientTs : meta.receivedAtMs;

  let event: string | null = null;
  let level: string | null = null;
  let message: string | null = null;
  let method: string | null = null;
  let route: string | null = null;
  let path = text(page.path) ?? text(props.path) ?? parsed.path;
  let status: number | null = null;
  let duration: number | null = null;
  let errorType: string | null = null;

  switch (e.type) {
    case 'track':
      event = e.event;
      break;
    case 'page':
    case 'screen':
      event = e.name ?? null;
      break;
    case 'request':
      method = e.properties.method.toUpperCase();
      route = text(e.properties.route);
      path = e.properties.path;
      status = e.properties.status;
      duration = e.properties.duration_ms;
      message = text(e.properties.error_message);
      break;
    case 'error':
      // One vocabulary in the level column: the error type's "warning" is stored as "warn".
      level = e.properties.level === 'warning' ? 'warn' : (e.properties.level ?? 'error');
      message = e.properties.message;
      errorType = text(e.properties.error_type);
      break;
    case 'log':
      level = e.properties.level;
      message = e.properties.message;
      break;
    case 'db':
      event = e.properties.operation;
      duration = e.properties.duration_ms;
      message = text(e.properties.error_message);
      break;
    case 'cron':
      event = e.properties.job;
      duration = num(e.properties.duration_ms);
      message = text(e.properties.error_message);
      break;
    case 'email':
      event = e.properties.status;
      duration = num(e.properties.duration_ms);
      message = text(e.properties.error_message);
      break;
    case 'ai':
      event = e.properties.model;
      duration = num(e.properties.duration_ms);
      message = text(e.properties.error_message);
      errorType = text(e.properties.error_type);
      break;
    case 'realtime':
      event = e.properties.status;
      message = text(e.properties.error_message);
      break;
    case 'engagement':
      duration = e.properties.engaged_ms;
      break;
    default:
      break;
  }

  const raw = e as Dict;
  const title = text(page.title) ?? text(props.title);
  const ip = (isRequest ? text(props.ip) : null) ?? text(ctx.ip) ?? meta.ip;
  return {
    id: idText(e.messageId) ?? randomUUID(),
    project_id: meta.projectId,
    type: e.type,
    event,
    timestamp: new Date(ts).toISOString(),
    received_at: meta.receivedAt,
    user_id: idText(e.userId),
    anonymous_id: idText(e.anonymousId),
    session_id: idText(e.sessionId) ?? idText(ctx.sessionId),
    request_id: text(e.requestId),
    trace_id: text(e.traceId),
    span_id: text(e.spanId),
    group_id: idText(raw.groupId),
    previous_id: idText(raw.previousId),
    level,
    message,
    url: pageUrl,
    host: parsed.host,
    path,
    title,
    referrer,
    referrer_domain: referrerDomain(referrer),
    utm_source: campaign.utm_source,
    utm_medium: campaign.utm_medium,
    utm_campaign: campaign.utm_campaign,
    utm_term: campaign.utm_term,
    utm_content: campaign.utm_content,
    ip,
    user_agent: ua,
    browser: uaInfo.browser,
    browser_version: uaInfo.browser_version,
    os: uaInfo.os,
    os_version: uaInfo.os_version,
    device_type: uaInfo.device_type,
    device_vendor: uaInfo.device_vendor,
    device_model: uaInfo.device_model,
    is_bot: uaInfo.is_bot,
    method,
    route,
    status,
    duration_ms: duration,
    error_type: errorType,
    // Computed after masking (see ingest.ts), so the grouping never reads raw personal data.
    error_fingerprint: null,
    library_name: text(library.name),
    library_version: text(library.version),
    properties: 'properties' in e && e.properties ? (e.properties as Dict) : null,
    traits: 'traits' in e && e.traits ? (e.traits as Dict) : null,
    context: e.context ? residualContext(ctx, { url: pageUrl, path, title, referrer, ua, ip }) : null,
    extra: extraOf(raw),
  };
}
