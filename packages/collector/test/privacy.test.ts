/**
 * Masking before disk: personal data sent in every place an event can hold it never
 * reaches the WAL files nor the database, while the rest of the event is kept.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { basicAuth, eventually, listAll, post, spawnCollector, startInProcess, tempDirs } from './support/collector.js';

const RAW = {
  email: 'kim.minsu@example.com',
  email2: 'lee.jiwoo@example.org',
  phone: '010-9876-5432',
  card: '4111 1111 1111 1111',
  password: 'hunter2-Secret!',
  token: 'tok_9f8e7d6c5b4a39281706',
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJraW0ifQ.c2lnbmF0dXJlLXZhbHVlLWhlcmU',
  ipv4: '203.0.113.77',
  ipv6: '2001:db8:85a3:8d3:1319:8a2e:370:7348',
  /** An IPv4 client as a server listening on :: sees it. */
  ipv4mapped: '::ffff:198.51.100.23',
  /** Written with a port in an error message (`host:port`). */
  dbHost: '198.18.7.33',
  /** A list of addresses (an X-Forwarded-For value) given as the ip. */
  forwarded1: '192.0.2.201',
  forwarded2: '10.20.30.40',
  bearer: 'Bearer sk_live_abcdef0123456789',
} as const;
/** Kept raw on purpose: proves the byte search can find what is there. */
const CANARY = 'canary-value-kept-raw-7731';

