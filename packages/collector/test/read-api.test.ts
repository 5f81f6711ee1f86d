import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type InProcess, startInProcess } from './support/collector.js';
import { assertError, type Json, type Reply, readEvents, send, waitForIds } from './support/http-client.js';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const MINUTE = 60_000;
const at = (minutes: number): string => new Date(T0 + minutes * MINUTE).toISOString();
const b64 = (s: string): string => Buffer.from(s).toString('base64url');

/** A collector with these events sent and loaded. */
async function loaded(batch: Array<{ messageId: string }>): Promise<InProcess> {
  const fp = await startInProcess();
  assert.equal((await send(`${fp.url}/v1/batch`, { body: { batch } })).status, 200);
  await waitForIds(
    fp.url,
    batch.map((e) => e.messageId),
  );
  return fp;
}

/** Eight events a minute apart, each with a distinct mix of the filterable fields. */
const DATASET = [
  { messageId: 'e0', type: 'track', event: 'Signed Up', userId: 'u1', anonymousId: 'a1', sessionId: 's1', timestamp: at(0) },
  { messageId: 'e1', type: 'page', name: 'Home', anonymousId: 'a1', sessionId: 's1', timestamp: at(1) },
  {
    messageId: 'e2',
    type: 'track',
    event: 'Order Completed',
    userId: 'u2',
    anonymousId: 'a2',
    sessionId: 's2',
    requestId: 'req-2',
    traceId: 'trace-1',
    timestamp: at(2),
  },
  { messageId: 'e3', type: 'identify', userId: 'u2', traits: { plan: 'pro' }, timestamp: at(3) },
  {
    messageId: 'e4',
    type: 'request',
    properties: { method: 'GET', path: '/', status: 200, duration_ms: 3 },
    requestId: 'req-1',
    traceId: 'trace-1',
    timestamp: at(4),
  },
  { messageId: 'e5', type: 'error', properties: { message: 'boom' }, requestId: 'req-1', traceId: 'trace-1', timestamp: at(5) },
  { messageId: 'e6', type: 'track', event: 'Signed Up', userId: 'u3', sessionId: 's3', timestamp: at(6) },
  { messageId: 'e7', type: 'screen', name: 'Settings', userId: 'u1', timestamp: at(7) },
];
const ALL_NEWEST_FIRST = ['e7', 'e6', 'e5', 'e4', 'e3', 'e2', 'e1', 'e0'];

