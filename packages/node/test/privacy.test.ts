/**
 * Masking inside the application: with `beforeSend` and @footprint/privacy's engine, no raw
 * personal data leaves the process. A real HTTP server in place of the collector records
 * the bytes that arrive.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { compileMasker, maskEvent } from '@footprint/privacy';
import { createFootprint } from '../src/index.js';

describe('masking before events leave the process', () => {
  let server: Server;
  let url: string;
  const bodies: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        bodies.push((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8'));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"success":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
  });

  it('sends no raw email, phone, password or address when beforeSend masks with the privacy engine', async () => {
    const masker = compileMasker({ secret: 'app-side-secret' });
    const fp = createFootprint({ endpoint: url, writeKey: 'test_write_key_1', outbox: false, beforeSend: (e) => maskEvent(masker, e) });
    fp.track({
      event: 'Signed Up',
      userId: 'kim.minsu@example.com',
      properties: { phone: '010-9876-5432', password: 'hunter2', plan: 'pro' },
    });
    fp.log.info('login ok for kim.minsu@example.com from 203.0.113.77', { session_token: 'tok_abcdef123456' });
    const result = await fp.shutdown({ timeoutMs: 5_000 });
    assert.equal(result.ok, true);
    const sent = bodies.join('\n');
    assert.ok(sent.includes('Signed Up'), 'the events were sent');
    assert.ok(sent.includes('"plan":"pro"'), 'what is not personal is kept');
    for (const raw of ['kim.minsu@example.com', '010-9876-5432', 'hunter2', '203.0.113.77', 'tok_abcdef123456']) {
      assert.equal(sent.includes(raw), false, `${raw} left the process`);
    }
    assert.ok(sent.includes('k***@example.com'));
  });
});
