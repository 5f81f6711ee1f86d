/**
 * Deterministic benchmark payloads: a realistic mix of browser and back-end events
 * (≈50% track, 30% page, 20% request), each about 400 bytes of JSON with context.page.url
 * (some with UTM parameters), a browser userAgent and a few properties.
 *
 * The same events are also rendered as flat JSONEachRow lines for the ClickHouse reference,
 * so both systems receive the same information per event.
 */

/** mulberry32: a tiny seeded PRNG, so every run sends the same bytes. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
];
const PAGES = ['/', '/pricing', '/docs/getting-started', '/blog/why-we-built-footprint', '/signup', '/app/dashboard', '/app/settings'];
const TRACKS = ['Signup Started', 'Signup Completed', 'Button Clicked', 'Plan Selected', 'Invite Sent', 'Report Exported'];
const ROUTES = [
  ['GET', '/api/projects/:id', '/api/projects/'],
  ['POST', '/api/events', '/api/events'],
  ['GET', '/api/users/:id/settings', '/api/users/'],
  ['DELETE', '/api/sessions/:id', '/api/sessions/'],
];
const UTM = ['', '', '', '?utm_source=google&utm_medium=cpc&utm_campaign=spring', '?utm_source=newsletter&utm_medium=email', '?ref=hn'];

const pick = (r, list) => list[Math.floor(r() * list.length)];
const hex = (r, n) => {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(r() * 16).toString(16);
  return s;
};

/**
 * One event. `seq` makes messageIds unique within a run of generated payloads; with
 * `withId = false` the event has no messageId and the collector assigns a fresh UUID, so a
 * replayed body still yields new rows (the DuckDB loader drops duplicate ids).
 * @returns a plain object as a Segment/Footprint client would send it.
 */
export function makeEvent(r, seq, withId = true, baseMs = Date.UTC(2026, 0, 15, 12)) {
  const ts = new Date(baseMs + Math.floor(r() * 3_600_000)).toISOString();
  const anon = `anon-${hex(r, 12)}`;
  const path = pick(r, PAGES);
  const page = { url: `https://example.com${path}${pick(r, UTM)}`, title: 'Example' };
  const context = { page, userAgent: pick(r, USER_AGENTS) };
  const id = `bench-${seq.toString(36)}-${hex(r, 8)}`;
  const messageId = withId ? id : undefined;
  const roll = r();
  if (roll < 0.5) {
    return {
      type: 'track',
      event: pick(r, TRACKS),
      messageId,
      anonymousId: anon,
      ...(r() < 0.4 ? { userId: `user_${Math.floor(r() * 50_000)}` } : {}),
      timestamp: ts,
      context,
      properties: { plan: pick(r, ['free', 'team', 'business']), value: Math.round(r() * 10_000) / 100, source: 'web' },
    };
  }
  if (roll < 0.8) {
    return {
      type: 'page',
      name: path === '/' ? 'Home' : path.slice(1),
      messageId,
      anonymousId: anon,
      timestamp: ts,
      context: { ...context, page: { ...page, referrer: 'https://duckduckgo.com/' } },
      properties: { scroll_depth: Math.floor(r() * 100) },
    };
  }
  const [method, route, prefix] = pick(r, ROUTES);
  return {
    type: 'request',
    messageId,
    requestId: `req_${hex(r, 16)}`,
    timestamp: ts,
    context: { library: { name: 'footprint-node' } },
    properties: {
      method,
      route,
      path: `${prefix}${Math.floor(r() * 100_000)}`,
      status: r() < 0.95 ? 200 : 500,
      duration_ms: Math.round(r() * 25_000) / 100,
      response_bytes: Math.floor(r() * 20_000),
      user_agent: pick(r, USER_AGENTS),
    },
  };
}

/** `count` batch request bodies of `perBatch` events each. */
export function batchBodies(count, perBatch, { seed = 42, withIds = false } = {}) {
  const r = rng(seed);
  const bodies = [];
  let seq = 0;
  for (let b = 0; b < count; b++) {
    const batch = [];
    for (let i = 0; i < perBatch; i++) batch.push(makeEvent(r, seq++, withIds));
    bodies.push({ events: batch, body: JSON.stringify({ batch }) });
  }
  return bodies;
}

/** `count` single-event beacon bodies (browser page/track events). */
export function beaconBodies(count, { seed = 7, withIds = false } = {}) {
  const r = rng(seed);
  const out = [];
  for (let seq = 0; out.length < count; seq++) {
    const e = makeEvent(r, seq, withIds);
    if (e.type !== 'request') out.push(JSON.stringify(e));
  }
  return out;
}

/** The ClickHouse reference table: the columns Footprint extracts plus JSON text blobs. */
export const CLICKHOUSE_TABLE = `CREATE TABLE bench.events (
  message_id String,
  type String,
  event String,
  anonymous_id String,
  user_id String,
  request_id String,
  timestamp DateTime,
  url String,
  path String,
  title String,
  referrer String,
  user_agent String,
  method String,
  route String,
  status UInt16,
  duration_ms Float64,
  library_name String,
  properties String,
  context String
) ENGINE = MergeTree() PARTITION BY toYYYYMM(timestamp) ORDER BY (type, timestamp)`;

/** One event as a flat JSONEachRow line for the table above. */
export function clickhouseRow(e) {
  const ctx = e.context ?? {};
  const page = ctx.page ?? {};
  const p = e.properties ?? {};
  return JSON.stringify({
    message_id: e.messageId ?? '',
    type: e.type,
    event: e.event ?? e.name ?? '',
    anonymous_id: e.anonymousId ?? '',
    user_id: e.userId ?? '',
    request_id: e.requestId ?? '',
    // ClickHouse 18.16 parses DateTime text as 'YYYY-MM-DD hh:mm:ss'.
    timestamp: e.timestamp.slice(0, 19).replace('T', ' '),
    url: page.url ?? '',
    path: page.url ? new URL(page.url).pathname : (p.path ?? ''),
    title: page.title ?? '',
    referrer: page.referrer ?? '',
    user_agent: ctx.userAgent ?? p.user_agent ?? '',
    method: p.method ?? '',
    route: p.route ?? '',
    status: p.status ?? 0,
    duration_ms: p.duration_ms ?? 0,
    library_name: ctx.library?.name ?? '',
    properties: JSON.stringify(p),
    // The rest of the context (the extracted fields are columns already).
    context: JSON.stringify({ ...ctx, page: undefined, userAgent: undefined }),
  });
}

/** A batch as a JSONEachRow body (one line per event). */
export function clickhouseBody(events) {
  return `${events.map(clickhouseRow).join('\n')}\n`;
}
