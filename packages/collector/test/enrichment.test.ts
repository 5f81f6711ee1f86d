import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type InProcess, rawIpSettings, startInProcess, trackEvent, WRITE_KEY } from './support/collector.js';
import { barrier, jsonHeaders, send, storedEvents, waitForId, waitForIds } from './support/http-client.js';
import { USER_AGENTS } from './support/samples.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HOUR = 3_600_000;

describe('enrichment visible through the read API', () => {
  let fp: InProcess;
  before(async () => {
    // Addresses are kept raw here to see which one is chosen; privacy.test.ts covers masking.
    fp = await startInProcess({ FOOTPRINT_CONFIG: await rawIpSettings() });
  });
  after(async () => {
    await fp.dispose();
  });

  const track = async (body: Record<string, unknown>, headers = jsonHeaders()): Promise<void> => {
    const res = await send(`${fp.url}/v1/track`, { headers, body });
    assert.equal(res.status, 200, res.text);
  };
  const beacon = async (body: Record<string, unknown>): Promise<void> => {
    const res = await send(`${fp.url}/v1/e?key=${WRITE_KEY}`, { headers: { 'content-type': 'text/plain' }, body });
    assert.equal(res.status, 204, res.text);
  };

  describe('ids', () => {
    it('uses the messageId as the stored id', async () => {
      await track(trackEvent('msg-id-1'));
      assert.equal((await waitForId(fp.url, 'msg-id-1')).id, 'msg-id-1');
    });

    it('stores a numeric messageId as text', async () => {
      await track({ ...trackEvent('x'), messageId: 90210, event: 'numeric id' });
      assert.equal((await waitForId(fp.url, '90210')).event, 'numeric id');
    });

    it('makes a distinct UUID for each event sent without a messageId', async () => {
      const res = await send(`${fp.url}/v1/batch`, {
        body: { batch: [0, 1, 2].map(() => ({ type: 'track', event: 'no id', anonymousId: 'anon-noid' })) },
      });
      assert.deepEqual(res.body, { success: true, accepted: 3 });
      await barrier(fp.url);
      const rows = await storedEvents(fp.url, 'anonymous_id=anon-noid');
      assert.equal(rows.length, 3);
      for (const r of rows) assert.match(r.id, UUID);
      assert.equal(new Set(rows.map((r) => r.id)).size, 3);
    });

    it('stores an event resent with the same messageId in two requests only once, keeping the first', async () => {
      await track(trackEvent('dup-1', { properties: { attempt: 1 } }));
      await track(trackEvent('dup-1', { properties: { attempt: 2 } }));
      await barrier(fp.url);
      const rows = (await storedEvents(fp.url)).filter((r) => r.id === 'dup-1');
      assert.equal(rows.length, 1);
      assert.deepEqual(rows[0].properties, { attempt: 1 });
    });

    it('stores a messageId repeated inside one batch only once', async () => {
      const res = await send(`${fp.url}/v1/batch`, { body: { batch: [trackEvent('dup-2'), trackEvent('dup-2'), trackEvent('dup-2')] } });
      assert.equal(res.body.accepted, 3);
      await barrier(fp.url);
      assert.equal((await storedEvents(fp.url)).filter((r) => r.id === 'dup-2').length, 1);
    });

    it('stores numeric userId, anonymousId and groupId as text', async () => {
      await track(trackEvent('num-ids', { userId: 42, anonymousId: 7 }));
      const res = await send(`${fp.url}/v1/group`, { body: { groupId: 1001, userId: 42, messageId: 'num-group' } });
      assert.equal(res.status, 200);
      const rows = await waitForIds(fp.url, ['num-ids', 'num-group']);
      assert.equal(rows.get('num-ids').user_id, '42');
      assert.equal(rows.get('num-ids').anonymous_id, '7');
      assert.equal(rows.get('num-group').group_id, '1001');
      const byUser = await storedEvents(fp.url, 'user_id=42');
      assert.deepEqual(byUser.map((r) => r.id).sort(), ['num-group', 'num-ids']);
    });

    it('takes session_id from sessionId, else from context.sessionId', async () => {
      await track(trackEvent('sess-top', { sessionId: 's-top', context: { sessionId: 's-ctx-ignored' } }));
      await track(trackEvent('sess-ctx', { context: { sessionId: 's-ctx' } }));
      await track(trackEvent('sess-num', { context: { sessionId: 12 } }));
      const rows = await waitForIds(fp.url, ['sess-top', 'sess-ctx', 'sess-num']);
      assert.equal(rows.get('sess-top').session_id, 's-top');
      assert.equal(rows.get('sess-ctx').session_id, 's-ctx');
      assert.equal(rows.get('sess-num').session_id, '12');
    });

    it('does not store an object given as context.sessionId, groupId or previousId as "[object Object]"', async () => {
      await track(trackEvent('sess-obj', { context: { sessionId: { id: 's' } }, groupId: { id: 'g' }, previousId: ['p', 'q'] }));
      const row = await waitForId(fp.url, 'sess-obj');
      assert.equal(row.session_id, undefined);
      assert.equal(row.group_id, undefined);
      assert.equal(row.previous_id, undefined);
      assert.ok(!JSON.stringify(row).includes('[object Object]'));
    });
  });

  describe('times', () => {
    it('sets received_at to the time the collector received the event', async () => {
      const before = Date.now();
      await track(trackEvent('recv-1'));
      const afterMs = Date.now();
      const row = await waitForId(fp.url, 'recv-1');
      const received = Date.parse(row.received_at);
      assert.ok(received >= before && received <= afterMs, `${row.received_at} not within the request`);
      assert.match(row.received_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    });

    it('uses the receive time as timestamp when the client sends none', async () => {
      await track(trackEvent('ts-none'));
      const row = await waitForId(fp.url, 'ts-none');
      assert.equal(row.timestamp, row.received_at);
    });

    it('stores a client timestamp without sentAt as given, converted to UTC', async () => {
      await track(trackEvent('ts-given', { timestamp: '2026-02-04T12:17:16.5+01:00' }));
      assert.equal((await waitForId(fp.url, 'ts-given')).timestamp, '2026-02-04T11:17:16.500Z');
    });

    it('corrects a client clock that is two hours behind using sentAt (Segment clock-skew correction)', async () => {
      const deviceNow = Date.now() - 2 * HOUR;
      await track(
        trackEvent('skew-behind', { timestamp: new Date(deviceNow - 30_000).toISOString(), sentAt: new Date(deviceNow).toISOString() }),
      );
      const row = await waitForId(fp.url, 'skew-behind');
      // timestamp + (receivedAt - sentAt): the event happened 30 s before the device sent it.
      assert.equal(Date.parse(row.timestamp), Date.parse(row.received_at) - 30_000);
    });

    it('corrects a client clock that is a day ahead, using originalTimestamp when there is no timestamp', async () => {
      const deviceNow = Date.now() + 24 * HOUR;
      await track(
        trackEvent('skew-ahead', {
          originalTimestamp: new Date(deviceNow - 5_000).toISOString(),
          sentAt: new Date(deviceNow).toISOString(),
        }),
      );
      const row = await waitForId(fp.url, 'skew-ahead');
      assert.equal(Date.parse(row.timestamp), Date.parse(row.received_at) - 5_000);
    });

    it('stores the receive time when the skew correction leaves the years 0001-9999', async () => {
      await track(trackEvent('skew-past-9999', { timestamp: '9999-12-31T00:00:00Z', sentAt: '1990-01-01T00:00:00Z' }));
      await track(trackEvent('skew-before-0001', { timestamp: '0001-01-01T00:00:00Z', sentAt: '2999-01-01T00:00:00Z' }));
      const rows = await waitForIds(fp.url, ['skew-past-9999', 'skew-before-0001']);
      for (const row of rows.values()) assert.equal(row.timestamp, row.received_at);
    });

    it('applies a batch-level sentAt to every event of the batch', async () => {
      const deviceNow = Date.now() - HOUR;
      const res = await send(`${fp.url}/v1/batch`, {
        body: {
          sentAt: new Date(deviceNow).toISOString(),
          batch: [
            trackEvent('skew-batch-1', { timestamp: new Date(deviceNow - 1_000).toISOString() }),
            trackEvent('skew-batch-2', { timestamp: new Date(deviceNow - 2_000).toISOString() }),
          ],
        },
      });
      assert.equal(res.status, 200);
      const rows = await waitForIds(fp.url, ['skew-batch-1', 'skew-batch-2']);
      for (const [id, ago] of [
        ['skew-batch-1', 1_000],
        ['skew-batch-2', 2_000],
      ] as const) {
        const r = rows.get(id);
        assert.equal(Date.parse(r.timestamp), Date.parse(r.received_at) - ago, id);
      }
    });
  });

  describe('client address', () => {
    it('takes the ip from the socket', async () => {
      await track(trackEvent('ip-socket'));
      assert.equal((await waitForId(fp.url, 'ip-socket')).ip, '127.0.0.1');
    });

    it('ignores X-Forwarded-For when no proxy is trusted', async () => {
      await track(trackEvent('ip-xff-ignored'), jsonHeaders({ 'x-forwarded-for': '203.0.113.9' }));
      assert.equal((await waitForId(fp.url, 'ip-xff-ignored')).ip, '127.0.0.1');
    });

    it('stores context.ip sent by the client as the ip, as Segment does', async () => {
      await track(trackEvent('ip-context', { context: { ip: '198.51.100.77' } }));
      assert.equal((await waitForId(fp.url, 'ip-context')).ip, '198.51.100.77');
    });
  });

  describe('user agent', () => {
    it('parses a desktop Chrome User-Agent header into browser, os and device_type', async () => {
      await track(trackEvent('ua-chrome'), jsonHeaders({ 'user-agent': USER_AGENTS.chromeWindows }));
      const row = await waitForId(fp.url, 'ua-chrome');
      assert.equal(row.user_agent, USER_AGENTS.chromeWindows);
      assert.equal(row.browser, 'Chrome');
      assert.equal(row.browser_version, '120.0.0.0');
      assert.equal(row.os, 'Windows');
      assert.equal(row.device_type, 'desktop');
      assert.equal(row.is_bot, false);
    });

    it('prefers context.userAgent over the header, and recognises a phone', async () => {
      await track(
        trackEvent('ua-iphone', { context: { userAgent: USER_AGENTS.iphoneSafari } }),
        jsonHeaders({ 'user-agent': USER_AGENTS.chromeWindows }),
      );
      const row = await waitForId(fp.url, 'ua-iphone');
      assert.equal(row.user_agent, USER_AGENTS.iphoneSafari);
      assert.equal(row.browser, 'Mobile Safari');
      assert.equal(row.os, 'iOS');
      assert.equal(row.device_type, 'mobile');
      assert.equal(row.device_vendor, 'Apple');
      assert.equal(row.is_bot, false);
    });

    it('flags a crawler (Googlebot) with is_bot true', async () => {
      await track(trackEvent('ua-googlebot'), jsonHeaders({ 'user-agent': USER_AGENTS.googlebot }));
      const row = await waitForId(fp.url, 'ua-googlebot');
      assert.equal(row.is_bot, true);
      assert.equal(row.device_type, 'bot');
    });

    it('parses the user agent of events sent by sendBeacon', async () => {
      const res = await send(`${fp.url}/v1/e?key=${WRITE_KEY}`, {
        headers: { 'content-type': 'text/plain', 'user-agent': USER_AGENTS.firefoxMac },
        body: trackEvent('ua-beacon'),
      });
      assert.equal(res.status, 204);
      const row = await waitForId(fp.url, 'ua-beacon');
      assert.equal(row.browser, 'Firefox');
      assert.equal(row.os, 'Mac OS');
    });
  });

  describe('pages and campaigns', () => {
    it('takes utm_* fields, host and path from context.page.url', async () => {
      const url = 'https://shop.example/landing?utm_source=newsletter&utm_medium=email&utm_campaign=spring&utm_term=shoes&utm_content=hero';
      await track(trackEvent('utm-url', { context: { page: { url, title: 'Spring sale' } } }));
      const row = await waitForId(fp.url, 'utm-url');
      assert.equal(row.url, url);
      assert.equal(row.host, 'shop.example');
      assert.equal(row.path, '/landing');
      assert.equal(row.title, 'Spring sale');
      assert.deepEqual(
        [row.utm_source, row.utm_medium, row.utm_campaign, row.utm_term, row.utm_content],
        ['newsletter', 'email', 'spring', 'shoes', 'hero'],
      );
    });

    it('prefers context.campaign over the URL query for utm_* fields', async () => {
      await track(
        trackEvent('utm-campaign', {
          context: {
            page: { url: 'https://shop.example/?utm_source=newsletter&utm_term=shoes' },
            campaign: { name: 'summer', source: 'google', medium: 'cpc', content: 'ad-1' },
          },
        }),
      );
      const row = await waitForId(fp.url, 'utm-campaign');
      assert.equal(row.utm_source, 'google');
      assert.equal(row.utm_medium, 'cpc');
      assert.equal(row.utm_campaign, 'summer');
      assert.equal(row.utm_content, 'ad-1');
      assert.equal(row.utm_term, undefined, 'context.campaign replaces the URL query as a whole');
    });

    it('sets referrer_domain from the referrer, without www.', async () => {
      await track(
        trackEvent('ref-1', { context: { page: { url: 'https://shop.example/', referrer: 'https://www.google.com/search?q=shoes' } } }),
      );
      await track(trackEvent('ref-2', { context: { page: { referrer: 'not a url' } } }));
      const rows = await waitForIds(fp.url, ['ref-1', 'ref-2']);
      assert.equal(rows.get('ref-1').referrer, 'https://www.google.com/search?q=shoes');
      assert.equal(rows.get('ref-1').referrer_domain, 'google.com');
      assert.equal(rows.get('ref-2').referrer, 'not a url');
      assert.equal(rows.get('ref-2').referrer_domain, undefined);
    });

    it('falls back to properties.url, path and referrer on a page event', async () => {
      const res = await send(`${fp.url}/v1/page`, {
        body: {
          messageId: 'page-props',
          anonymousId: 'a',
          name: 'Pricing',
          properties: { url: 'https://shop.example/pricing?utm_source=x', path: '/pricing', referrer: 'https://news.example/post' },
        },
      });
      assert.equal(res.status, 200);
      const row = await waitForId(fp.url, 'page-props');
      assert.equal(row.event, 'Pricing');
      assert.equal(row.host, 'shop.example');
      assert.equal(row.path, '/pricing');
      assert.equal(row.utm_source, 'x');
      assert.equal(row.referrer_domain, 'news.example');
    });
  });

  describe('server events', () => {
    const stackAt = (line1: number, line2: number): string =>
      `TypeError: Cannot read properties of undefined (reading 'id')\n    at loadUser (/app/src/users.js:${line1}:13)\n    at async handler (/app/src/routes.js:${line2}:5)`;

    it('gives the same error_fingerprint to the same error at different line numbers and with different values', async () => {
      await beacon({
        type: 'error',
        messageId: 'err-1',
        properties: { error_type: 'TypeError', message: 'User 123 not found in shard 0x1f', stack: stackAt(42, 10) },
      });
      await beacon({
        type: 'error',
        messageId: 'err-2',
        properties: { error_type: 'TypeError', message: 'User 98765 not found in shard 0x2a', stack: stackAt(57, 12), level: 'critical' },
      });
      await beacon({
        type: 'error',
        messageId: 'err-3',
        properties: {
          error_type: 'TypeError',
          message: 'User 123 not found in shard 0x1f',
          stack: stackAt(42, 10).replace('loadUser', 'saveUser'),
        },
      });
      await beacon({
        type: 'error',
        messageId: 'err-4',
        properties: { error_type: 'RangeError', message: 'User 123 not found in shard 0x1f' },
      });
      const rows = await waitForIds(fp.url, ['err-1', 'err-2', 'err-3', 'err-4']);
      const fp1 = rows.get('err-1').error_fingerprint;
      assert.match(fp1, /^[0-9a-f]{16}$/);
      assert.equal(rows.get('err-2').error_fingerprint, fp1);
      assert.notEqual(rows.get('err-3').error_fingerprint, fp1, 'a different function is a different error');
      assert.notEqual(rows.get('err-4').error_fingerprint, fp1, 'a different error type is a different error');
      assert.equal(rows.get('err-1').level, 'error', 'level defaults to error');
      assert.equal(rows.get('err-2').level, 'critical');
      assert.equal(rows.get('err-1').error_type, 'TypeError');
      assert.equal(rows.get('err-1').message, 'User 123 not found in shard 0x1f');
    });

    it('maps a request event to method, route, path, status, duration_ms and message', async () => {
      await beacon({
        type: 'request',
        messageId: 'req-1',
        requestId: 'r-1',
        traceId: 't-1',
        properties: {
          method: 'post',
          path: '/api/orders/17',
          route: '/api/orders/:id',
          status: 502,
          duration_ms: 812.5,
          error_message: 'upstream down',
        },
      });
      const row = await waitForId(fp.url, 'req-1');
      assert.deepEqual(
        [row.method, row.route, row.path, row.status, row.duration_ms, row.message, row.request_id, row.trace_id],
        ['POST', '/api/orders/:id', '/api/orders/17', 502, 812.5, 'upstream down', 'r-1', 't-1'],
      );
    });

    it('stores the end user of a request event (its ip and user_agent properties), not the back end that sent it', async () => {
      const event = {
        type: 'request',
        messageId: 'req-user',
        properties: { method: 'GET', path: '/p/1', status: 200, duration_ms: 3, ip: '203.0.113.9', user_agent: USER_AGENTS.iphoneSafari },
      };
      const res = await send(`${fp.url}/v1/batch`, {
        headers: jsonHeaders({ 'user-agent': 'node-backend/1.0' }),
        body: { batch: [event] },
      });
      assert.equal(res.status, 200, res.text);
      const row = await waitForId(fp.url, 'req-user');
      assert.equal(row.ip, '203.0.113.9');
      assert.equal(row.user_agent, USER_AGENTS.iphoneSafari);
      assert.equal(row.device_type, 'mobile');
      assert.equal(row.is_bot, false);
    });

    it('stores the warning level of an error as warn, the one word the level column uses', async () => {
      await beacon({ type: 'error', messageId: 'err-warn', properties: { message: 'slow', level: 'warning' } });
      assert.equal((await waitForId(fp.url, 'err-warn')).level, 'warn');
    });

    it('maps log, db and cron events to level, event and duration_ms', async () => {
      await beacon({ type: 'log', messageId: 'log-1', properties: { level: 'warn', message: 'disk 91% full' } });
      await beacon({ type: 'db', messageId: 'db-1', properties: { operation: 'update', table: 'orders', duration_ms: 44, rows: 3 } });
      await beacon({
        type: 'cron',
        messageId: 'cron-1',
        properties: { job: 'cleanup', status: 'failure', duration_ms: 9, error_message: 'lock held' },
      });
      const rows = await waitForIds(fp.url, ['log-1', 'db-1', 'cron-1']);
      assert.deepEqual([rows.get('log-1').level, rows.get('log-1').message], ['warn', 'disk 91% full']);
      assert.deepEqual([rows.get('db-1').event, rows.get('db-1').duration_ms], ['update', 44]);
      assert.deepEqual([rows.get('cron-1').event, rows.get('cron-1').message], ['cleanup', 'lock held']);
    });
  });
});

describe('X-Forwarded-For through a trusted proxy', () => {
  let fp: InProcess;
  before(async () => {
    fp = await startInProcess({ FOOTPRINT_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8', FOOTPRINT_CONFIG: await rawIpSettings() });
  });
  after(async () => {
    await fp.dispose();
  });

  const sendVia = async (id: string, xff?: string): Promise<string> => {
    const res = await send(`${fp.url}/v1/track`, {
      headers: jsonHeaders(xff === undefined ? {} : { 'x-forwarded-for': xff }),
      body: trackEvent(id),
    });
    assert.equal(res.status, 200, res.text);
    return (await waitForId(fp.url, id)).ip;
  };

  it('honours X-Forwarded-For when the socket peer is a trusted proxy', async () => {
    assert.equal(await sendVia('xff-1', '203.0.113.9'), '203.0.113.9');
  });

  it('takes the rightmost untrusted address, so a forged leftmost entry is ignored', async () => {
    assert.equal(await sendVia('xff-2', '6.6.6.6, 198.51.100.2'), '198.51.100.2');
  });

  it('walks right to left past trusted hops', async () => {
    assert.equal(await sendVia('xff-3', '203.0.113.9, 10.1.2.3, 127.0.0.1'), '203.0.113.9');
  });

  it('falls back to the proxy address when a hop is not an IP address', async () => {
    assert.equal(await sendVia('xff-4', '203.0.113.9, garbage'), '127.0.0.1');
  });

  it('uses the socket address when there is no X-Forwarded-For', async () => {
    assert.equal(await sendVia('xff-5'), '127.0.0.1');
  });
});
