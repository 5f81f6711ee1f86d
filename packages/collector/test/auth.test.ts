import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import {
  ADMIN_TOKEN,
  adminAuth,
  basicAuth,
  eventually,
  type InProcess,
  startInProcess,
  tempDataDir,
  trackEvent,
  WRITE_KEY,
} from './support/collector.js';
import { assertError, assertNotStored, type Json, readEvents, send, waitForId } from './support/http-client.js';

const json = { 'content-type': 'application/json' };
const basicWithPassword = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('write-key authentication on ingestion', () => {
  let fp: InProcess;
  before(async () => {
    fp = await startInProcess();
  });
  after(async () => {
    await fp.dispose();
  });

  it('accepts HTTP Basic with the write key as username and an empty password', async () => {
    const res = await send(`${fp.url}/v1/track`, { headers: { ...json, authorization: basicAuth() }, body: trackEvent('auth-basic') });
    assert.equal(res.status, 200, res.text);
    await waitForId(fp.url, 'auth-basic');
  });

  it('accepts HTTP Basic with the write key as username and ignores the password', async () => {
    const res = await send(`${fp.url}/v1/track`, {
      headers: { ...json, authorization: basicWithPassword(WRITE_KEY, 'anything') },
      body: trackEvent('auth-basic-pw'),
    });
    assert.equal(res.status, 200, res.text);
    await waitForId(fp.url, 'auth-basic-pw');
  });

  it('accepts the HTTP Basic scheme name in any letter case', async () => {
    const res = await send(`${fp.url}/v1/track`, {
      headers: { ...json, authorization: basicAuth().replace('Basic', 'BASIC') },
      body: trackEvent('auth-basic-case'),
    });
    assert.equal(res.status, 200, res.text);
  });

  it('accepts the write key as a Bearer token', async () => {
    const res = await send(`${fp.url}/v1/batch`, {
      headers: { ...json, authorization: `Bearer ${WRITE_KEY}` },
      body: { batch: [trackEvent('auth-bearer')] },
    });
    assert.equal(res.status, 200, res.text);
    await waitForId(fp.url, 'auth-bearer');
  });

  it('accepts the write key as ?key= on every ingestion endpoint', async () => {
    for (const [path, body] of [
      ['/v1/batch', { batch: [trackEvent('auth-query-batch')] }],
      ['/v1/track', trackEvent('auth-query-track')],
      ['/v1/e', trackEvent('auth-query-e')],
    ] as const) {
      const res = await send(`${fp.url}${path}?key=${encodeURIComponent(WRITE_KEY)}`, { headers: json, body });
      assert.ok(res.status === 200 || res.status === 204, `${path}: ${res.status} ${res.text}`);
    }
    await waitForId(fp.url, 'auth-query-e');
  });

  it('accepts a writeKey field in the body of a single event and of a batch, as analytics.js sends it', async () => {
    const single = await send(`${fp.url}/v1/track`, { headers: json, body: { ...trackEvent('auth-body-single'), writeKey: WRITE_KEY } });
    assert.equal(single.status, 200, single.text);
    const batch = await send(`${fp.url}/v1/batch`, {
      headers: json,
      body: { writeKey: WRITE_KEY, batch: [trackEvent('auth-body-batch')] },
    });
    assert.equal(batch.status, 200, batch.text);
    await waitForId(fp.url, 'auth-body-batch');
  });

  it('answers a request without any key with 401 missing_write_key on every ingestion endpoint, storing nothing', async () => {
    for (const path of [
      '/v1/batch',
      '/v1/import',
      '/v1/track',
      '/v1/page',
      '/v1/identify',
      '/v1/screen',
      '/v1/group',
      '/v1/alias',
      '/v1/e',
    ]) {
      const body = path === '/v1/batch' || path === '/v1/import' ? { batch: [trackEvent('auth-none')] } : trackEvent('auth-none');
      const res = await send(`${fp.url}${path}`, { headers: json, body });
      assertError(res, 401, 'missing_write_key');
      assert.match(res.body.error.message, /Basic/);
      assert.equal(res.headers.get('access-control-allow-origin'), '*', 'browsers must be able to read the 401');
    }
    await assertNotStored(fp.url, 'auth-none');
  });

  it('answers an empty ?key= and an empty Basic username as a missing key', async () => {
    const q = await send(`${fp.url}/v1/track?key=`, { headers: json, body: trackEvent('auth-empty') });
    assertError(q, 401, 'missing_write_key');
    const b = await send(`${fp.url}/v1/track`, {
      headers: { ...json, authorization: basicWithPassword('', 'x') },
      body: trackEvent('auth-empty'),
    });
    assertError(b, 401, 'missing_write_key');
  });

  it('treats an unsupported Authorization scheme as no credential, and says which scheme was not read', async () => {
    const res = await send(`${fp.url}/v1/track`, {
      headers: { ...json, authorization: `Token ${WRITE_KEY}` },
      body: trackEvent('auth-scheme'),
    });
    assertError(res, 401, 'missing_write_key', 'Authorization');
    assert.match(res.body.error.message, /the Authorization scheme "Token" is not read here/);
    // A bare key: named as such, and not echoed back.
    const bare = await send(`${fp.url}/v1/track`, { headers: { ...json, authorization: WRITE_KEY }, body: trackEvent('auth-scheme') });
    assertError(bare, 401, 'missing_write_key', 'Authorization');
    assert.match(bare.body.error.message, /has no scheme before the key/);
    assert.equal(bare.text.includes(WRITE_KEY), false);
    await assertNotStored(fp.url, 'auth-scheme');
  });

  it('answers a wrong key with 401 invalid_write_key however it is sent, storing nothing', async () => {
    const wrong = 'not_a_known_key_123';
    const attempts: Array<[string, Record<string, string>, unknown]> = [
      ['/v1/track', { ...json, authorization: basicAuth(wrong) }, trackEvent('auth-wrong')],
      ['/v1/track', { ...json, authorization: `Bearer ${wrong}` }, trackEvent('auth-wrong')],
      [`/v1/track?key=${wrong}`, json, trackEvent('auth-wrong')],
      ['/v1/track', json, { ...trackEvent('auth-wrong'), writeKey: wrong }],
      ['/v1/batch', json, { writeKey: wrong, batch: [trackEvent('auth-wrong')] }],
      ['/v1/track', { ...json, authorization: 'Basic !!!not-base64!!!' }, trackEvent('auth-wrong')],
    ];
    for (const [path, headers, body] of attempts) {
      const res = await send(`${fp.url}${path}`, { headers, body });
      assertError(res, 401, 'invalid_write_key');
    }
    await assertNotStored(fp.url, 'auth-wrong');
  });

  it('rejects a write key that differs from a valid one only in letter case', async () => {
    const res = await send(`${fp.url}/v1/track`, {
      headers: { ...json, authorization: basicAuth(WRITE_KEY.toUpperCase()) },
      body: trackEvent('x'),
    });
    assertError(res, 401, 'invalid_write_key');
  });

  it('does not let a valid writeKey in the body rescue a wrong key in the Authorization header', async () => {
    const res = await send(`${fp.url}/v1/track`, {
      headers: { ...json, authorization: basicAuth('wrong_key_12345') },
      body: { ...trackEvent('auth-rescue'), writeKey: WRITE_KEY },
    });
    assertError(res, 401, 'invalid_write_key');
    await assertNotStored(fp.url, 'auth-rescue');
  });

  it('rejects the admin token used as a write key with 401 invalid_write_key, however it is sent', async () => {
    const attempts: Array<[string, Record<string, string>, unknown]> = [
      ['/v1/track', { ...json, ...adminAuth }, trackEvent('auth-admin-as-key')],
      ['/v1/batch', { ...json, ...adminAuth }, { batch: [trackEvent('auth-admin-as-key')] }],
      ['/v1/track', { ...json, authorization: basicAuth(ADMIN_TOKEN) }, trackEvent('auth-admin-as-key')],
      [`/v1/e?key=${ADMIN_TOKEN}`, { 'content-type': 'text/plain' }, trackEvent('auth-admin-as-key')],
      ['/v1/track', json, { ...trackEvent('auth-admin-as-key'), writeKey: ADMIN_TOKEN }],
    ];
    for (const [path, headers, body] of attempts) {
      const res = await send(`${fp.url}${path}`, { headers, body });
      assertError(res, 401, 'invalid_write_key');
    }
    await assertNotStored(fp.url, 'auth-admin-as-key');
  });
});

