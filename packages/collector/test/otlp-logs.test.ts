/**
 * POST /v1/logs, OTLP/HTTP JSON logs, against a real collector: the mapping of each field,
 * the answers the OTLP spec asks for (200 {}, partialSuccess, 400/401/413/415 Status), that
 * records take the same ingest path as other events (validation, masking), and hostile input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { basicAuth, eventually, type InProcess, listAll, startInProcess, WRITE_KEY } from './support/collector.js';

type Dict = Record<string, unknown>;
const str = (v: string) => ({ stringValue: v });
const attr = (key: string, value: Dict) => ({ key, value });
const NOW_NS = `${Date.parse('2026-02-04T11:17:16.123Z')}000000`;

function request(
  records: Dict[],
  resource: Dict[] = [attr('service.name', str('checkout'))],
  scope: Dict = { name: 'checkout-logger', version: '1.2.0' },
) {
  return { resourceLogs: [{ resource: { attributes: resource }, scopeLogs: [{ scope, logRecords: records }] }] };
}

describe('POST /v1/logs (OTLP/HTTP JSON)', () => {
  let c: InProcess;
  before(async () => {
    c = await startInProcess();
  });
  after(async () => {
    await c.dispose();
  });

  async function send(body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const res = await fetch(`${c.url}/v1/logs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WRITE_KEY}`, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' || Buffer.isBuffer(body) ? (body as string) : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  }
  const logsWith = (key: string, value: string, count = 1) =>
    eventually(async () => {
      const found = (await listAll(c.url, 'type=log')).filter((e) => e.properties?.[key] === value);
      return found.length >= count ? found : undefined;
    });

  it('stores a record as a log event: level, message, attributes, resource, scope, time and trace ids', async () => {
    const res = await send(
      request([
        {
          timeUnixNano: NOW_NS,
          observedTimeUnixNano: NOW_NS,
          severityNumber: 17,
          severityText: 'ERROR',
          body: str('payment provider timed out'),
          attributes: [attr('case', str('full')), attr('http.route', str('/api/pay')), attr('retries', { intValue: '3' })],
          traceId: '5B8EFFF798038103D269B633813FC60C',
          spanId: 'EEE19B7EC3C1B174',
          flags: 1,
        },
      ]),
    );
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {});
    assert.equal(res.headers.get('content-type'), 'application/json');
    const [e] = await logsWith('case', 'full');
    assert.equal(e.level, 'error');
    assert.equal(e.message, 'payment provider timed out');
    assert.equal(e.timestamp, '2026-02-04T11:17:16.123Z');
    assert.equal(e.trace_id, '5b8efff798038103d269b633813fc60c');
    assert.equal(e.span_id, 'eee19b7ec3c1b174');
    assert.equal(e.properties['http.route'], '/api/pay');
    assert.equal(e.properties.retries, 3);
    assert.equal(e.properties.logger, 'checkout-logger');
    assert.equal(e.properties.severity_text, 'ERROR');
    assert.equal(e.library_name, 'checkout-logger');
    assert.equal(e.library_version, '1.2.0');
    assert.deepEqual(e.context.resource, { 'service.name': 'checkout' });
    assert.match(e.id, /^otlp-[0-9a-f]{32}$/);
  });

  it('maps each severity number range to a level, and uses severityText when the number is unset', async () => {
    const cases: Array<[number | undefined, string | undefined, string]> = [
      [1, undefined, 'trace'],
      [5, undefined, 'debug'],
      [9, undefined, 'info'],
      [12, undefined, 'info'],
      [13, undefined, 'warn'],
      [20, undefined, 'error'],
      [24, undefined, 'fatal'],
      [0, 'Warning', 'warn'],
      [undefined, 'CRITICAL', 'fatal'],
      [undefined, undefined, 'info'],
    ];
    const res = await send(
      request(
        cases.map(([n, t], i) => ({
          severityNumber: n,
          severityText: t,
          body: str(`sev-${i}`),
          attributes: [attr('case', str('severity'))],
        })),
      ),
    );
    assert.deepEqual(res.body, {});
    const events = await logsWith('case', 'severity', cases.length);
    for (const [i, [, , level]] of cases.entries()) assert.equal(events.find((e) => e.message === `sev-${i}`).level, level, `case ${i}`);
  });

  it('reads times as strings or numbers, falls back to the observed time, and takes user.id and session.id', async () => {
    const ms = Date.parse('2026-03-01T00:00:00.000Z');
    const res = await send(
      request([
        { timeUnixNano: ms * 1e6, body: str('number time'), attributes: [attr('case', str('times'))] },
        {
          timeUnixNano: '0',
          observedTimeUnixNano: `${ms + 5}000000`,
          body: str('observed'),
          attributes: [attr('case', str('times')), attr('user.id', str('u_6')), attr('session.id', str('s_1'))],
        },
      ]),
    );
    assert.deepEqual(res.body, {});
    const events = await logsWith('case', 'times', 2);
    assert.equal(events.find((e) => e.message === 'number time').timestamp, '2026-03-01T00:00:00.000Z');
    const observed = events.find((e) => e.message === 'observed');
    assert.equal(observed.timestamp, '2026-03-01T00:00:00.005Z');
    assert.equal(observed.user_id, 'u_6');
    assert.equal(observed.session_id, 's_1');
  });

  it('turns every kind of AnyValue into JSON, keeps a structured body, and renames attributes that clash with level or message', async () => {
    const res = await send(
      JSON.stringify(
        request([
          {
            body: {
              kvlistValue: {
                values: [
                  attr('event', str('checkout')),
                  attr('items', { arrayValue: { values: [{ intValue: 1 }, { doubleValue: 2.5 }] } }),
                ],
              },
            },
            attributes: [
              attr('case', str('kinds')),
              attr('big', { intValue: '9223372036854775807' }),
              attr('nan', { doubleValue: 'NaN' }),
              attr('overflow', { doubleValue: '__1e400__' }),
              attr('ok', { boolValue: true }),
              attr('raw', { bytesValue: 'AAEC' }),
              attr('empty', {}),
              attr('message', str('an attribute named message')),
            ],
          },
        ]),
        // A JSON number past a double's range, as a number (JSON.stringify cannot write one).
      ).replace('"__1e400__"', '-1e400'),
    );
    assert.deepEqual(res.body, {});
    const [e] = await logsWith('case', 'kinds');
    assert.deepEqual(e.properties.body, { event: 'checkout', items: [1, 2.5] });
    assert.equal(e.message, '{"event":"checkout","items":[1,2.5]}');
    assert.equal(e.properties.big, '9223372036854775807');
    assert.equal(e.properties.nan, 'NaN');
    assert.equal(e.properties.overflow, '-Infinity', 'as proto3 JSON writes it, not null');
    assert.equal(e.properties.ok, true);
    assert.equal(e.properties.raw, 'AAEC');
    assert.equal(e.properties.empty, null);
    assert.equal(e.properties['attr.message'], 'an attribute named message');
  });

  it('stores the valid records and answers 200 with partialSuccess naming the rejected ones', async () => {
    const ok = { body: str('valid'), attributes: [attr('case', str('partial'))] };
    const res = await send(
      request([
        ok,
        { body: str('bad trace'), traceId: 'xyz' },
        { body: str('bad severity'), severityNumber: 'SEVERITY_NUMBER_INFO' },
        { body: str('bad int'), attributes: [attr('n', { intValue: 'abc' })] },
        { ...ok, body: str('valid too') },
      ]),
    );
    assert.equal(res.status, 200);
    assert.equal(Number(res.body.partialSuccess.rejectedLogRecords), 3);
    const msg: string = res.body.partialSuccess.errorMessage;
    assert.match(msg, /logRecords\[1\]: .*traceId must be 32 hex digits/);
    assert.match(msg, /logRecords\[2\]: .*severityNumber must be an integer/);
    assert.match(msg, /logRecords\[3\]: .*intValue must be a 64-bit integer/);
    const events = await logsWith('case', 'partial', 2);
    assert.deepEqual(events.map((e) => e.message).sort(), ['valid', 'valid too']);
  });

  it('answers 400 with a google.rpc.Status for a body that is not an ExportLogsServiceRequest', async () => {
    for (const body of ['{not json', '[]', '{"resourceLogs":{}}', '{"resourceLogs":[{"scopeLogs":"x"}]}', '{"resourceLogs":[7]}']) {
      const res = await send(body);
      assert.equal(res.status, 400, body);
      assert.equal(typeof res.body.code, 'number');
      assert.equal(typeof res.body.message, 'string');
      assert.equal(res.body.details?.[0]?.['@type'], 'type.googleapis.com/google.rpc.BadRequest', body);
    }
  });

  it('answers an empty request with 200 {}, and warns when keys are snake_case', async () => {
    assert.deepEqual((await send('')).body, {});
    assert.deepEqual((await send({})).body, {});
    assert.deepEqual((await send({ resourceLogs: [] })).body, {});
    const snake = await send({ resource_logs: [{ scope_logs: [] }] });
    assert.equal(snake.status, 200);
    assert.equal(snake.body.partialSuccess.rejectedLogRecords, '0');
    assert.match(snake.body.partialSuccess.errorMessage, /lowerCamelCase/);
  });

  it('takes the write key as Bearer or Basic, and refuses a missing or unknown one with 401', async () => {
    const body = request([{ body: str('auth'), attributes: [attr('case', str('auth'))] }]);
    assert.equal((await send(body, { authorization: basicAuth() })).status, 200);
    const none = await fetch(`${c.url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(none.status, 401);
    const noneMessage = ((await none.json()) as { message: string }).message;
    assert.match(noneMessage, /missing_write_key/);
    assert.doesNotMatch(noneMessage, /in the body/, 'this endpoint does not read a key from the body');
    const plain = await send('{}', { authorization: basicAuth(), 'content-type': 'text/plain' });
    assert.equal(plain.status, 415);
    assert.match(plain.body.message, /send application\/json \(OTLP\/HTTP JSON\)/);
    const wrong = await send(body, { authorization: 'Bearer not_a_key_123' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.code, 16);
  });

  it('takes gzip bodies, refuses protobuf with 415, and allows only POST', async () => {
    const gz = gzipSync(JSON.stringify(request([{ body: str('zipped'), attributes: [attr('case', str('gzip'))] }])));
    assert.equal((await send(gz, { 'content-encoding': 'gzip' })).status, 200);
    await logsWith('case', 'gzip');
    const proto = await send(Buffer.from([0x0a, 0x00]), { 'content-type': 'application/x-protobuf' });
    assert.equal(proto.status, 415);
    assert.match(proto.body.message, /OTLP\/JSON/);
    const get = await fetch(`${c.url}/v1/logs`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST, OPTIONS');
  });

  it('stores a record once when an exporter retries the same request', async () => {
    const body = request([{ timeUnixNano: NOW_NS, body: str('retried'), attributes: [attr('case', str('retry'))] }]);
    assert.equal((await send(body)).status, 200);
    assert.equal((await send(body)).status, 200);
    await new Promise((r) => setTimeout(r, 300));
    const events = await logsWith('case', 'retry');
    assert.equal(events.length, 1);
  });

  it('masks personal data in records like in any other event', async () => {
    const res = await send(
      request([{ body: str('signup by kim@example.com'), attributes: [attr('case', str('mask')), attr('email', str('kim@example.com'))] }]),
    );
    assert.deepEqual(res.body, {});
    const [e] = await logsWith('case', 'mask');
    assert.ok(!JSON.stringify(e).includes('kim@example.com'), JSON.stringify(e));
  });

  it('survives hostile input: deep nesting, __proto__ keys, lone surrogates, huge and oversized bodies', async () => {
    let deep: Dict = str('bottom');
    for (let i = 0; i < 40; i++) deep = { kvlistValue: { values: [attr('a', deep)] } };
    let veryDeep = '1';
    for (let i = 0; i < 100_000; i++) veryDeep = `[${veryDeep}]`;
    const proto =
      '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"p"},"attributes":[{"key":"__proto__","value":{"stringValue":"x"}},{"key":"case","value":{"stringValue":"hostile"}}],"__proto__":{"polluted":true}}]}]}]}';

    const deepRes = await send(request([{ body: deep }]));
    assert.equal(deepRes.status, 200);
    assert.match(deepRes.body.partialSuccess.errorMessage, /nested deeper/);
    const hostileJson = await send(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"x"},"extra":${veryDeep}}]}]}]}`);
    assert.ok([200, 400].includes(hostileJson.status), `status ${hostileJson.status}`);
    assert.equal((await send(proto)).status, 200);
    const [p] = await logsWith('case', 'hostile');
    assert.equal(({} as Dict).polluted, undefined);
    assert.equal(Object.hasOwn(p.properties, '__proto__'), false);
    const surrogate = await send(request([{ body: str('a\ud800b') }]));
    assert.equal(Number(surrogate.body.partialSuccess.rejectedLogRecords), 1);
    const many = Array.from({ length: 2000 }, (_, i) => ({ body: str(`bulk ${i}`), attributes: [attr('case', str('bulk'))] }));
    assert.deepEqual((await send(request(many))).body, {});
    const tooMany = await send(request(Array.from({ length: 10_001 }, () => ({}))));
    assert.equal(tooMany.status, 413);
    assert.match(JSON.stringify(tooMany.body), /at most 10000 log records \(limit otlpMaxLogRecords\)/);
    const huge = await send(request([{ body: str('x'.repeat(40_000)) }]));
    assert.match(huge.body.partialSuccess.errorMessage, /larger than 32 KB/);
    const tooBig = await fetch(`${c.url}/v1/logs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WRITE_KEY}`, 'content-type': 'application/json', 'content-length': String(21 * 1024 * 1024) },
      body: 'x'.repeat(21 * 1024 * 1024),
    }).catch(() => undefined);
    assert.equal(tooBig?.status, 413);
    const zipBomb = gzipSync(Buffer.alloc(25 * 1024 * 1024, 0x20));
    assert.equal((await send(zipBomb, { 'content-encoding': 'gzip' })).status, 413);
    assert.equal((await fetch(`${c.url}/healthz`)).status, 200, 'the collector is still up');
  });
});