describe('read API filters', () => {
  let fp: InProcess;
  before(async () => {
    fp = await startInProcess();
    const res = await send(`${fp.url}/v1/batch`, { body: { batch: DATASET } });
    assert.deepEqual(res.body, { success: true, accepted: DATASET.length });
    await waitForIds(
      fp.url,
      DATASET.map((e) => e.messageId),
    );
  });
  after(async () => {
    await fp.dispose();
  });

  async function ids(query: string): Promise<string[]> {
    const res = await readEvents(fp.url, query);
    assert.equal(res.status, 200, `${query}: ${res.text}`);
    return res.body.events.map((e: Json) => e.id);
  }

  it('lists all events newest first', async () => {
    assert.deepEqual(await ids(''), ALL_NEWEST_FIRST);
  });

  it('filters by one type', async () => {
    assert.deepEqual(await ids('type=track'), ['e6', 'e2', 'e0']);
  });

  it('filters by a comma-separated list of types', async () => {
    assert.deepEqual(await ids('type=track,page'), ['e6', 'e2', 'e1', 'e0']);
  });

  it('filters by repeated type parameters', async () => {
    assert.deepEqual(await ids('type=track&type=identify'), ['e6', 'e3', 'e2', 'e0']);
  });

  it('filters by event name, including names with spaces', async () => {
    assert.deepEqual(await ids('event=Signed%20Up'), ['e6', 'e0']);
    assert.deepEqual(await ids('event=Signed+Up'), ['e6', 'e0']);
    assert.deepEqual(await ids('event=Home'), ['e1']);
    assert.deepEqual(await ids('event=signed%20up'), [], 'event names match exactly');
  });

  it('filters by user_id, anonymous_id and session_id', async () => {
    assert.deepEqual(await ids('user_id=u1'), ['e7', 'e0']);
    assert.deepEqual(await ids('anonymous_id=a1'), ['e1', 'e0']);
    assert.deepEqual(await ids('session_id=s1'), ['e1', 'e0']);
    assert.deepEqual(await ids('session_id=s3'), ['e6']);
  });

  it("filters by request_id (one request's events: the request, its logs and errors) and by trace_id", async () => {
    assert.deepEqual(await ids('request_id=req-1'), ['e5', 'e4']);
    assert.deepEqual(await ids('trace_id=trace-1'), ['e5', 'e4', 'e2']);
    assert.deepEqual(await ids('trace_id=trace-1&type=track'), ['e2']);
    assert.deepEqual(await ids('request_id=nope'), []);
    for (const name of ['request_id', 'trace_id']) assertError(await readEvents(fp.url, `${name}=a&${name}=b`), 400, 'invalid_query', name);
  });

  it('treats from as inclusive and to as exclusive', async () => {
    assert.deepEqual(await ids(`from=${at(5)}`), ['e7', 'e6', 'e5']);
    assert.deepEqual(await ids(`to=${at(2)}`), ['e1', 'e0']);
    assert.deepEqual(await ids(`from=${at(2)}&to=${at(4)}`), ['e3', 'e2']);
    assert.deepEqual(await ids(`from=${at(3)}&to=${at(3)}`), []);
  });

  it('accepts dates, offsets and fractional seconds in from and to', async () => {
    assert.deepEqual(await ids('from=2026-03-01'), ALL_NEWEST_FIRST);
    assert.deepEqual(await ids('to=2026-03-01'), []);
    assert.deepEqual(await ids(`from=${encodeURIComponent('2026-03-01T01:05:00+01:00')}`), ['e7', 'e6', 'e5']);
    // The same with the + left unencoded (a URL's + is a space), and in lower case.
    assert.deepEqual(await ids('from=2026-03-01T01:05:00+01:00'), ['e7', 'e6', 'e5']);
    assert.deepEqual(await ids('from=2026-03-01t00:05:00z'), ['e7', 'e6', 'e5']);
    assert.deepEqual(await ids('from=2026-03-01T00:06:59.999Z'), ['e7']);
  });

  it('reads from and to without a zone as UTC, as event timestamps are', async () => {
    assert.deepEqual(await ids('from=2026-03-01T00:05:00'), ['e7', 'e6', 'e5']);
    assert.deepEqual(await ids('to=2026-03-01T00:02:00'), ['e1', 'e0']);
  });

  it('combines filters with AND', async () => {
    assert.deepEqual(await ids('type=track&user_id=u2'), ['e2']);
    assert.deepEqual(await ids(`type=track&event=Signed%20Up&from=${at(1)}`), ['e6']);
    assert.deepEqual(await ids('type=page&user_id=u1'), []);
  });

  it('filters by project', async () => {
    assert.deepEqual(await ids('project=default'), ALL_NEWEST_FIRST);
    assert.deepEqual(await ids('project=other'), []);
  });

  it('answers no matches with an empty page and no cursor', async () => {
    const res = await readEvents(fp.url, 'user_id=nobody');
    assert.deepEqual(res.body, { events: [], next_cursor: null });
  });

  it('leaves null columns out of the rows and returns JSON columns as objects', async () => {
    const res = await readEvents(fp.url, 'type=identify');
    const [row] = res.body.events;
    assert.equal(row.id, 'e3');
    assert.deepEqual(row.traits, { plan: 'pro' });
    assert.equal('anonymous_id' in row, false);
    assert.equal('properties' in row, false);
    assert.equal(row.timestamp, at(3));
  });

  it('returns at most limit events with a cursor to the next page', async () => {
    const first = await readEvents(fp.url, 'limit=3');
    assert.deepEqual(
      first.body.events.map((e: Json) => e.id),
      ['e7', 'e6', 'e5'],
    );
    assert.equal(typeof first.body.next_cursor, 'string');
    const second = await readEvents(fp.url, `limit=3&cursor=${first.body.next_cursor}`);
    assert.deepEqual(
      second.body.events.map((e: Json) => e.id),
      ['e4', 'e3', 'e2'],
    );
    const third = await readEvents(fp.url, `limit=3&cursor=${second.body.next_cursor}`);
    assert.deepEqual(
      third.body.events.map((e: Json) => e.id),
      ['e1', 'e0'],
    );
    assert.equal(third.body.next_cursor, null);
  });

  it('gives no cursor when a page holds exactly the remaining events', async () => {
    const res = await readEvents(fp.url, 'limit=8');
    assert.equal(res.body.events.length, 8);
    assert.equal(res.body.next_cursor, null);
  });

  it('accepts limit 1 and limit 10000', async () => {
    assert.deepEqual(await ids('limit=1'), ['e7']);
    assert.deepEqual(await ids('limit=10000'), ALL_NEWEST_FIRST);
  });

  it('answers limits of 0, 10001, "abc" and other non-integers with 400 invalid_query naming limit', async () => {
    for (const limit of ['0', '10001', 'abc', '-1', '1.5', '', '1e9', '1e3', '0x10', ' 5', 'Infinity', 'NaN']) {
      const res = await readEvents(fp.url, `limit=${limit}`);
      assertError(res, 400, 'invalid_query', 'limit');
      assert.match(res.body.error.message, /^limit must be a whole number from 1 to 10000/);
    }
  });

  it('answers an unknown parameter with 400 invalid_query naming it and listing the filters', async () => {
    for (const name of ['user', 'userId', 'key', 'offset', 'LIMIT']) {
      const res = await readEvents(fp.url, `${name}=1`);
      assertError(res, 400, 'invalid_query', name);
      assert.ok(res.body.error.message.startsWith(`${name} is not a filter`), res.text);
      assert.match(res.body.error.message, /user_id/);
    }
  });

  it('answers an unknown or empty type with 400 naming type', async () => {
    for (const type of ['purchase', '', 'track,', 'TRACK']) {
      assertError(await readEvents(fp.url, `type=${type}`), 400, 'invalid_query', 'type');
    }
  });

  it('answers a cursor this API did not make with 400 naming cursor', async () => {
    const bad = [
      'not-a-cursor',
      '',
      b64('{"t":"yesterday","id":"e1"}'),
      b64('{"t":"2026-03-01T00:00:00.000Z"}'),
      b64('{"t":"2026-03-01T00:00:00.000Z","id":5}'),
      // An earlier version's cursor (timestamp and id only), and ones with a bad project or received_at.
      b64('{"t":"2026-03-01T00:00:00.000Z","id":"e1"}'),
      b64('{"t":"2026-03-01T00:00:00.000Z","id":"e1","p":7,"r":"2026-03-01T00:00:00.000Z"}'),
      b64('{"t":"2026-03-01T00:00:00.000Z","id":"e1","p":"default","r":"later"}'),
      // Times Date.parse takes but the database would not: a five-digit year, a day that does not exist, another format.
      b64('{"t":"99999-01-01","id":"e1","p":"default","r":"2026-01-01T00:00:00.000Z"}'),
      b64('{"t":"2026-02-30T00:00:00.000Z","id":"e1","p":"default","r":"2026-03-01T00:00:00.000Z"}'),
      b64('{"t":"2026-03-01","id":"e1","p":"default","r":"2026-03-01T00:00:00.000Z"}'),
      b64('[1,2]'),
      b64('null'),
      b64('"x"'),
    ];
    for (const cursor of bad) {
      const res = await readEvents(fp.url, `cursor=${encodeURIComponent(cursor)}`);
      assertError(res, 400, 'invalid_query', 'cursor');
    }
  });

  it('answers from and to that are not ISO-8601 dates that exist with 400 naming the parameter', async () => {
    for (const value of [
      'yesterday',
      '1772323200',
      '2026-13-01',
      '03/01/2026',
      '2026-03-01T25:00:00Z',
      '2026-02-30',
      '2026-04-31T10:00:00Z',
      '2025-02-29',
    ]) {
      assertError(await readEvents(fp.url, `from=${encodeURIComponent(value)}`), 400, 'invalid_query', 'from');
      assertError(await readEvents(fp.url, `to=${encodeURIComponent(value)}`), 400, 'invalid_query', 'to');
    }
  });

  it('answers any filter but type given twice, or an empty one, with 400 naming it', async () => {
    for (const name of ['user_id', 'anonymous_id', 'session_id', 'event', 'project']) {
      assertError(await readEvents(fp.url, `${name}=a&${name}=b`), 400, 'invalid_query', name);
      assertError(await readEvents(fp.url, `${name}=`), 400, 'invalid_query', name);
    }
    for (const twice of ['from=2026-03-01&from=2026-03-02', 'to=2026-03-01&to=2026-03-02', 'limit=1&limit=2']) {
      assertError(await readEvents(fp.url, twice), 400, 'invalid_query', twice.split('=')[0]);
    }
    const first = await readEvents(fp.url, 'limit=1');
    const cursor = first.body.next_cursor as string;
    assertError(await readEvents(fp.url, `cursor=${cursor}&cursor=${cursor}`), 400, 'invalid_query', 'cursor');
  });

  it('treats SQL in filter values as plain text', async () => {
    assert.deepEqual(await ids(`user_id=${encodeURIComponent("u1' OR '1'='1")}`), []);
    assert.deepEqual(await ids(`event=${encodeURIComponent('x"; DROP TABLE events; --')}`), []);
    assert.deepEqual(await ids(''), ALL_NEWEST_FIRST);
  });
});

