import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { basicAuth, type InProcess, startInProcess, trackEvent, WRITE_KEY } from './support/collector.js';
import {
  assertError,
  assertHealthy,
  barrier,
  type Json,
  jsonHeaders,
  rawHttp,
  readEvents,
  send,
  storedEvents,
  streamChunks,
  waitForId,
  waitForIds,
} from './support/http-client.js';

const KB = 1024;
const deepObjects = (n: number): string => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
const deepArrays = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
/** A track event as JSON text whose properties.a is `inner` (raw JSON). */
const trackWith = (id: string, inner: string): string =>
  `{"type":"track","event":"hostile","anonymousId":"h","messageId":"${id}","properties":{"a":${inner}}}`;

function assertPrototypeClean(): void {
  const probe = {} as Record<string, unknown>;
  assert.equal(probe.polluted, undefined, 'Object.prototype was polluted');
  assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false, 'Object.prototype was polluted');
  assert.equal(probe.type, undefined, 'Object.prototype was polluted with an event field');
}

describe('hostile input', () => {
  let fp: InProcess;
  let baseline: Json[];
  /** Non-barrier events that should be stored right now. */
  let expected = 0;

  before(async () => {
    fp = await startInProcess();
    const res = await send(`${fp.url}/v1/batch`, {
      body: { batch: [0, 1, 2].map((i) => trackEvent(`baseline-${i}`, { event: 'baseline', properties: { i } })) },
    });
    assert.equal(res.status, 200);
    baseline = [...(await waitForIds(fp.url, ['baseline-0', 'baseline-1', 'baseline-2'])).values()];
    expected = 3;
  });
  after(async () => {
    await fp.dispose();
  });

  afterEach(async () => {
    // After every hostile request: still healthy, earlier events unchanged, nothing unexpected stored.
    await assertHealthy(fp.url);
    await barrier(fp.url);
    const rows = await storedEvents(fp.url);
    for (const b of baseline) {
      assert.deepEqual(
        rows.find((r) => r.id === b.id),
        b,
        `stored event ${b.id} changed`,
      );
    }
    assert.equal(rows.length, expected, `expected ${expected} stored events, found ${rows.length}: ${rows.map((r) => r.id).join(', ')}`);
    assertPrototypeClean();
  });

  describe('invalid text', () => {
    it('answers invalid UTF-8 bytes with 400 invalid_utf8', async () => {
      const prefix = Buffer.from('{"type":"track","event":"');
      const suffix = Buffer.from('","anonymousId":"a"}');
      const bad = [
        Buffer.from([0xff]),
        Buffer.from([0xc0, 0xaf]), // overlong "/"
        Buffer.from([0xed, 0xa0, 0x80]), // a UTF-16 surrogate encoded as UTF-8
        Buffer.from([0xe2, 0x82]), // truncated sequence
        Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]), // 5-byte form
        Buffer.from([0x80]), // lone continuation byte
      ];
      for (const bytes of bad) {
        const body = Buffer.concat([prefix, bytes, suffix]);
        assertError(await send(`${fp.url}/v1/track`, { body }), 400, 'invalid_utf8', 'body');
        assertError(
          await send(`${fp.url}/v1/batch`, { body: Buffer.concat([Buffer.from('['), body, Buffer.from(']')]) }),
          400,
          'invalid_utf8',
          'body',
        );
      }
    });

    it('answers invalid UTF-8 inside a gzip body with 400 invalid_utf8', async () => {
      const { gzipSync } = await import('node:zlib');
      const body = gzipSync(Buffer.concat([Buffer.from('{"batch":[{"type":"track","event":"'), Buffer.from([0xfe]), Buffer.from('"}]}')]));
      assertError(
        await send(`${fp.url}/v1/batch`, { headers: jsonHeaders({ 'content-encoding': 'gzip' }), body }),
        400,
        'invalid_utf8',
        'body',
      );
    });

    it('answers a lone surrogate escape ("\\ud800") with 400 invalid_unicode naming the path', async () => {
      const res = await send(`${fp.url}/v1/track`, { body: '{"event":"x","anonymousId":"a","properties":{"name":"ab\\ud800cd"}}' });
      assertError(res, 400, 'invalid_unicode', 'properties.name');
      assert.match(res.body.error.message, /surrogate/);
      const low = await send(`${fp.url}/v1/track`, { body: '{"event":"x\\udfff","anonymousId":"a"}' });
      assertError(low, 400, 'invalid_unicode', 'event');
      const reversed = await send(`${fp.url}/v1/track`, {
        body: '{"event":"x","anonymousId":"a","properties":{"list":["ok","\\ude00\\ud83d"]}}',
      });
      assertError(reversed, 400, 'invalid_unicode', 'properties.list[1]');
    });

    it('answers a lone surrogate inside a key with 400 invalid_unicode', async () => {
      const res = await send(`${fp.url}/v1/track`, { body: '{"event":"x","anonymousId":"a","context":{"k\\ud800":1}}' });
      assertError(res, 400, 'invalid_unicode');
      assert.ok(res.body.error.path.startsWith('context.k'), res.text);
    });

    it('rejects only the batch event with a lone surrogate, naming its index and path', async () => {
      const body = `{"batch":[${JSON.stringify(trackEvent('surrogate-ok'))},{"type":"track","event":"x","anonymousId":"a","properties":{"t":"\\ud800"}}]}`;
      const res = await send(`${fp.url}/v1/batch`, { body });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(
        res.body.rejected.map((r: Json) => [r.index, r.code, r.path]),
        [[1, 'invalid_unicode', 'batch[1].properties.t']],
      );
      await waitForId(fp.url, 'surrogate-ok');
      expected += 1;
    });

    it('stores a well-formed surrogate pair escape as the character it encodes', async () => {
      const res = await send(`${fp.url}/v1/track`, { body: `{"event":"emoji \\ud83d\\ude00","anonymousId":"a","messageId":"pair-ok"}` });
      assert.equal(res.status, 200, res.text);
      assert.equal((await waitForId(fp.url, 'pair-ok')).event, 'emoji 😀');
      expected += 1;
    });

    it('stores NUL characters in names, keys and values exactly and finds them again by filter', async () => {
      const event = 'nul\u0000event';
      const res = await send(`${fp.url}/v1/track`, {
        body: trackEvent('nul-1', { event, userId: 'u\u00001', properties: { 'k\u0000ey': 'v\u0000al' }, context: { note: '\u0000' } }),
      });
      assert.equal(res.status, 200, res.text);
      const row = await waitForId(fp.url, 'nul-1');
      assert.equal(row.event, event);
      assert.equal(row.user_id, 'u\u00001');
      assert.deepEqual(row.properties, { 'k\u0000ey': 'v\u0000al' });
      assert.deepEqual(row.context, { note: '\u0000' });
      const found = await readEvents(fp.url, `event=${encodeURIComponent(event)}`);
      assert.deepEqual(
        found.body.events.map((e: Json) => e.id),
        ['nul-1'],
      );
      expected += 1;
    });

    it('answers an unescaped control byte inside a JSON string with 400 invalid_json', async () => {
      const body = Buffer.concat([Buffer.from('{"event":"a'), Buffer.from([0x00]), Buffer.from('b","anonymousId":"a"}')]);
      assertError(await send(`${fp.url}/v1/track`, { body }), 400, 'invalid_json', 'body');
    });
  });

  describe('deep nesting', () => {
    it('answers 10,000 levels of nested objects in a batch event with 400 too_deep', async () => {
      const body = `{"batch":[${trackWith('deep-10k-objects', deepObjects(10_000))}]}`;
      const res = await send(`${fp.url}/v1/batch`, { body });
      assertError(res, 400, 'too_deep');
      assert.ok(res.body.error.path.startsWith('batch[0].properties.a.a.a'), res.body.error.path);
      assert.match(res.body.error.message, /maxDepth/);
      assert.equal(res.body.rejected[0].index, 0);
    });

    it('answers 10,000 levels of nested arrays on /v1/track with 400 too_deep', async () => {
      const res = await send(`${fp.url}/v1/track`, { body: trackWith('deep-10k-arrays', deepArrays(10_000)) });
      assertError(res, 400, 'too_deep');
      assert.ok(res.body.error.path.startsWith('properties.a[0][0]'), res.body.error.path);
    });

    it('answers 40 levels of nesting with 400 too_deep naming the path where the limit is passed', async () => {
      const res = await send(`${fp.url}/v1/track`, { body: trackWith('deep-40', deepObjects(40)) });
      assertError(res, 400, 'too_deep', `properties${'.a'.repeat(31)}`);
      assert.match(res.body.error.message, /deeper than 32 levels/);
    });

    it('accepts an event nested just within the depth limit', async () => {
      const res = await send(`${fp.url}/v1/track`, { body: trackWith('deep-ok', deepObjects(29)) });
      assert.equal(res.status, 200, res.text);
      await waitForId(fp.url, 'deep-ok');
      expected += 1;
    });

    it('rejects 100,000 levels of arrays in one batch event and still stores its valid neighbour', async () => {
      const body = `{"batch":[${trackWith('deep-100k', deepArrays(100_000))},${JSON.stringify(trackEvent('deep-neighbour'))}]}`;
      const res = await send(`${fp.url}/v1/batch`, { body });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.accepted, 1);
      assert.equal(res.body.rejected[0].code, 'too_deep');
      await waitForId(fp.url, 'deep-neighbour');
      expected += 1;
    });

    it('answers a batch whose events are themselves 10,000 nested arrays with 400', async () => {
      assertError(await send(`${fp.url}/v1/batch`, { body: `{"batch":[${deepArrays(10_000)}]}` }), 400, 'not_an_object', 'batch[0]');
      assertError(await send(`${fp.url}/v1/batch`, { body: deepArrays(100_000) }), 400, 'not_an_object', 'batch[0]');
    });

    it('answers deep nesting in a batch-level context with too_deep for every event', async () => {
      const body = `{"context":{"x":${deepObjects(5_000)}},"batch":[${JSON.stringify(trackEvent('deep-ctx-0'))},${JSON.stringify(trackEvent('deep-ctx-1'))}]}`;
      const res = await send(`${fp.url}/v1/batch`, { body });
      assertError(res, 400, 'too_deep');
      assert.deepEqual(
        res.body.rejected.map((r: Json) => r.code),
        ['too_deep', 'too_deep'],
      );
    });

    it('answers deep nesting that also holds __proto__ keys with 400 too_deep', async () => {
      const inner = `${'{"__proto__":{"polluted":1},"a":'.repeat(3_000)}1${'}'.repeat(3_000)}`;
      const res = await send(`${fp.url}/v1/batch`, { body: `{"batch":[${trackWith('deep-proto', inner)}]}` });
      assertError(res, 400, 'too_deep');
    });
  });

  describe('huge values', () => {
    it('rejects a batch event holding a 400 KB string by its index and stores the rest of the batch', async () => {
      const huge = trackEvent('huge-string', { properties: { blob: 'x'.repeat(400 * KB) } });
      const res = await send(`${fp.url}/v1/batch`, { body: { batch: [huge, trackEvent('huge-neighbour')] } });
      assert.equal(res.status, 200, res.text.slice(0, 500));
      assert.equal(res.body.accepted, 1);
      assert.deepEqual(res.body.rejected, [
        { index: 0, code: 'event_too_large', path: 'batch[0]', message: 'batch[0] is larger than 32 KB (limit maxEventBytes)' },
      ]);
      await waitForId(fp.url, 'huge-neighbour');
      expected += 1;
    });

    it('rejects a batch event with a 400 KB key the same way', async () => {
      const body = `{"batch":[{"type":"track","event":"x","anonymousId":"a","properties":{"${'k'.repeat(400 * KB)}":1}}]}`;
      const res = await send(`${fp.url}/v1/batch`, { body });
      assertError(res, 400, 'event_too_large', 'batch[0]');
      assert.ok(res.text.length < 2 * KB, 'the error echoes the huge key back');
    });

    it('answers a 5 MB body with 413, whether announced or streamed', async () => {
      const body = `{"batch":[{"type":"track","event":"x","anonymousId":"a","properties":{"s":"${'x'.repeat(5 * KB * KB)}"}}]}`;
      assertError(await send(`${fp.url}/v1/batch`, { body }), 413, 'payload_too_large', 'body');
      const chunks = Array.from({ length: 80 }, () => Buffer.alloc(64 * KB, 0x78));
      assertError(await streamChunks(`${fp.url}/v1/batch`, chunks), 413, 'payload_too_large', 'body');
      assertError(await send(`${fp.url}/v1/track`, { body }), 413, 'payload_too_large', 'body');
    });

    it('refuses numbers that cannot be stored as sent (1e400, integers past 2^53) anywhere, naming the field', async () => {
      const event = (props: string): string => `{"event":"big numbers","anonymousId":"a","properties":${props}}`;
      for (const [props, path] of [
        ['{"big":1e400}', 'properties.big'],
        ['{"ok":1,"small":-1e400}', 'properties.small'],
        ['{"order":{"id":9007199254740993}}', 'properties.order.id'],
        ['{"ids":[1,-9007199254740992]}', 'properties.ids[1]'],
      ] as const) {
        const res = await send(`${fp.url}/v1/track`, { body: event(props) });
        assertError(res, 400, 'invalid_field', path);
        assert.match(res.body.error.message, /finite|stored exactly/);
      }
      // In a batch only that event is refused; the largest exact integers and tiny numbers are kept.
      const res = await send(`${fp.url}/v1/batch`, {
        body: `{"batch":[{"type":"track","event":"x","anonymousId":"a","properties":{"n":1e400}},{"type":"track","event":"big numbers","anonymousId":"a","messageId":"num-edge","properties":{"max":9007199254740991,"min":-9007199254740991,"tiny":1e-400,"ok":1.5}}]}`,
      });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(
        res.body.rejected.map((r: { index: number; path: string }) => [r.index, r.path]),
        [[0, 'batch[0].properties.n']],
      );
      const row = await waitForId(fp.url, 'num-edge');
      assert.deepEqual(row.properties, { max: 9007199254740991, min: -9007199254740991, tiny: 0, ok: 1.5 });
      expected += 1;
    });

    it('rejects 1e400 in typed numeric fields and ids, naming the field', async () => {
      const req = (field: string, value: string): string =>
        `{"type":"request","properties":{"method":"GET","path":"/","status":200,"duration_ms":1,"${field}":${value}}}`;
      assertError(
        await send(`${fp.url}/v1/e?key=${WRITE_KEY}`, { body: req('status', '1e400') }),
        400,
        'invalid_field',
        'properties.status',
      );
      assertError(
        await send(`${fp.url}/v1/e?key=${WRITE_KEY}`, { body: req('duration_ms', '1e400') }),
        400,
        'invalid_field',
        'properties.duration_ms',
      );
      assertError(await send(`${fp.url}/v1/track`, { body: '{"event":"x","userId":1e400}' }), 400, 'invalid_field', 'userId');
      assertError(
        await send(`${fp.url}/v1/track`, { body: '{"event":"x","anonymousId":"a","messageId":-1e400}' }),
        400,
        'invalid_field',
        'messageId',
      );
    });
  });

  describe('prototype pollution', () => {
    const cases: Array<[string, string]> = [
      ['top-level __proto__', '{"__proto__":{"polluted":"yes"},"event":"proto","anonymousId":"a","messageId":"%ID%"}'],
      [
        '__proto__ in properties',
        '{"event":"proto","anonymousId":"a","messageId":"%ID%","properties":{"keep":1,"__proto__":{"polluted":"yes"}}}',
      ],
      [
        '__proto__ in context',
        '{"event":"proto","anonymousId":"a","messageId":"%ID%","context":{"keep":1,"__proto__":{"polluted":"yes"}}}',
      ],
      [
        'constructor.prototype in properties',
        '{"event":"proto","anonymousId":"a","messageId":"%ID%","properties":{"keep":1,"constructor":{"prototype":{"polluted":"yes"}}}}',
      ],
      [
        'constructor.prototype in context',
        '{"event":"proto","anonymousId":"a","messageId":"%ID%","context":{"keep":1,"constructor":{"prototype":{"polluted":"yes"}}}}',
      ],
      [
        'top-level constructor.prototype',
        '{"constructor":{"prototype":{"polluted":"yes"}},"event":"proto","anonymousId":"a","messageId":"%ID%"}',
      ],
      [
        'an escaped \\u005f_proto__ key',
        '{"\\u005f_proto__":{"polluted":"yes"},"event":"proto","anonymousId":"a","messageId":"%ID%","properties":{"keep":1}}',
      ],
      [
        'a nested __proto__',
        '{"event":"proto","anonymousId":"a","messageId":"%ID%","properties":{"keep":1,"x":{"y":[{"__proto__":{"polluted":"yes"}}]}}}',
      ],
    ];
    for (const [i, [name, template]] of cases.entries()) {
      it(`does not pollute Object.prototype with ${name}, and stores the event without it`, async () => {
        const id = `proto-${i}`;
        const res = await send(`${fp.url}/v1/track`, { body: template.replace('%ID%', id) });
        assert.equal(res.status, 200, res.text);
        assertPrototypeClean();
        const row = await waitForId(fp.url, id);
        const text = JSON.stringify(row);
        assert.ok(!text.includes('polluted'), `the payload was stored: ${text}`);
        assert.ok(!text.includes('__proto__'), `a __proto__ key was stored: ${text}`);
        assert.equal(row.event, 'proto');
        assert.equal(Object.getPrototypeOf(row), Object.prototype);
        if (template.includes('"keep":1')) {
          const holder = template.includes('"context":{"keep"') ? row.context : row.properties;
          assert.equal(holder.keep, 1, 'ordinary keys next to the hostile one were lost');
        }
        expected += 1;
      });
    }

    it('does not pollute through a batch body or its batch-level context', async () => {
      const body = `{"__proto__":{"polluted":"yes"},"context":{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"locale":"en"},"batch":[${JSON.stringify(
        trackEvent('proto-batch'),
      )}]}`;
      const res = await send(`${fp.url}/v1/batch`, { body });
      assert.equal(res.status, 200, res.text);
      assertPrototypeClean();
      const row = await waitForId(fp.url, 'proto-batch');
      assert.deepEqual(row.context, { locale: 'en' });
      expected += 1;
    });

    it('rejects an event whose required fields arrive only through __proto__', async () => {
      const res = await send(`${fp.url}/v1/e?key=${WRITE_KEY}`, {
        body: '{"__proto__":{"type":"track","event":"x","anonymousId":"a"},"messageId":"proto-fields"}',
      });
      assertError(res, 400, 'missing_field', 'type');
    });

    it('keeps an ordinary field named constructor', async () => {
      const res = await send(`${fp.url}/v1/track`, {
        body: trackEvent('proto-ctor', { properties: { constructor: 'Car', prototype: 'x' } }),
      });
      assert.equal(res.status, 200);
      assert.deepEqual((await waitForId(fp.url, 'proto-ctor')).properties, { constructor: 'Car', prototype: 'x' });
      expected += 1;
    });
  });

  describe('HTTP level', () => {
    it('answers headers over 16 KB with 431 and a catalogued JSON error', async () => {
      const res = await rawHttp(
        fp.port,
        `POST /v1/batch HTTP/1.1\r\nHost: x\r\nX-Long: ${'a'.repeat(20 * KB)}\r\nContent-Length: 2\r\n\r\n{}`,
      );
      assert.equal(res.status, 431, res.raw.slice(0, 300));
      assert.equal(JSON.parse(res.body).error.code, 'headers_too_large');
      assert.equal(res.headers['access-control-allow-origin'], '*');
    });

    it('accepts a 12 KB User-Agent header and parses it without hanging', async () => {
      const ua = `Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0.0.0 ${'(x'.repeat(6 * KB)}`;
      const res = await send(`${fp.url}/v1/track`, { headers: jsonHeaders({ 'user-agent': ua }), body: trackEvent('long-ua') });
      assert.equal(res.status, 200, res.text);
      assert.equal((await waitForId(fp.url, 'long-ua')).user_agent, ua);
      expected += 1;
    });

    it('answers a 12 KB garbage Authorization header with 401', async () => {
      const res = await send(`${fp.url}/v1/track`, {
        headers: jsonHeaders({ authorization: `Basic ${'A'.repeat(12 * KB)}` }),
        body: trackEvent('x'),
      });
      assertError(res, 401, 'invalid_write_key');
    });

    it('answers a malformed request line and a bad Content-Length with 400 bad_request', async () => {
      for (const text of [
        'GARBAGE\r\n\r\n',
        'POST /v1/batch HTTP/9.9\r\nHost: x\r\n\r\n',
        'POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
        'POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      ]) {
        const res = await rawHttp(fp.port, text);
        assert.equal(res.status, 400, `${JSON.stringify(text)} -> ${res.raw}`);
        assert.equal(JSON.parse(res.body).error.code, 'bad_request');
      }
    });

    it('survives a client that hangs up in the middle of a body', async () => {
      await new Promise<void>((resolve, reject) => {
        const socket = connect(fp.port, '127.0.0.1', () => {
          socket.write(
            `POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: ${basicAuth()}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"batch":[`,
          );
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 50);
        });
        socket.on('error', reject);
      });
    });

    it('answers GET, PUT, DELETE and PATCH on /v1/batch with 405 and an Allow header naming POST', async () => {
      for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
        const res = await send(`${fp.url}/v1/batch`, { method, body: method === 'GET' ? undefined : '{}' });
        assertError(res, 405, 'method_not_allowed');
        assert.match(res.body.error.message, new RegExp(`^${method} is not allowed here; use POST`));
        assert.match(res.headers.get('allow') ?? '', /POST/);
      }
      const head = await send(`${fp.url}/v1/track`, { method: 'HEAD' });
      assert.equal(head.status, 405);
    });

    it('answers POST /v1/events and POST /healthz with 405 and an Allow header naming GET', async () => {
      for (const path of ['/v1/events', '/healthz']) {
        const res = await send(`${fp.url}${path}`, { body: '{}' });
        assertError(res, 405, 'method_not_allowed');
        assert.match(res.headers.get('allow') ?? '', /GET/);
      }
    });

    it('answers unknown paths with 404 not_found naming the path', async () => {
      for (const path of [
        '/v1/unknown',
        '/v2/batch',
        '/v1/batch/x',
        '/',
        '/v1',
        '/v1/',
        '/V1/BATCH',
        '/v1/__proto__',
        '/v1/constructor',
        '/v1/toString',
        '/favicon.ico',
      ]) {
        const res = await send(`${fp.url}${path}`, { body: '{}' });
        assertError(res, 404, 'not_found');
        assert.ok(res.body.error.message.includes(path), res.text);
      }
    });

    it('takes a trailing slash and doubled slashes (a host configured with a trailing "/")', async () => {
      for (const [path, id] of [
        ['/v1/track/', 'slash-trailing'],
        ['//v1/track', 'slash-double'],
      ]) {
        const res = await send(`${fp.url}${path}`, { body: trackEvent(id as string) });
        assert.equal(res.status, 200, `${path}: ${res.text}`);
        await waitForId(fp.url, id as string);
      }
      expected += 2;
    });

    it('does not normalise dot segments into a real endpoint', async () => {
      const res = await rawHttp(fp.port, `POST /v1/x/../batch HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
      assert.equal(res.status, 404, res.raw);
    });

    it('answers OPTIONS preflight on any path with 204 and CORS headers', async () => {
      for (const path of ['/v1/batch', '/v1/e', '/v1/events', '/anything']) {
        const res = await fetch(`${fp.url}${path}`, {
          method: 'OPTIONS',
          headers: {
            origin: 'https://shop.example',
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type',
          },
        });
        assert.equal(res.status, 204);
        assert.equal(await res.text(), '');
        assert.equal(res.headers.get('access-control-allow-origin'), '*');
        assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
        const allowed = res.headers.get('access-control-allow-headers') ?? '';
        for (const h of ['authorization', 'content-type', 'content-encoding'])
          assert.ok(allowed.includes(h), `${h} missing from ${allowed}`);
        assert.ok(Number(res.headers.get('access-control-max-age')) > 0);
      }
    });

    it('sends the CORS origin header on success and error responses alike', async () => {
      const replies = [
        await send(`${fp.url}/v1/batch`, { body: { batch: [] } }),
        await send(`${fp.url}/v1/track`, { body: '{' }),
        await send(`${fp.url}/v1/track`, { headers: { 'content-type': 'application/json' }, body: '{}' }),
        await send(`${fp.url}/nope`, { body: '{}' }),
        await send(`${fp.url}/v1/batch`, { method: 'GET' }),
        await send(`${fp.url}/v1/batch`, { headers: jsonHeaders({ 'content-type': 'text/xml' }), body: '<a/>' }),
        await send(`${fp.url}/v1/batch`, { body: 'x'.repeat(600 * KB) }),
        await readEvents(fp.url, 'limit=1'),
      ];
      assert.deepEqual(
        replies.map((r) => r.status),
        [200, 400, 401, 404, 405, 415, 413, 200],
      );
      for (const r of replies) assert.equal(r.headers.get('access-control-allow-origin'), '*', `status ${r.status}`);
    });

    it('answers a burst of 60 concurrent hostile requests each with a 4xx and keeps serving', async () => {
      const makers: Array<() => Promise<number>> = [
        async () => (await send(`${fp.url}/v1/batch`, { body: `{"batch":[${trackWith('burst', deepArrays(20_000))}]}` })).status,
        async () => (await send(`${fp.url}/v1/track`, { body: Buffer.from([0x7b, 0xff, 0x7d]) })).status,
        async () => (await send(`${fp.url}/v1/batch`, { body: 'x'.repeat(700 * KB) })).status,
        async () => (await send(`${fp.url}/v1/batch`, { body: '{"batch":[' })).status,
        async () => (await send(`${fp.url}/v1/track`, { body: '{"event":"\\ud800","anonymousId":"a"}' })).status,
        async () => (await send(`${fp.url}/v1/batch`, { headers: jsonHeaders({ 'content-encoding': 'gzip' }), body: 'not gzip' })).status,
      ];
      const statuses = await Promise.all(Array.from({ length: 60 }, (_, i) => (makers[i % makers.length] as () => Promise<number>)()));
      for (const s of statuses) assert.ok(s >= 400 && s < 500, `status ${s}`);
      assert.ok(statuses.includes(413));
    });
  });
});