describe('admin authentication on the read API', () => {
  let fp: InProcess;
  before(async () => {
    fp = await startInProcess();
  });
  after(async () => {
    await fp.dispose();
  });

  it('answers GET /v1/events with the admin Bearer token with 200 and a page of events', async () => {
    const res = await readEvents(fp.url);
    assert.equal(res.status, 200, res.text);
    assert.ok(Array.isArray(res.body.events));
    assert.ok('next_cursor' in res.body);
  });

  it('answers GET /v1/events without a token with 401 missing_admin_token', async () => {
    assertError(await readEvents(fp.url, '', {}), 401, 'missing_admin_token');
  });

  it('answers GET /v1/events with a write key (Basic or Bearer) with 403 forbidden', async () => {
    const basic = await readEvents(fp.url, '', { authorization: basicAuth() });
    assertError(basic, 403, 'forbidden');
    assert.match(basic.body.error.message, /admin token/);
    assertError(await readEvents(fp.url, '', { authorization: `Bearer ${WRITE_KEY}` }), 403, 'forbidden');
  });

  it('answers GET /v1/events with a wrong Bearer token with 401 invalid_admin_token', async () => {
    assertError(await readEvents(fp.url, '', { authorization: 'Bearer wrong_admin_token' }), 401, 'invalid_admin_token');
    assertError(await readEvents(fp.url, '', { authorization: `Bearer ${ADMIN_TOKEN}x` }), 401, 'invalid_admin_token');
    assertError(await readEvents(fp.url, '', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }), 401, 'invalid_admin_token');
  });

  it('accepts the admin token only as a Bearer token, not as HTTP Basic nor as ?key=', async () => {
    const basic = await readEvents(fp.url, '', { authorization: basicAuth(ADMIN_TOKEN) });
    assertError(basic, 401, 'invalid_admin_token');
    assert.match(basic.body.error.message, /as "Authorization: Bearer <token>", not as HTTP Basic/);
    assertError(await readEvents(fp.url, `key=${ADMIN_TOKEN}`, {}), 401, 'missing_admin_token');
  });
});