function everyPlaceEvents(): unknown[] {
  const url = `https://shop.example/checkout?email=${encodeURIComponent(RAW.email)}&token=${RAW.token}&step=2`;
  return [
    {
      type: 'track',
      event: 'Order Completed',
      messageId: 'pii-track',
      userId: RAW.email,
      properties: {
        note: CANARY,
        buyer: { email: RAW.email, phone: RAW.phone, password: RAW.password },
        payments: [{ card: RAW.card }, `paid with ${RAW.card}`],
        apiKey: RAW.token,
        comment: `call me on ${RAW.phone} or mail ${RAW.email2}`,
      },
      context: { ip: `${RAW.ipv4}:51234`, page: { url, referrer: `https://mail.example/?to=${RAW.email}` }, cookie: `sid=${RAW.token}` },
    },
    {
      type: 'identify',
      messageId: 'pii-identify',
      userId: RAW.email,
      traits: { email: RAW.email, phone: RAW.phone, history: [[{ ip: RAW.ipv6 }, { ip: RAW.ipv4mapped }]] },
    },
    {
      type: 'log',
      messageId: 'pii-log',
      properties: {
        level: 'info',
        message: `login ok for ${RAW.email} from ${RAW.ipv4} (proxy saw ${RAW.ipv4mapped}) with ${RAW.jwt}; db ${RAW.dbHost}:5432: timeout`,
        authorization: RAW.bearer,
      },
    },
    {
      type: 'error',
      messageId: 'pii-error',
      properties: {
        message: `Payment failed for ${RAW.email}`,
        error_type: 'PaymentError',
        stack: `PaymentError: card ${RAW.card} declined\n    at charge (/app/pay.js:12:3)\n    headers: ${RAW.bearer}`,
      },
      context: { ip: `${RAW.forwarded1}, ${RAW.forwarded2}` },
    },
    {
      type: 'request',
      messageId: 'pii-request',
      properties: {
        method: 'POST',
        path: `/api/users/${RAW.email}/reset`,
        status: 200,
        duration_ms: 12,
        query: `token=${RAW.token}&phone=${RAW.phone}`,
        ip: `[${RAW.ipv6}]:443`,
        headers: { Authorization: RAW.bearer, 'X-Api-Key': RAW.token },
      },
    },
  ];
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

describe('masking before disk', () => {
  const dirs = tempDirs();
  after(dirs.removeAll);

  it('keeps every raw email, phone, card, password, token, JWT and full IP out of the WAL and the database', async () => {
    const dataDir = await dirs.make('fp-privacy-');
    const fp = await spawnCollector(dataDir, { FOOTPRINT_TRUSTED_PROXIES: '127.0.0.1' });
    const res = await fetch(`${fp.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: basicAuth(), 'content-type': 'application/json', 'x-forwarded-for': RAW.ipv4 },
      body: JSON.stringify({ batch: everyPlaceEvents() }),
    });
    assert.equal(res.status, 200, await res.text());
    const rows = await eventually(async () => {
      const all = await listAll(fp.url);
      return all.length === 5 ? all : undefined;
    });
    const byId = new Map(rows.map((r) => [r.id, r]));
    // What stays useful is still there, masked in shape.
    const track = byId.get('pii-track');
    assert.equal(track.properties.note, CANARY);
    assert.equal(track.properties.buyer.email, 'k***@example.com');
    assert.equal(track.properties.buyer.phone, '***-****-5432');
    assert.equal(track.properties.buyer.password, undefined);
    assert.equal(track.properties.apiKey, undefined);
    assert.equal(track.ip, '203.0.113.0');
    assert.match(track.user_id, /^h:[0-9a-f]{20}$/);
    assert.equal(byId.get('pii-identify').user_id, track.user_id, 'the hashed user id still joins');
    assert.equal(byId.get('pii-request').ip, '2001:db8:85a3::');
    assert.match(byId.get('pii-error').error_fingerprint, /^[0-9a-f]{16}$/);
    assert.equal(byId.get('pii-error').ip, '192.0.2.0, 10.20.30.0');
    assert.match(byId.get('pii-log').message, /; db 198\.18\.7\.0:5432: timeout$/);
    fp.proc.kill('SIGTERM');
    assert.equal((await fp.exited).code, 0);

    const files = await filesUnder(dataDir);
    const walFiles = files.filter((f) => f.endsWith('.jsonl'));
    assert.ok(walFiles.length > 0);
    const walText = (await Promise.all(walFiles.map((f) => readFile(f, 'utf8')))).join('');
    assert.ok(walText.includes(CANARY), 'the search must be able to find a value that was kept');
    for (const file of files) {
      const bytes = await readFile(file);
      for (const [name, raw] of Object.entries(RAW)) {
        for (const form of [raw, encodeURIComponent(raw), raw.replace(/\s/g, '')]) {
          assert.equal(bytes.includes(Buffer.from(form)), false, `${name} (${form}) found in ${file}`);
        }
      }
    }

    // And inside the database, whatever its compression: search every column as text.
    const instance = await DuckDBInstance.create(join(dataDir, 'footprint.duckdb'));
    const conn = await instance.connect();
    const all = (await conn.runAndReadAll('SELECT to_json(e)::VARCHAR FROM events e')).getRows().map((r) => String(r[0]));
    conn.closeSync();
    instance.closeSync();
    assert.equal(all.length, 5);
    assert.ok(all.some((t) => t.includes(CANARY)));
    for (const [name, raw] of Object.entries(RAW)) {
      assert.equal(
        all.some((t) => t.includes(raw)),
        false,
        `${name} found in the events table`,
      );
    }
  });

  it('hashes equal emails to one value, so two events of one person count as one user', async () => {
    const dir = await dirs.make('fp-hash-');
    const settings = join(dir, 'footprint.config.json');
    await writeFile(settings, JSON.stringify({ projects: { default: { privacy: { rules: [{ detector: 'email', action: 'hash' }] } } } }));
    const fp = await startInProcess({ FOOTPRINT_CONFIG: settings });
    try {
      const batch = [
        {
          type: 'track',
          event: 'Signed Up',
          messageId: 'h1',
          userId: 'Kim.Minsu@Example.com',
          properties: { email: 'kim.minsu@example.com' },
        },
        {
          type: 'track',
          event: 'Purchased',
          messageId: 'h2',
          userId: 'kim.minsu@example.com',
          properties: { email: 'kim.minsu@example.com' },
        },
        { type: 'track', event: 'Purchased', messageId: 'h3', userId: 'lee@example.org', properties: { email: 'lee@example.org' } },
      ];
      assert.equal((await post(`${fp.url}/v1/batch`, { batch })).status, 200);
      const rows = await eventually(async () => {
        const all = await listAll(fp.url);
        return all.length === 3 ? all : undefined;
      });
      const users = new Set(rows.map((r) => r.user_id));
      assert.equal(users.size, 2, 'two people, two users');
      const emails = new Set(rows.map((r) => r.properties.email));
      assert.equal(emails.size, 2);
      for (const e of emails) assert.match(e, /^h:[0-9a-f]{20}$/);
    } finally {
      await fp.dispose();
    }
  });

  it('refuses to start with a privacy rule that does not compile, naming it', async () => {
    const dir = await dirs.make('fp-badrule-');
    const settings = join(dir, 'footprint.config.json');
    await writeFile(settings, JSON.stringify({ projects: { default: { privacy: { rules: [{ key: '([', action: 'remove' }] } } } }));
    await assert.rejects(
      startInProcess({ FOOTPRINT_CONFIG: settings }, dir),
      /projects\.default\.privacy\.rules\[0\]\.key: not a valid regular expression/,
    );
    await writeFile(settings, JSON.stringify({ projects: { default: { privacy: { rules: [{ key: 'x', action: 'scramble' }] } } } }));
    await assert.rejects(startInProcess({ FOOTPRINT_CONFIG: settings }, dir), /projects\.default\.privacy\.rules\[0\]\.action/);
  });

  it('gives cookieless visitors a daily id from address and browser, the same all day', async () => {
    const dir = await dirs.make('fp-visitor-');
    const settings = join(dir, 'footprint.config.json');
    await writeFile(settings, JSON.stringify({ projects: { default: { privacy: { cookielessVisitorId: true } } } }));
    const fp = await startInProcess({ FOOTPRINT_CONFIG: settings });
    try {
      const page = (id: string, ua: string) => ({ type: 'click', messageId: id, properties: { tag: 'a' }, context: { userAgent: ua } });
      const batch = [page('v1', 'Mozilla/5.0 A'), page('v2', 'Mozilla/5.0 A'), page('v3', 'Mozilla/5.0 B')];
      assert.equal((await post(`${fp.url}/v1/batch`, { batch })).status, 200);
      const rows = await eventually(async () => {
        const all = await listAll(fp.url);
        return all.length === 3 ? all : undefined;
      });
      const ids = new Map(rows.map((r) => [r.id, r.anonymous_id]));
      assert.match(ids.get('v1'), /^v:[A-Za-z0-9_-]{22}$/);
      assert.equal(ids.get('v1'), ids.get('v2'));
      assert.notEqual(ids.get('v1'), ids.get('v3'));
      const salt = JSON.parse(await readFile(join(fp.dataDir, 'visitor-salt.json'), 'utf8'));
      assert.equal(salt.day, new Date().toISOString().slice(0, 10));
    } finally {
      await fp.dispose();
    }
  });
});
