/**
 * The client's calls against a real collector: each helper's event as the collector stores
 * it, and what crossed the wire where the SDK itself must have changed something (masking).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createFootprint, type FootprintSdkError } from '../src/index.js';
import { eventsWhere, marker, startCollector, TestProxy, testClient } from './support/harness.js';

type Collector = Awaited<ReturnType<typeof startCollector>>;

describe('createFootprint against a real collector', () => {
  let collector: Collector;
  let proxy: TestProxy;
  const errors: FootprintSdkError[] = [];
  let fp: ReturnType<typeof testClient>;

  before(async () => {
    collector = await startCollector();
    proxy = await new TestProxy(collector.url).start();
    fp = testClient(proxy.url, { onError: (e) => errors.push(e) });
  });
  after(async () => {
    await fp.shutdown();
    await proxy.stop();
    await collector.dispose();
  });

  const byMarker = (m: string) => (e: any) => e.properties?.marker === m || e.traits?.marker === m;

  it('sends track, identify and page events with their identities and properties', async () => {
    const m = marker();
    fp.track({ event: 'survey_registered', userId: 'u_6', properties: { marker: m, survey_no: 194 } });
    fp.identify({ userId: 'u_6', anonymousId: 'anon-1', traits: { marker: m, plan: 'pro' } });
    fp.page({ name: 'Product Detail', anonymousId: 'anon-1', properties: { marker: m, path: '/products/11' } });
    assert.equal((await fp.flush()).ok, true);
    const events = await eventsWhere(collector.url, byMarker(m), 3);
    const of = (t: string) => events.find((e) => e.type === t);
    assert.equal(of('track').event, 'survey_registered');
    assert.equal(of('track').user_id, 'u_6');
    assert.equal(of('track').properties.survey_no, 194);
    assert.equal(of('identify').traits.plan, 'pro');
    assert.equal(of('identify').anonymous_id, 'anon-1');
    assert.equal(of('page').event, 'Product Detail');
    assert.equal(of('page').path, '/products/11');
    assert.equal(of('track').library_name, '@footprint/node');
  });

  it('sends screen, group and alias events as Segment defines them', async () => {
    const m = marker();
    fp.screen({ name: 'Settings', userId: 'u_7', properties: { marker: m } });
    fp.group({ groupId: 'acme', userId: 'u_7', traits: { marker: m, plan: 'team' } });
    fp.alias({ previousId: 'anon-7', userId: 'u_7', properties: { marker: m } });
    fp.group({ groupId: 'nobody', traits: { marker: m } } as never);
    assert.equal((await fp.flush()).ok, true);
    const events = await eventsWhere(collector.url, byMarker(m), 3);
    const of = (t: string) => events.find((e) => e.type === t);
    assert.deepEqual([of('screen').event, of('screen').user_id], ['Settings', 'u_7']);
    assert.deepEqual([of('group').group_id, of('group').traits.plan], ['acme', 'team']);
    assert.deepEqual([of('alias').previous_id, of('alias').user_id], ['anon-7', 'u_7']);
    assert.equal(events.length, 3, 'a group event with no user or visitor is not sent');
  });

  it('writes log lines with level, message and fields, in both argument orders, and serializes Error fields', async () => {
    const m = marker();
    fp.log.info('web service started', { marker: m, port: 3000 });
    fp.log.warn({ marker: m, retry: 2 }, 'slow upstream');
    fp.log.error('payment failed', { marker: m, err: new TypeError('card declined') });
    fp.log.fatal('out of memory', { marker: m });
    fp.log.child({ logger: 'billing', marker: m }).info('invoice sent');
    await fp.flush();
    const events = await eventsWhere(collector.url, byMarker(m), 5);
    const byMsg = (s: string) => events.find((e) => e.message === s);
    assert.equal(byMsg('web service started').level, 'info');
    assert.equal(byMsg('web service started').properties.port, 3000);
    assert.equal(byMsg('slow upstream').level, 'warn');
    assert.equal(byMsg('slow upstream').properties.retry, 2);
    assert.equal(byMsg('payment failed').properties.err.type, 'TypeError');
    assert.match(byMsg('payment failed').properties.err.stack, /card declined/);
    assert.equal(byMsg('out of memory').level, 'fatal');
    assert.equal(byMsg('invoice sent').properties.logger, 'billing');
  });

  it('formats printf-style arguments as pino and console do, and leaves a lone % alone', async () => {
    const m = marker();
    const tagged = fp.log.child({ marker: m });
    tagged.info('user %s paid %d EUR', 'u_6', 39);
    tagged.warn('retry %d of %d', 2);
    tagged.info('discount 50%');
    tagged.info('count', 5);
    fp.log.info({ marker: m, order: 7 }, 'order %s shipped', 'o-7');
    await fp.flush();
    const events = await eventsWhere(collector.url, byMarker(m), 5);
    assert.deepEqual(events.map((e) => e.message).sort(), [
      'count 5',
      'discount 50%',
      'order o-7 shipped',
      'retry 2 of %d',
      'user u_6 paid 39 EUR',
    ]);
    assert.equal(events.find((e) => e.message === 'order o-7 shipped').properties.order, 7);
  });

  it('writes errors nested in log fields, their cause chain and the errors of an AggregateError', async () => {
    const m = marker();
    const root = Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
    const middle = new Error('query failed', { cause: root });
    const all = new AggregateError([new RangeError('shard 1'), 'shard 2 timed out'], 'every shard failed');
    fp.log.error('report failed', { marker: m, info: { attempt: 3, err: new Error('outer', { cause: middle }) }, all });
    await fp.flush();
    const [e] = await eventsWhere(collector.url, (x) => x.message === 'report failed' && x.properties?.marker === m);
    const err = e.properties.info.err;
    assert.deepEqual(
      [err.message, err.cause.message, err.cause.cause.message, err.cause.cause.code],
      ['outer', 'query failed', 'connection refused', 'ECONNREFUSED'],
    );
    assert.equal(e.properties.info.attempt, 3);
    assert.deepEqual(
      [e.properties.all.type, e.properties.all.errors[0].type, e.properties.all.errors[1]],
      ['AggregateError', 'RangeError', 'shard 2 timed out'],
    );
  });

  it('does not send log levels below logLevel', async () => {
    const m = marker();
    const quiet = testClient(proxy.url, { logLevel: 'warn' });
    quiet.log.debug('not sent', { marker: m });
    quiet.log.info('not sent either', { marker: m });
    quiet.log.warn('sent', { marker: m });
    await quiet.shutdown();
    const events = await eventsWhere(collector.url, byMarker(m), 1);
    assert.deepEqual(
      events.map((e) => e.message),
      ['sent'],
    );
    assert.equal(quiet.stats().delivered, 1);
  });

  it('records an exception with its type, message, stack, code and the place it was thrown', async () => {
    const m = marker();
    const err = Object.assign(new RangeError('Failed to allocate survey number'), { code: 'SURVEY_NO_ALLOCATION_FAILED' });
    fp.captureException(err, { marker: m, campaign_id: 'c1', impact: 'high' });
    fp.captureException('a thrown string', { marker: m });
    await fp.flush();
    const events = await eventsWhere(collector.url, (e) => e.type === 'error' && byMarker(m)(e), 2);
    const e = events.find((x) => x.error_type === 'RangeError');
    assert.equal(e.message, 'Failed to allocate survey number');
    assert.equal(e.properties.code, 'SURVEY_NO_ALLOCATION_FAILED');
    assert.equal(e.properties.handled, true);
    assert.equal(e.properties.impact, 'high');
    assert.match(e.properties.file, /client\.test\.ts$/);
    assert.ok(e.properties.line > 0);
    assert.ok(e.error_fingerprint);
    const s = events.find((x) => x.error_type === 'string');
    assert.equal(s.message, 'a thrown string');
  });

  it('db records operation, table, duration and rows, and measure times a call and records its failure', async () => {
    const m = marker();
    fp.db({ operation: 'INSERT', table: 'event_survey_entries', duration_ms: 12, rows: 1, marker: m });
    const rows = await fp.db.measure(
      { operation: 'SELECT', table: 'users', marker: m },
      async () => [1, 2, 3],
      (r) => r.length,
    );
    assert.deepEqual(rows, [1, 2, 3]);
    const failing = fp.db.measure({ operation: 'UPDATE', table: 'users', marker: m }, async () => {
      throw Object.assign(new Error('duplicate key value'), { code: '23505' });
    });
    await assert.rejects(failing, /duplicate key/);
    await fp.flush();
    const events = await eventsWhere(collector.url, (e) => e.type === 'db' && byMarker(m)(e), 3);
    const op = (o: string) => events.find((e) => e.event === o);
    assert.equal(op('INSERT').properties.table, 'event_survey_entries');
    assert.equal(op('INSERT').duration_ms, 12);
    assert.equal(op('SELECT').properties.rows, 3);
    assert.ok(op('SELECT').duration_ms >= 0);
    assert.equal(op('UPDATE').properties.error_code, '23505');
    assert.equal(op('UPDATE').message, 'duplicate key value');
  });

  it('keeps numbers too large to store exactly within 2^53 - 1, so the collector takes the event', async () => {
    const m = marker();
    fp.db({ operation: 'SELECT', table: 'events', duration_ms: 1e20, rows: 2 ** 60, marker: m });
    fp.ai({ provider: 'openai', model: 'gpt-x', cost_usd: 1e20, duration_ms: 1e20, marker: m });
    await fp.flush();
    const events = await eventsWhere(collector.url, byMarker(m), 2);
    const db = events.find((e) => e.type === 'db');
    assert.deepEqual([db.duration_ms, db.properties.rows], [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]);
    assert.equal(events.find((e) => e.type === 'ai').properties.cost_usd, Number.MAX_SAFE_INTEGER);
  });

  it('cron records a start, then a success with duration and records processed', async () => {
    const m = marker();
    const job = fp.cron(`aggregate-marketing-stats-${m}`, async (run, batch: number) => {
      run.step('load');
      run.records(100);
      run.addRecords(batch);
      fp.log.info('aggregating', { marker: m });
      return 'done';
    });
    assert.equal(await job(50), 'done');
    await fp.flush();
    const events = await eventsWhere(collector.url, (e) => e.event === `aggregate-marketing-stats-${m}` || byMarker(m)(e), 3);
    const started = events.find((e) => e.properties.status === 'started');
    const success = events.find((e) => e.properties.status === 'success');
    const log = events.find((e) => e.type === 'log');
    assert.ok(started && success && log);
    assert.equal(success.properties.records_processed, 150);
    assert.ok(success.duration_ms >= 0);
    assert.equal(log.request_id, success.request_id, 'a log line written during the run carries the run id');
    assert.equal(started.request_id, success.request_id);
  });

  it('cron records a failure with the error and the failed step, and rethrows the job’s error', async () => {
    const m = marker();
    const job = fp.cron(`webinar-access-snapshot-${m}`, async (run) => {
      run.step('upload');
      throw new Error('timeout');
    });
    await assert.rejects(job(), /timeout/);
    await fp.flush();
    const events = await eventsWhere(collector.url, (e) => e.event === `webinar-access-snapshot-${m}` && e.properties.status === 'failure');
    assert.equal(events[0].properties.failed_step, 'upload');
    assert.equal(events[0].message, 'timeout');
    const errs = await eventsWhere(collector.url, (e) => e.type === 'error' && e.properties.job === `webinar-access-snapshot-${m}`);
    assert.equal(errs[0].request_id, events[0].request_id);
    // A step named by a number (not what the types say, but what plain JavaScript may pass) is kept as text.
    const numbered = fp.cron(`numbered-steps-${m}`, async (run) => {
      (run.step as (n: unknown) => void)(42);
      throw new Error('step 42 failed');
    });
    await assert.rejects(numbered(), /step 42 failed/);
    await fp.flush();
    const [failure] = await eventsWhere(collector.url, (e) => e.event === `numbered-steps-${m}` && e.properties.status === 'failure');
    assert.equal(failure.properties.failed_step, '42');
  });

  it('email masks the recipient before the event leaves the process', async () => {
    const m = marker();
    fp.email({ status: 'sent', provider: 'resend', provider_message_id: 're_abc123', recipient: 'user@example.com', campaign_id: m });
    fp.email({
      status: 'failed',
      provider: 'resend',
      recipient: 'kim.minsu@mail.example.kr',
      campaign_id: m,
      error: new Error('rate limited'),
    });
    await fp.flush();
    const wire = proxy.requests.flatMap((r) => r.events).filter((e) => e.properties?.campaign_id === m);
    assert.deepEqual(wire.map((e) => e.properties.recipient).sort(), ['k***@mail.example.kr', 'u***@example.com']);
    assert.ok(!JSON.stringify(wire).includes('user@example.com'));
    const events = await eventsWhere(collector.url, (e) => e.type === 'email' && e.properties.campaign_id === m, 2);
    const sent = events.find((e) => e.event === 'sent');
    assert.equal(sent.properties.provider_message_id, 're_abc123');
    assert.equal(events.find((e) => e.event === 'failed').message, 'rate limited');
  });

  it('ai records provider, model, tokens, cost and duration, and measure records a failed call', async () => {
    const m = marker();
    fp.ai({
      provider: 'gemini',
      model: 'gemini-1.5-pro',
      input_tokens: 1500,
      output_tokens: 800,
      cost_usd: 0.015,
      duration_ms: 2340,
      marker: m,
    });
    const answer = await fp.ai.measure(
      { provider: 'gemini', model: 'gemini-1.5-flash', marker: m },
      async () => ({ text: 'hi', usage: { in: 10, out: 2 } }),
      (r) => ({ input_tokens: r.usage.in, output_tokens: r.usage.out }),
    );
    assert.equal(answer.text, 'hi');
    const rateLimit = Object.assign(new Error('quota exceeded'), { name: 'RateLimitError' });
    await assert.rejects(
      fp.ai.measure({ provider: 'openai', model: 'gpt-x', marker: m }, async () => {
        throw rateLimit;
      }),
      /quota/,
    );
    await fp.flush();
    const events = await eventsWhere(collector.url, (e) => e.type === 'ai' && byMarker(m)(e), 3);
    const model = (x: string) => events.find((e) => e.event === x);
    assert.equal(model('gemini-1.5-pro').properties.cost_usd, 0.015);
    assert.equal(model('gemini-1.5-pro').duration_ms, 2340);
    assert.equal(model('gemini-1.5-flash').properties.input_tokens, 10);
    assert.equal(model('gpt-x').error_type, 'RateLimitError');
    assert.equal(model('gpt-x').message, 'quota exceeded');
  });

  it('realtime records channel, status, reconnect tries and the error', async () => {
    const m = marker();
    fp.realtime({
      channel: `webinar:${m}:messages`,
      status: 'CHANNEL_ERROR',
      reconnect_tries: 2,
      error: 'Connection timeout',
      webinar_id: m,
    });
    await fp.flush();
    const [e] = await eventsWhere(collector.url, (x) => x.type === 'realtime' && x.properties.webinar_id === m);
    assert.equal(e.event, 'CHANNEL_ERROR');
    assert.equal(e.properties.channel, `webinar:${m}:messages`);
    assert.equal(e.properties.reconnect_tries, 2);
    assert.equal(e.message, 'Connection timeout');
  });

  it("writes an error given in console's order as the err field, and an error event's level the event model knows", async () => {
    const m = marker();
    const err = Object.assign(new Error('card declined'), { code: 'E_CARD' });
    fp.log.error('payment failed', err as never);
    fp.captureException(new Error('retrying'), { level: 'warn', marker: m });
    fp.captureException(new Error('odd level'), { level: 'verbose', marker: m });
    assert.equal((await fp.flush()).ok, true);
    const [log] = await eventsWhere(
      collector.url,
      (e) => e.type === 'log' && e.properties?.message === 'payment failed' && e.properties?.err?.code === 'E_CARD',
    );
    assert.deepEqual([log.properties.err.type, log.properties.err.message], ['Error', 'card declined']);
    const errors = await eventsWhere(collector.url, byMarker(m), 2);
    assert.deepEqual(errors.map((e) => [e.properties.message, e.properties.level]).sort(), [
      ['odd level', 'error'],
      ['retrying', 'warning'],
    ]);
  });

  it('gives the events written inside withContext the same request id', async () => {
    const m = marker();
    await fp.withContext({ requestId: `job-${m}` }, async () => {
      fp.log.info('consumer picked a message', { marker: m });
      await new Promise((r) => setTimeout(r, 5));
      fp.track({ event: 'message_processed', anonymousId: 'worker', properties: { marker: m } });
    });
    await fp.flush();
    const events = await eventsWhere(collector.url, byMarker(m), 2);
    assert.deepEqual(
      events.map((e) => e.request_id),
      [`job-${m}`, `job-${m}`],
    );
  });
});

describe('createFootprint never throws into the application', () => {
  let collector: Collector;
  before(async () => {
    collector = await startCollector();
  });
  after(async () => {
    await collector.dispose();
  });

  it('lets beforeSend change or drop events, and drops (and reports) an event whose beforeSend throws', async () => {
    const m = marker();
    const errors: FootprintSdkError[] = [];
    const fp = testClient(collector.url, {
      onError: (e) => errors.push(e),
      beforeSend: (e: any) => {
        if (e.properties?.secret) throw new Error('mask failed');
        if (e.properties?.drop) return null;
        return { ...e, properties: { ...e.properties, masked: true } };
      },
    });
    fp.log.info('kept', { marker: m });
    fp.log.info('dropped', { marker: m, drop: true });
    fp.log.info('unmaskable', { marker: m, secret: 'x' });
    await fp.shutdown();
    const events = await eventsWhere(collector.url, (e) => e.properties?.marker === m);
    assert.deepEqual(
      events.map((e) => [e.message, e.properties.masked]),
      [['kept', true]],
    );
    assert.equal(errors.find((e) => e.code === 'before_send_failed')?.dropped, 1);
    assert.equal(fp.stats().dropped.before_send_failed, 1);
  });

  it("gives beforeSend a copy: a hook that changes the event in place leaves the app's own objects as they were", async () => {
    const m = marker();
    const fp = testClient(collector.url, {
      beforeSend: (e: any) => {
        if (e.properties?.email) e.properties.email = '[x]';
        return e;
      },
    });
    // A value with toJSON is copied as it would be sent: the hook never sees the hidden field.
    const user = { id: 7, passwordHash: 'pbkdf2$secret', toJSON: () => ({ id: 7 }) };
    const props = { marker: m, email: 'a@b.com', tags: ['t'], user };
    fp.track({ event: 'signed_up', userId: 'u1', properties: props });
    await fp.shutdown();
    assert.deepEqual(props, { marker: m, email: 'a@b.com', tags: ['t'], user });
    const [e] = await eventsWhere(collector.url, (x) => x.properties?.marker === m);
    assert.equal(e.properties.email, '[x]');
    assert.deepEqual(e.properties.user, { id: 7 });
  });

  it('drops and reports a track event with no user or visitor instead of sending it', async () => {
    const errors: FootprintSdkError[] = [];
    const fp = testClient(collector.url, { onError: (e) => errors.push(e) });
    fp.track({ event: 'orphan' });
    await fp.shutdown();
    assert.equal(errors[0]?.code, 'rejected');
    assert.match(errors[0]?.message ?? '', /needs userId or anonymousId/);
  });

  it('cuts the long texts of an event over 32 KB, drops and counts only one that still does not fit, and sends the next one', async () => {
    const m = marker();
    const errors: FootprintSdkError[] = [];
    const fp = testClient(collector.url, { onError: (e) => errors.push(e) });
    const loop: Record<string, unknown> = { name: 'y'.repeat(50_000) };
    loop.self = loop;
    const longId = `user-${'9'.repeat(200)}`;
    const emoji = `${'x'.repeat(4095)}${'😀'.repeat(1000)}`;
    fp.withContext({ userId: longId }, () =>
      fp.log.info('huge', { marker: m, blob: 'x'.repeat(40_000), nested: { stack: 'at x\n'.repeat(10_000) }, loop, emoji }),
    );
    // Only the 64-character pass makes this one fit: its id must come through whole all the same.
    fp.withContext({ userId: longId }, () => fp.log.info('parts', { marker: m, parts: Array(100).fill('p'.repeat(600)) }));
    fp.log.info('many', { marker: m, ids: Array.from({ length: 20_000 }, (_, i) => i) });
    fp.log.info('small', { marker: m });
    await fp.shutdown();
    assert.equal(errors.find((e) => e.code === 'event_too_large')?.dropped, 1, 'only the one made of many small values');
    const events = await eventsWhere(collector.url, (e) => e.properties?.marker === m, 3);
    assert.deepEqual(events.map((e) => e.message).sort(), ['huge', 'parts', 'small']);
    const parts = events.find((e) => e.message === 'parts');
    assert.equal(parts.user_id, longId);
    assert.equal(parts.properties.parts[0], `${'p'.repeat(64)}…`);
    const huge = events.find((e) => e.message === 'huge').properties;
    assert.equal(huge.blob, `${'x'.repeat(4096)}…`);
    // A surrogate pair across the cut is not split, and ids are never cut.
    assert.equal(huge.emoji, `${'x'.repeat(4095)}…`);
    assert.equal(events.find((e) => e.message === 'huge').user_id, longId);
    assert.equal(huge.nested.stack.length, 4097);
    assert.equal(huge.loop.self, '[Circular]');
  });

  it('serializes circular and BigInt fields instead of throwing', async () => {
    const m = marker();
    const fp = testClient(collector.url);
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    assert.doesNotThrow(() => fp.log.info('odd fields', { marker: m, loop, big: 2n ** 70n }));
    await fp.shutdown();
    const [e] = await eventsWhere(collector.url, (x) => x.properties?.marker === m);
    assert.equal(e.properties.big, '1180591620717411303424');
    assert.equal(e.properties.loop.self, '[Circular]');
  });

  it('keeps quiet when a hook or the error handler itself throws', async () => {
    const fp = testClient(collector.url, {
      beforeSend: () => {
        throw new Error('broken hook');
      },
      onError: () => {
        throw new Error('broken handler');
      },
    });
    assert.doesNotThrow(() => {
      fp.log.info('x');
      fp.captureException(null);
      fp.db({ operation: '', duration_ms: Number.NaN });
      fp.send({ type: 'nonsense' });
    });
    await fp.shutdown();
  });

  it('never throws into the app, whatever a call is given, and reports what it could not record', async () => {
    const reported: FootprintSdkError[] = [];
    const fp = testClient(collector.url, { onError: (e) => reported.push(e) });
    const hostile = Object.defineProperty({}, 'table', {
      enumerable: true,
      get() {
        throw new Error('getter went off');
      },
    });
    const any = fp as any;
    assert.doesNotThrow(() => {
      for (const helper of ['db', 'email', 'ai', 'realtime'] as const) {
        any[helper](undefined);
        any[helper](null);
        any[helper](hostile);
      }
      fp.log.info('fields with a trap', hostile);
      fp.log.child({ logger: 'child' }).warn('again', hostile);
    });
    let ran = 0;
    assert.equal(
      any.withContext(undefined, () => ++ran),
      1,
    );
    assert.equal(
      any.withContext(hostile, () => ++ran),
      2,
    );
    // measure still gives the job's own result and error, and only those.
    assert.equal(await any.db.measure(hostile, async () => 'rows'), 'rows');
    await assert.rejects(
      any.ai.measure(null, async () => Promise.reject(new Error('model down'))),
      /model down/,
    );
    assert.equal(await any.cron(undefined, async () => 'done')(), 'done');
    assert.ok(
      reported.some((e) => e.code === 'rejected' && /getter went off/.test(e.message)),
      JSON.stringify(reported.map((e) => e.message)),
    );
    // An exception whose own fields cannot be read is reported as dropped, not lost in silence.
    const unreadable = Object.defineProperty(new Error('x'), 'message', {
      get() {
        throw new Error('message getter went off');
      },
    });
    const trap = new Proxy(
      {},
      {
        get() {
          throw new Error('proxy trap went off');
        },
      },
    );
    const before = fp.stats().dropped.rejected ?? 0;
    assert.doesNotThrow(() => {
      fp.captureException(unreadable);
      fp.captureException(trap);
    });
    // Counted at once (reports of one code within an interval reach onError together).
    assert.equal(fp.stats().dropped.rejected, before + 2, JSON.stringify(fp.stats().dropped));
    await fp.shutdown();
  });

  it('reports an endpoint that is not an http(s) URL and sends nothing anywhere, and falls back to info for an unknown log level', async () => {
    for (const endpoint of ['not a url', 'ftp://127.0.0.1/', '']) {
      const reported: FootprintSdkError[] = [];
      const fp = testClient(endpoint, { onError: (e) => reported.push(e), outbox: false });
      fp.log.info('goes nowhere');
      fp.track({ event: 'x', userId: 'u' });
      assert.equal(reported[0]?.code, 'invalid_option', endpoint);
      assert.match(reported[0]?.message ?? '', /endpoint .* is not an http\(s\) URL/);
      assert.equal(fp.stats().pending, 0, 'nothing is queued for a guessed address');
      await fp.shutdown();
    }
    const reported: FootprintSdkError[] = [];
    const fp = testClient(collector.url, { onError: (e) => reported.push(e), logLevel: 'verbose' as never });
    const m = marker();
    fp.log.debug('below info', { marker: m });
    fp.log.info('at info', { marker: m });
    assert.equal((await fp.flush()).ok, true);
    assert.deepEqual(
      reported.map((e) => e.code),
      ['invalid_option'],
    );
    const logs = await eventsWhere(collector.url, (e) => e.type === 'log' && e.properties?.marker === m);
    assert.deepEqual(
      logs.map((e) => e.properties.message),
      ['at info'],
    );
    await fp.shutdown();
  });

  it('names every option it cannot use instead of falling back in silence, and never throws for missing ones', async () => {
    const reported: FootprintSdkError[] = [];
    const fp = testClient(`${collector.url}/v1/batch`, {
      onError: (e) => reported.push(e),
      flushAt: -5,
      flushIntervalMs: Number.NaN,
      timeoutMs: '5000' as never,
      gzip: 'true' as never,
      beforeSend: 'strip' as never,
      context: 'api' as never,
      writeKey: '',
      outbox: { maxBytes: -1, dir: '/nonexistent-never-used' },
    });
    const messages = reported.filter((e) => e.code === 'invalid_option').map((e) => e.message);
    for (const name of ['flushAt', 'flushIntervalMs', 'timeoutMs', 'gzip', 'beforeSend', 'context', 'writeKey', 'outbox.maxBytes']) {
      assert.ok(
        messages.some((msg) => msg.startsWith(`${name} `) || msg.includes(`; ${name} `)),
        `${name} not reported: ${JSON.stringify(messages)}`,
      );
    }
    await fp.shutdown({ timeoutMs: 100 });
    // No options at all, or null ones for flush and shutdown: reported or defaulted, never thrown.
    for (const bad of [undefined, null]) {
      const none = createFootprint(bad as never);
      assert.equal(none.stats().mode, 'disabled');
      assert.deepEqual(await none.flush(null as never), { ok: true, pending: 0 });
      assert.deepEqual(await none.shutdown(null as never), { ok: true, pending: 0 });
    }
  });

  it('takes an endpoint given with /v1/batch on it as the collector it names', async () => {
    const m = marker();
    const fp = testClient(`${collector.url}/v1/batch/`);
    fp.log.info('batch path given', { marker: m });
    assert.deepEqual(await fp.flush(), { ok: true, pending: 0 });
    await eventsWhere(collector.url, (e) => e.properties?.marker === m);
    // A flush wait past what a Node timer holds is clamped, not turned into 1 ms.
    fp.log.info('long wait', { marker: m });
    assert.deepEqual(await fp.flush({ timeoutMs: Number.POSITIVE_INFINITY }), { ok: true, pending: 0 });
    await fp.shutdown();
  });

  it('does nothing at all when disabled', async () => {
    const fp = testClient('http://127.0.0.1:9', { enabled: false });
    fp.log.info('nothing');
    fp.track({ event: 'x', userId: 'u' });
    assert.deepEqual(await fp.flush(), { ok: true, pending: 0 });
    assert.equal(fp.stats().mode, 'disabled');
    assert.deepEqual(await fp.shutdown(), { ok: true, pending: 0 });
  });
});