describe('projects with their own write keys', () => {
  const SHOP_KEY = 'shop_write_key_1';
  let fp: InProcess;
  let dir: string;
  before(async () => {
    dir = await tempDataDir();
    await mkdir(dir, { recursive: true });
    await writeFile(
      `${dir}/keys.json`,
      JSON.stringify({
        adminToken: 'file_admin_token_unused',
        projects: [
          { id: 'default', writeKeys: [] },
          { id: 'shop', writeKeys: [SHOP_KEY] },
        ],
      }),
    );
    fp = await startInProcess({}, dir);
  });
  after(async () => {
    await fp.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores events under the project whose write key sent them, and the project filter separates them', async () => {
    const a = await send(`${fp.url}/v1/track`, { headers: { ...json, authorization: basicAuth(SHOP_KEY) }, body: trackEvent('proj-shop') });
    const b = await send(`${fp.url}/v1/track`, { headers: { ...json, authorization: basicAuth() }, body: trackEvent('proj-default') });
    assert.equal(a.status, 200, a.text);
    assert.equal(b.status, 200, b.text);
    assert.equal((await waitForId(fp.url, 'proj-shop')).project_id, 'shop');
    assert.equal((await waitForId(fp.url, 'proj-default')).project_id, 'default');
    const shop = await readEvents(fp.url, 'project=shop');
    assert.deepEqual(
      shop.body.events.map((e: Json) => e.id),
      ['proj-shop'],
    );
  });

  it('pages through rows that share timestamp and id across projects without skipping one', async () => {
    const same = { type: 'track', event: 'Twin', messageId: 'twin-id', anonymousId: 'a', timestamp: '2026-03-01T00:00:00.000Z' };
    for (const key of [SHOP_KEY, undefined]) {
      const res = await send(`${fp.url}/v1/track`, { headers: { ...json, authorization: basicAuth(key) }, body: same });
      assert.equal(res.status, 200, res.text);
    }
    await eventually(async () => ((await readEvents(fp.url, 'event=Twin')).body.events.length === 2 ? true : undefined));
    const seen: string[] = [];
    let cursor = '';
    do {
      const page = await readEvents(fp.url, `event=Twin&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200, page.text);
      seen.push(...page.body.events.map((e: Json) => `${e.project_id}/${e.id}`));
      cursor = page.body.next_cursor ?? '';
    } while (cursor);
    assert.deepEqual(seen.sort(), ['default/twin-id', 'shop/twin-id']);
  });

  it('stops accepting the default project keys of keys.json once FOOTPRINT_WRITE_KEY is set', async () => {
    const other = await tempDataDir();
    await writeFile(
      `${other}/keys.json`,
      JSON.stringify({
        adminToken: 'x'.repeat(24),
        projects: [
          { id: 'default', writeKeys: ['leaked_old_key'] },
          { id: 'shop', writeKeys: [SHOP_KEY] },
        ],
      }),
    );
    const app = await startInProcess({}, other);
    try {
      const body = trackEvent('after-revoke');
      assertError(
        await send(`${app.url}/v1/track`, { headers: { ...json, authorization: basicAuth('leaked_old_key') }, body }),
        401,
        'invalid_write_key',
      );
      assert.equal((await send(`${app.url}/v1/track`, { headers: { ...json, authorization: basicAuth() }, body })).status, 200);
      assert.equal((await send(`${app.url}/v1/track`, { headers: { ...json, authorization: basicAuth(SHOP_KEY) }, body })).status, 200);
    } finally {
      await app.dispose();
      await rm(other, { recursive: true, force: true });
    }
  });

  it('refuses to start with a keys.json it cannot use, naming the field, and leaves the file as it was', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ adminToken: 'x'.repeat(24) }, /keys\.json: projects is required/],
      [{ projects: [{ id: 'default' }] }, /keys\.json: projects\[0\]\.writeKeys is required/],
      [{ projects: [{ id: 'default', writeKeys: ['short'] }] }, /keys\.json: projects\[0\]\.writeKeys\[0\] must/],
      [
        {
          projects: [
            { id: 'a', writeKeys: [] },
            { id: 'a', writeKeys: [] },
          ],
        },
        /projects\[1\]\.id "a" appears twice/,
      ],
      [
        {
          projects: [
            { id: 'a', writeKeys: [SHOP_KEY] },
            { id: 'b', writeKeys: [SHOP_KEY] },
          ],
        },
        /holds a key of project "a" too/,
      ],
      [{ adminToken: SHOP_KEY, projects: [{ id: 'shop', writeKeys: [SHOP_KEY] }] }, /holds the admin token/],
      ['not an object', /keys\.json: the file must be an object/],
      // The tests' FOOTPRINT_WRITE_KEY, already another project's key: its events would land in "default".
      [{ projects: [{ id: 'shop', writeKeys: [WRITE_KEY] }] }, /FOOTPRINT_WRITE_KEY is a write key of project "shop"/],
    ];
    for (const [content, rule] of cases) {
      const dir = await tempDataDir();
      const text = JSON.stringify(content);
      await writeFile(`${dir}/keys.json`, text);
      await assert.rejects(startInProcess({}, dir), (err: Error) => rule.test(err.message), text);
      assert.equal(await readFile(`${dir}/keys.json`, 'utf8'), text);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lets FOOTPRINT_ADMIN_TOKEN override the admin token in keys.json', async () => {
    assertError(await readEvents(fp.url, '', { authorization: 'Bearer file_admin_token_unused' }), 401, 'invalid_admin_token');
    assert.equal((await readEvents(fp.url)).status, 200);
  });
});