describe('read API pagination', () => {
  let fp: InProcess;
  const N = 250;
  const TIES = 30;
  before(async () => {
    fp = await startInProcess();
    // 250 events one second apart, and 30 more that all share one timestamp (older than the rest).
    const batch = [
      ...Array.from({ length: N }, (_, i) => ({
        type: i % 5 === 0 ? 'page' : 'track',
        event: 'paged',
        name: 'paged',
        anonymousId: 'pager',
        messageId: `p-${String(i).padStart(3, '0')}`,
        timestamp: new Date(T0 + i * 1000).toISOString(),
      })),
      ...Array.from({ length: TIES }, (_, i) => ({
        type: 'track',
        event: 'tied',
        anonymousId: 'pager',
        messageId: `tie-${String(i).padStart(2, '0')}`,
        timestamp: new Date(T0 - MINUTE).toISOString(),
      })),
    ];
    const res = await send(`${fp.url}/v1/batch`, { body: { batch } });
    assert.deepEqual(res.body, { success: true, accepted: N + TIES });
    await waitForIds(
      fp.url,
      batch.map((e) => e.messageId),
    );
  });
  after(async () => {
    await fp.dispose();
  });

  async function pageAll(query: string, limit: number): Promise<{ pages: Json[][]; cursors: Array<string | null> }> {
    const pages: Json[][] = [];
    const cursors: Array<string | null> = [];
    let cursor: string | null = null;
    do {
      const q: string = `${query}${query ? '&' : ''}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
      const res: Reply = await readEvents(fp.url, q);
      assert.equal(res.status, 200, res.text);
      pages.push(res.body.events);
      cursor = res.body.next_cursor;
      cursors.push(cursor);
      assert.ok(pages.length <= 100, 'pagination does not end');
    } while (cursor);
    return { pages, cursors };
  }

  it('visits every one of 250 events exactly once, newest first, with limit=40', async () => {
    const { pages } = await pageAll('event=paged', 40);
    assert.deepEqual(
      pages.map((p) => p.length),
      [40, 40, 40, 40, 40, 40, 10],
    );
    const seen = pages.flat().map((e) => e.id);
    assert.equal(new Set(seen).size, N);
    const expected = Array.from({ length: N }, (_, i) => `p-${String(N - 1 - i).padStart(3, '0')}`);
    assert.deepEqual(seen, expected);
  });

  it('visits events that share one timestamp exactly once across page boundaries', async () => {
    const { pages } = await pageAll('event=tied', 7);
    const seen = pages.flat().map((e) => e.id);
    assert.equal(seen.length, TIES);
    assert.equal(new Set(seen).size, TIES);
    assert.deepEqual(seen, [...seen].sort().reverse(), 'ties are ordered by id, descending');
  });

  it('pages through the whole table, ties included, without gaps or repeats', async () => {
    const { pages } = await pageAll('', 33);
    const seen = pages.flat().map((e) => e.id);
    assert.equal(seen.length, N + TIES);
    assert.equal(new Set(seen).size, N + TIES);
    const times = pages.flat().map((e) => Date.parse(e.timestamp));
    for (let i = 1; i < times.length; i++) assert.ok((times[i - 1] as number) >= (times[i] as number), 'not newest first');
  });

  it('keeps a filter applied on every page', async () => {
    const { pages } = await pageAll('type=page', 9);
    const rows = pages.flat();
    assert.equal(rows.length, N / 5);
    for (const r of rows) assert.equal(r.type, 'page');
  });

  it('stays exact when newer events arrive while paging', async () => {
    const first = await readEvents(fp.url, 'anonymous_id=pager&limit=50');
    const res = await send(`${fp.url}/v1/batch`, {
      body: {
        batch: Array.from({ length: 20 }, (_, i) => ({ type: 'track', event: 'late', anonymousId: 'pager', messageId: `late-${i}` })),
      },
    });
    assert.equal(res.body.accepted, 20);
    await waitForIds(
      fp.url,
      Array.from({ length: 20 }, (_, i) => `late-${i}`),
    );
    const seen: string[] = first.body.events.map((e: Json) => e.id);
    let cursor: string | null = first.body.next_cursor;
    while (cursor) {
      const page = await readEvents(fp.url, `anonymous_id=pager&limit=50&cursor=${cursor}`);
      seen.push(...page.body.events.map((e: Json) => e.id));
      cursor = page.body.next_cursor;
    }
    assert.equal(seen.length, N + TIES);
    assert.equal(new Set(seen).size, N + TIES);
    assert.ok(!seen.some((id) => id.startsWith('late-')), 'newer events leaked into older pages');
  });
});

describe('read API and masked ids', () => {
  let fp: InProcess;
  before(async () => {
    fp = await startInProcess();
  });
  after(async () => {
    await fp.dispose();
  });

  it('finds a user by the id the application knows, though masking stored it hashed', async () => {
    const res = await send(`${fp.url}/v1/batch`, {
      body: {
        batch: [{ messageId: 'mail-user', type: 'track', event: 'Signed Up', userId: 'Kim@Example.com', anonymousId: 'kim@example.com' }],
      },
    });
    assert.equal(res.status, 200);
    await waitForIds(fp.url, ['mail-user']);
    const stored = (await readEvents(fp.url, '')).body.events as Json[];
    assert.match(String(stored[0]?.user_id), /^h:[0-9a-f]{20}$/, 'the email is not stored as it is');
    for (const query of [
      'user_id=Kim%40Example.com',
      'user_id=kim%40example.com',
      'anonymous_id=kim%40example.com',
      `user_id=${stored[0]?.user_id}`,
    ]) {
      const found = await readEvents(fp.url, query);
      assert.deepEqual(
        (found.body.events as Json[]).map((e) => e.id),
        ['mail-user'],
        query,
      );
    }
  });
});

describe('read API: filters on level, path, route, host and error group', () => {
  let fp: InProcess;
  const request = (id: string, path: string, route: string) => ({
    messageId: id,
    type: 'request',
    properties: { method: 'GET', path, route, status: 200, duration_ms: 2 },
    context: { page: { url: `https://shop.example${path}` } },
  });
  const batch = [
    { messageId: 'l-info', type: 'log', properties: { level: 'info', message: 'started' } },
    { messageId: 'l-warn', type: 'log', properties: { level: 'warn', message: 'slow' } },
    { messageId: 'l-error', type: 'log', properties: { level: 'error', message: 'failed' } },
    { messageId: 'x-1', type: 'error', properties: { message: 'card 4 declined', error_type: 'PaymentError', level: 'critical' } },
    { messageId: 'x-2', type: 'error', properties: { message: 'card 5 declined', error_type: 'PaymentError' } },
    { messageId: 'x-3', type: 'error', properties: { message: 'disk full', error_type: 'IOError' } },
    { messageId: 'x-4', type: 'error', properties: { message: 'retrying', error_type: 'Timeout', level: 'warning' } },
    request('r-1', '/api/orders/1', '/api/orders/:id'),
    request('r-2', '/api/orders/2', '/api/orders/:id'),
    request('r-3', '/api/users/1', '/api/users/:id'),
  ];
  before(async () => {
    fp = await loaded(batch);
  });
  after(async () => {
    await fp.dispose();
  });
  const ids = async (query: string): Promise<string[]> =>
    ((await readEvents(fp.url, query)).body.events as Json[]).map((e) => String(e.id)).sort();

  it('filters by level, one or several', async () => {
    assert.deepEqual(await ids('level=warn'), ['l-warn', 'x-4']);
    assert.deepEqual(await ids('level=warning'), ['l-warn', 'x-4'], 'an error event’s word for warn finds the same');
    assert.deepEqual(await ids('level=error,critical'), ['l-error', 'x-1', 'x-2', 'x-3']);
    assert.deepEqual(await ids('level=error&level=warn&type=log'), ['l-error', 'l-warn']);
    assertError(await readEvents(fp.url, 'level=loud'), 400, 'invalid_query', 'level');
  });

  it('filters by path, route and host', async () => {
    assert.deepEqual(await ids(`route=${encodeURIComponent('/api/orders/:id')}`), ['r-1', 'r-2']);
    assert.deepEqual(await ids(`path=${encodeURIComponent('/api/users/1')}`), ['r-3']);
    assert.deepEqual(await ids('host=shop.example&type=request'), ['r-1', 'r-2', 'r-3']);
  });

  it('finds the errors of one group by their fingerprint', async () => {
    const [declined] = (await readEvents(fp.url, 'type=error')).body.events.filter((e: Json) => e.id === 'x-1');
    assert.match(String(declined.error_fingerprint), /^[0-9a-f]{16}$/);
    assert.deepEqual(await ids(`error_fingerprint=${declined.error_fingerprint}`), ['x-1', 'x-2']);
  });
});

