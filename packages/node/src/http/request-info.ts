/**
 * What a request says about itself, read the same way for every framework: the request id
 * (`X-Request-Id`, else a W3C `traceparent`, else a new UUID), the visitor and session of
 * the browser SDK (headers `X-Footprint-Anonymous-Id` / `X-Footprint-Session-Id`, or
 * cookies `fp_aid` / `fp_sid`), the client address, and path and query.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { isIP } from 'node:net';

/** Reads one request header (lower-case name); undefined when absent. */
export type HeaderGetter = (name: string) => string | undefined;

export const ANONYMOUS_ID_HEADER = 'x-footprint-anonymous-id';
export const SESSION_ID_HEADER = 'x-footprint-session-id';
export const ANONYMOUS_ID_COOKIE = 'fp_aid';
export const SESSION_ID_COOKIE = 'fp_sid';

/** Visible ASCII only: a request id goes back out in a response header, where CR/LF would be an injection. */
const REQUEST_ID_RE = /^[\x21-\x7e]{1,128}$/;
/** W3C Trace Context §3.2: version-traceid-parentid-flags, lower-case hex. */
const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
/** Ids of the browser SDK: what the event model takes (1-256 characters), without control characters. */
const VISITOR_ID_RE = /^\P{Cc}{1,256}$/u;

export interface TraceParent {
  traceId: string;
  parentId: string;
}

/** Parses a `traceparent` header; undefined when it is not valid per the W3C rules. */
export function parseTraceparent(value: string | undefined): TraceParent | undefined {
  if (!value) return undefined;
  const m = TRACEPARENT_RE.exec(value.trim());
  if (!m) return undefined;
  const [, version, traceId, parentId] = m as unknown as [string, string, string, string];
  // Version ff is invalid; version 00 has no further fields.
  if (version === 'ff' || (version === '00' && m[5] !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || parentId === ZERO_SPAN) return undefined;
  return { traceId, parentId };
}

export interface RequestIds {
  requestId: string;
  /** The id was made here (a fresh UUID), so it is unique and may double as an event id. */
  generated: boolean;
  traceId?: string;
  /** This server's span, new for the request when a trace came in. */
  spanId?: string;
  parentSpanId?: string;
}

/** The request's ids: a valid incoming `X-Request-Id` wins, then the trace id of `traceparent`, then a new UUID. */
export function requestIdsOf(get: HeaderGetter, requestIdHeader: string): RequestIds {
  const given = get(requestIdHeader);
  const trace = parseTraceparent(get('traceparent'));
  const taken = given && REQUEST_ID_RE.test(given) ? given : trace?.traceId;
  const ids: RequestIds = { requestId: taken ?? randomUUID(), generated: taken === undefined };
  if (trace) {
    ids.traceId = trace.traceId;
    ids.spanId = randomBytes(8).toString('hex');
    ids.parentSpanId = trace.parentId;
  }
  return ids;
}

/** The value of one cookie, without parsing the others. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  let from = 0;
  while (from < header.length) {
    const at = header.indexOf(`${name}=`, from);
    if (at === -1) return undefined;
    const before = at === 0 ? ';' : header[at - 1];
    if (before === ';' || before === ' ') {
      const end = header.indexOf(';', at);
      const raw = header.slice(at + name.length + 1, end === -1 ? undefined : end).trim();
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    }
    from = at + name.length;
  }
  return undefined;
}

const visitorId = (v: string | undefined): string | undefined => (v !== undefined && VISITOR_ID_RE.test(v) ? v : undefined);

/** The browser SDK's anonymous and session ids (headers first, then cookies), set on `into`. */
export function visitorIdsOf(
  get: HeaderGetter,
  into: { anonymousId?: string; sessionId?: string } = {},
): { anonymousId?: string; sessionId?: string } {
  let anonymousId = visitorId(get(ANONYMOUS_ID_HEADER));
  let sessionId = visitorId(get(SESSION_ID_HEADER));
  if (anonymousId === undefined || sessionId === undefined) {
    const cookies = get('cookie');
    if (cookies) {
      anonymousId ??= visitorId(cookieValue(cookies, ANONYMOUS_ID_COOKIE));
      sessionId ??= visitorId(cookieValue(cookies, SESSION_ID_COOKIE));
    }
  }
  if (anonymousId !== undefined) into.anonymousId = anonymousId;
  if (sessionId !== undefined) into.sessionId = sessionId;
  return into;
}

/** The client's address: the first `X-Forwarded-For` entry when the proxy in front is trusted, else the socket's. */
export function clientIpOf(socketAddress: string | undefined, forwardedFor: string | undefined, trustProxy: boolean): string | undefined {
  if (trustProxy && forwardedFor) {
    const first = forwardedFor.split(',', 1)[0]?.trim();
    if (first) return first;
  }
  return plainIp(socketAddress);
}

/**
 * An address as an event wants it: an IPv4 client as a dual-stack server sees it
 * (`::ffff:203.0.113.7`) is an IPv4 address. Anything that is not an address (a forged
 * X-Forwarded-For) is left out: `context.ip` holds at most 64 characters, and a longer value
 * would make the collector refuse every event of the request.
 */
export function plainIp(ip: string | undefined): string | undefined {
  if (!ip) return undefined;
  const plain = ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
  if (isIP(plain) !== 0) return plain;
  // As proxies forward it with a port: `203.0.113.7:1234`, `[2001:db8::1]:443`.
  const bare = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(plain)?.[1] ?? /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(plain)?.[1];
  return bare !== undefined && isIP(bare) !== 0 ? bare : undefined;
}

/** The collector's bound on `context.userAgent` (schema: common.ts Context). */
export const MAX_USER_AGENT = 2048;

/** A User-Agent header as events can carry it: cut to the collector's bound, never left to reject the event. */
export function userAgentOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return header.length <= MAX_USER_AGENT ? header : header.slice(0, MAX_USER_AGENT);
}

/** Splits a request target into path and raw query. */
export function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return { path: path === '' ? '/' : path, query: q === -1 ? '' : url.slice(q + 1) };
}