describe('read API: one person across sign-in', () => {
  let fp: InProcess;
  const batch = [
    { messageId: 'p-before', type: 'page', name: 'Pricing', anonymousId: 'anon-9', timestamp: at(0) },
    { messageId: 'c-before', type: 'click', anonymousId: 'anon-9', properties: { tag: 'button' }, timestamp: at(1) },
    { messageId: 'i-login', type: 'identify', userId: 'u-9', anonymousId: 'anon-9', timestamp: at(2) },
    { messageId: 't-after', type: 'track', event: 'Order Completed', userId: 'u-9', timestamp: at(3) },
    { messageId: 'p-other', type: 'page', name: 'Home', anonymousId: 'anon-other', timestamp: at(4) },
  ];
  before(async () => {
    fp = await loaded(batch);
  });
  after(async () => {
    await fp.dispose();
  });
  const ids = async (query: string): Promise<string[]> =>
    ((await readEvents(fp.url, query)).body.events as Json[]).map((e) => String(e.id));

  it('lists with identities=linked the visits before sign-in of the anonymous ids an identify linked to the user', async () => {
    assert.deepEqual(await ids('user_id=u-9'), ['t-after', 'i-login']);
    assert.deepEqual(await ids('user_id=u-9&identities=linked'), ['t-after', 'i-login', 'c-before', 'p-before']);
    assert.deepEqual(await ids('user_id=u-9&identities=linked&type=page'), ['p-before']);
    assert.deepEqual(await ids('user_id=nobody&identities=linked'), []);
  });

  it('answers identities without user_id, or with another value, with 400 naming it', async () => {
    assertError(await readEvents(fp.url, 'identities=linked'), 400, 'invalid_query', 'identities');
    assertError(await readEvents(fp.url, 'user_id=u-9&identities=all'), 400, 'invalid_query', 'identities');
  });
});
