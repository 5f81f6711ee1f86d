import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_TYPES, FOOTPRINT_TYPES, SEGMENT_TYPES } from './event.js';
import { formatBytes, LIMITS } from './limits.js';
import { checkStructure, pointerToPath, type ValidationIssue, validateEvent } from './validate.js';

const VALID: Record<string, Record<string, unknown>> = {
  track: { type: 'track', event: 'Signed Up', anonymousId: 'a' },
  page: { type: 'page', anonymousId: 'a' },
  screen: { type: 'screen', userId: 'u' },
  identify: { type: 'identify', userId: 'u', traits: { plan: 'pro' } },
  group: { type: 'group', groupId: 'g', userId: 'u' },
  alias: { type: 'alias', previousId: 'a', userId: 'u' },
  click: { type: 'click', properties: { tag: 'button' } },
  engagement: { type: 'engagement', properties: { engaged_ms: 0 } },
  request: { type: 'request', properties: { method: 'GET', path: '/', status: 200, duration_ms: 0 } },
  error: { type: 'error', properties: { message: 'boom' } },
  log: { type: 'log', properties: { level: 'debug', message: '' } },
  db: { type: 'db', properties: { operation: 'select', duration_ms: 1 } },
  cron: { type: 'cron', properties: { job: 'j', status: 'started' } },
  email: { type: 'email', properties: { status: 'bounced' } },
  ai: { type: 'ai', properties: { provider: 'p', model: 'm' } },
  realtime: { type: 'realtime', properties: { channel: 'c', status: 'CLOSED' } },
};

/** A short description for messages (JSON.stringify would overflow on the deepest test values). */
function describeValue(value: unknown): string {
  try {
    return String(JSON.stringify(value)).slice(0, 200);
  } catch {
    return 'the value';
  }
}

function issueOf(value: unknown): ValidationIssue {
  const r = validateEvent(value);
  assert.equal(r.ok, false, `expected ${describeValue(value)} to be rejected`);
  return (r as { ok: false; issue: ValidationIssue }).issue;
}

function assertIssue(value: unknown, code: ValidationIssue['code'], path: string): ValidationIssue {
  const issue = issueOf(value);
  assert.equal(issue.code, code, issue.message);
  assert.equal(issue.path, path, issue.message);
  assert.ok(issue.message.length > 0);
  return issue;
}

const nest = (levels: number, leaf: unknown = 1): unknown => {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};

describe('validateEvent', () => {
  it('knows the six Segment types and the ten Footprint types', () => {
    assert.deepEqual([...SEGMENT_TYPES], ['page', 'screen', 'track', 'identify', 'group', 'alias']);
    assert.equal(FOOTPRINT_TYPES.length, 10);
    assert.deepEqual(Object.keys(VALID).sort(), [...EVENT_TYPES].sort());
  });

  for (const [type, event] of Object.entries(VALID)) {
    it(`accepts a minimal ${type} event and returns it unchanged`, () => {
      const copy = structuredClone(event);
      const r = validateEvent(event);
      assert.equal(r.ok, true, r.ok ? '' : r.issue.message);
      assert.equal(r.ok && r.event, event);
      assert.deepEqual(event, copy, 'validation must not modify the event');
    });
  }

  it('accepts unknown extra fields at the top level, in context and in typed properties', () => {
    assert.equal(validateEvent({ ...VALID.track, appBuild: 3, context: { custom: { x: 1 } } }).ok, true);
    assert.equal(validateEvent({ type: 'click', properties: { tag: 'a', mine: [1, 2] } }).ok, true);
  });

  it('rejects anything that is not a JSON object with not_an_object', () => {
    for (const v of [null, undefined, [], [VALID.track], 'track', 1, true]) assertIssue(v, 'not_an_object', '');
  });

  it('rejects a missing type with missing_field naming type', () => {
    const issue = assertIssue({ event: 'x', anonymousId: 'a' }, 'missing_field', 'type');
    assert.equal(issue.message, 'type is required');
  });

  it('rejects an unknown or non-string type with unknown_type listing every type', () => {
    for (const type of ['purchase', 'TRACK', '', 1, null, {}, ['track'], 'toString', '__proto__']) {
      const issue = assertIssue({ type, event: 'x', anonymousId: 'a' }, 'unknown_type', 'type');
      for (const t of EVENT_TYPES) assert.ok(issue.message.includes(t), `${t} missing from: ${issue.message}`);
    }
  });

  it('requires event on track, groupId on group, previousId and userId on alias', () => {
    assertIssue({ type: 'track', anonymousId: 'a' }, 'missing_field', 'event');
    assertIssue({ type: 'group', userId: 'u' }, 'missing_field', 'groupId');
    assertIssue({ type: 'alias', userId: 'u' }, 'missing_field', 'previousId');
    assertIssue({ type: 'alias', previousId: 'p' }, 'missing_field', 'userId');
  });

  it('requires userId or anonymousId on Segment types only', () => {
    for (const type of ['track', 'page', 'screen', 'identify', 'group']) {
      const base = { ...VALID[type] } as Record<string, unknown>;
      delete base.userId;
      delete base.anonymousId;
      const issue = assertIssue(base, 'missing_identity', 'userId');
      assert.match(issue.message, new RegExp(`a ${type} event needs userId or anonymousId`));
      assertIssue({ ...base, userId: null, anonymousId: null }, 'missing_identity', 'userId');
      assert.equal(validateEvent({ ...base, userId: null, anonymousId: 'a' }).ok, true);
    }
    for (const type of FOOTPRINT_TYPES) assert.equal(validateEvent(VALID[type]).ok, true);
  });

  it('accepts ids as non-empty strings or numbers, up to 256 characters', () => {
    assert.equal(validateEvent({ ...VALID.track, userId: 42, messageId: 7.5 }).ok, true);
    assert.equal(validateEvent({ ...VALID.track, messageId: 'm'.repeat(LIMITS.maxIdLength) }).ok, true);
    assertIssue({ ...VALID.track, messageId: 'm'.repeat(LIMITS.maxIdLength + 1) }, 'invalid_field', 'messageId');
    assertIssue({ ...VALID.track, messageId: '' }, 'invalid_field', 'messageId');
    assertIssue({ ...VALID.track, userId: true }, 'invalid_field', 'userId');
    assertIssue({ ...VALID.track, userId: Number.POSITIVE_INFINITY }, 'invalid_field', 'userId');
    assertIssue({ ...VALID.track, anonymousId: Number.NaN }, 'invalid_field', 'anonymousId');
  });

  it('explains a nested id union in words instead of "undefined", and says which rule a given text or number broke', () => {
    const issue = assertIssue({ ...VALID.track, anonymousId: true }, 'invalid_field', 'anonymousId');
    assert.equal(issue.message, 'anonymousId must be one of: a string of 1 to 256 characters, number, null');
    const mid = assertIssue({ ...VALID.track, messageId: {} }, 'invalid_field', 'messageId');
    assert.equal(mid.message, 'messageId must be one of: a string of 1 to 256 characters, number');
    assert.equal(
      assertIssue({ ...VALID.track, anonymousId: 'a'.repeat(300) }, 'invalid_field', 'anonymousId').message,
      'anonymousId must be at most 256 characters',
    );
    assert.equal(assertIssue({ ...VALID.track, userId: '' }, 'invalid_field', 'userId').message, 'userId must not be empty');
    // JSON.parse reads 1e400 as Infinity.
    assert.equal(
      assertIssue({ ...VALID.track, userId: Number.POSITIVE_INFINITY }, 'invalid_field', 'userId').message,
      'userId must be a finite number (this one is too large)',
    );
  });

  it('says number rules in words: bounds, whole numbers, numbers sent as text', () => {
    const request = (p: Record<string, unknown>) => ({
      type: 'request',
      properties: { method: 'GET', path: '/', status: 200, duration_ms: 1, ...p },
    });
    assert.equal(
      assertIssue(request({ status: 600 }), 'invalid_field', 'properties.status').message,
      'properties.status must be at most 599',
    );
    assert.equal(
      assertIssue(request({ status: 99 }), 'invalid_field', 'properties.status').message,
      'properties.status must be at least 100',
    );
    assert.equal(
      assertIssue(request({ status: 200.5 }), 'invalid_field', 'properties.status').message,
      'properties.status must be a whole number',
    );
    assert.equal(
      assertIssue(request({ status: '200' }), 'invalid_field', 'properties.status').message,
      'properties.status must be a whole number (a JSON number, not text)',
    );
    assert.equal(
      assertIssue(request({ duration_ms: -1 }), 'invalid_field', 'properties.duration_ms').message,
      'properties.duration_ms must be at least 0',
    );
    assert.equal(
      assertIssue(request({ duration_ms: 'fast' }), 'invalid_field', 'properties.duration_ms').message,
      'properties.duration_ms must be a number (a JSON number, not text)',
    );
  });

  it('refuses a timestamp of a day that does not exist instead of moving it to another day', () => {
    for (const timestamp of ['2026-02-30T00:00:00Z', '2025-02-29T10:00:00Z', '2026-04-31T00:00:00Z', '2026-13-01T00:00:00Z']) {
      assert.match(assertIssue({ ...VALID.track, timestamp }, 'invalid_field', 'timestamp').message, /of a day that exists/);
    }
    assert.equal(validateEvent({ ...VALID.track, timestamp: '2024-02-29T10:00:00Z' }).ok, true);
  });

  it('lists the literal choices of an enum field', () => {
    const issue = assertIssue({ type: 'error', properties: { message: 'x', level: 'loud' } }, 'invalid_field', 'properties.level');
    assert.equal(issue.message, 'properties.level must be one of: "warning", "error", "critical", "fatal"');
    assertIssue({ type: 'log', properties: { level: 'verbose', message: 'x' } }, 'invalid_field', 'properties.level');
    assertIssue({ type: 'cron', properties: { job: 'j', status: 'ok' } }, 'invalid_field', 'properties.status');
  });

  it('limits event names to 512 characters and rejects an empty name', () => {
    assert.equal(validateEvent({ ...VALID.track, event: 'e'.repeat(LIMITS.maxNameLength) }).ok, true);
    const long = assertIssue({ ...VALID.track, event: 'e'.repeat(LIMITS.maxNameLength + 1) }, 'invalid_field', 'event');
    assert.equal(long.message, 'event must be at most 512 characters');
    const empty = assertIssue({ ...VALID.track, event: '' }, 'invalid_field', 'event');
    assert.equal(empty.message, 'event must not be empty');
  });

  it('accepts ISO-8601 date-times in timestamp, originalTimestamp and sentAt', () => {
    for (const ts of [
      '2026-02-04T11:17:16Z',
      '2026-02-04T11:17:16.123Z',
      '2026-02-04T11:17:16.123456789Z',
      '2026-02-04T11:17:16+01:00',
      '2026-02-04T11:17:16-0530',
      '2026-02-04 11:17:16Z',
      '2026-02-04t11:17:16z',
      '2026-02-04T11:17Z',
    ]) {
      for (const field of ['timestamp', 'originalTimestamp', 'sentAt']) {
        const r = validateEvent({ ...VALID.track, [field]: ts });
        assert.equal(r.ok, true, `${field}=${ts}: ${r.ok ? '' : r.issue.message}`);
      }
    }
  });

  it('rejects timestamps that are not ISO-8601 date-times, showing the expected format', () => {
    for (const ts of [
      'yesterday',
      '2026-02-04',
      '2026-02-04T11',
      '1770203836',
      '04/02/2026 11:17:16',
      '2026-13-01T00:00:00Z',
      '2026-02-04T25:00:00Z',
      '',
    ]) {
      const issue = assertIssue({ ...VALID.track, timestamp: ts }, 'invalid_field', 'timestamp');
      assert.match(issue.message, /ISO-8601/, ts);
    }
    assertIssue({ ...VALID.track, timestamp: 1770203836000 }, 'invalid_field', 'timestamp');
    assertIssue({ ...VALID.track, sentAt: 'now' }, 'invalid_field', 'sentAt');
  });

  it('checks typed properties of Footprint types and names the field', () => {
    const req = (props: Record<string, unknown>) => ({
      type: 'request',
      properties: { ...(VALID.request?.properties as object), ...props },
    });
    assertIssue(req({ status: '200' }), 'invalid_field', 'properties.status');
    assertIssue(req({ status: 99 }), 'invalid_field', 'properties.status');
    assertIssue(req({ status: 600 }), 'invalid_field', 'properties.status');
    assertIssue(req({ status: 200.5 }), 'invalid_field', 'properties.status');
    assertIssue(req({ duration_ms: -1 }), 'invalid_field', 'properties.duration_ms');
    assertIssue(req({ method: 'x'.repeat(17) }), 'invalid_field', 'properties.method');
    assertIssue({ type: 'request', properties: { method: 'GET', path: '/', duration_ms: 1 } }, 'missing_field', 'properties.status');
    assertIssue({ type: 'request' }, 'missing_field', 'properties');
    assertIssue({ type: 'click', properties: { tag: 'a', x_pct: 101 } }, 'invalid_field', 'properties.x_pct');
    assertIssue({ type: 'click', properties: { tag: 'a', classes: ['x', 2] } }, 'invalid_field', 'properties.classes[1]');
    assertIssue({ type: 'engagement', properties: { engaged_ms: 'long' } }, 'invalid_field', 'properties.engaged_ms');
    assertIssue({ type: 'ai', properties: { provider: 'p', model: 'm', input_tokens: 1.5 } }, 'invalid_field', 'properties.input_tokens');
  });

  it('requires properties, traits and context to be objects', () => {
    assertIssue({ ...VALID.track, properties: [] }, 'invalid_field', 'properties');
    assertIssue({ ...VALID.track, properties: 'x' }, 'invalid_field', 'properties');
    assertIssue({ ...VALID.identify, traits: 5 }, 'invalid_field', 'traits');
    assertIssue({ ...VALID.track, context: null }, 'invalid_field', 'context');
    assertIssue({ ...VALID.track, context: { page: { url: 1 } } }, 'invalid_field', 'context.page.url');
    assertIssue({ ...VALID.track, context: { userAgent: 'u'.repeat(2049) } }, 'invalid_field', 'context.userAgent');
  });

  it('rejects nesting deeper than 32 levels with too_deep and the path where it is passed', () => {
    // The event is level 0 and `properties` level 1, so 31 nested objects in properties are the most allowed.
    assert.equal(validateEvent({ ...VALID.track, properties: nest(31) }).ok, true);
    const issue = assertIssue({ ...VALID.track, properties: nest(32) }, 'too_deep', `properties${'.a'.repeat(31)}`);
    assert.match(issue.message, /deeper than 32 levels \(limit maxDepth\)/);
  });

  it('counts arrays as nesting levels', () => {
    let v: unknown = 1;
    for (let i = 0; i < 40; i++) v = [v];
    assertIssue({ ...VALID.track, properties: { list: v } }, 'too_deep', `properties.list${'[0]'.repeat(30)}`);
  });

  it('rejects 100,000 levels of nesting without overflowing the stack', () => {
    let v: unknown = 1;
    for (let i = 0; i < 100_000; i++) v = { a: [v] };
    assert.equal(issueOf({ ...VALID.track, properties: v }).code, 'too_deep');
    assert.equal(checkStructure(v)?.code, 'too_deep');
  });

  it('rejects lone UTF-16 surrogates in values and keys with invalid_unicode', () => {
    assertIssue({ ...VALID.track, event: 'a\ud800' }, 'invalid_unicode', 'event');
    assertIssue({ ...VALID.track, properties: { s: '\udfff' } }, 'invalid_unicode', 'properties.s');
    assertIssue({ ...VALID.track, properties: { list: ['ok', 'x\udc00y'] } }, 'invalid_unicode', 'properties.list[1]');
    assertIssue({ ...VALID.track, properties: { 'k\ud800': 1 } }, 'invalid_unicode', 'properties.k\ud800');
    assertIssue({ ...VALID.track, context: { deep: { er: '\ude00\ud83d' } } }, 'invalid_unicode', 'context.deep.er');
  });

  it('refuses numbers that JSON.parse could not keep as sent, wherever they are', () => {
    assertIssue({ ...VALID.track, properties: { n: Number.POSITIVE_INFINITY } }, 'invalid_field', 'properties.n');
    assertIssue({ ...VALID.track, context: { app: { build: Number.NaN } } }, 'invalid_field', 'context.app.build');
    assertIssue({ ...VALID.track, properties: { list: [1, 2 ** 53] } }, 'invalid_field', 'properties.list[1]');
    assertIssue({ ...VALID.identify, traits: { id: -(2 ** 60) } }, 'invalid_field', 'traits.id');
    const edge = validateEvent({
      ...VALID.track,
      properties: { max: 2 ** 53 - 1, min: -(2 ** 53 - 1), f: 123456.789, z: 5e-324, avogadro: 6.02e23, huge: 1.5e300 },
    });
    assert.equal(edge.ok, true, edge.ok ? '' : edge.issue.message);
  });

  it('accepts well-formed surrogate pairs, NUL characters and every plane of Unicode', () => {
    const r = validateEvent({ ...VALID.track, event: '😀 \u0000 中文 \u{10ffff}', properties: { 'ключ\u0000': 'значение' } });
    assert.equal(r.ok, true, r.ok ? '' : r.issue.message);
  });

  it('does not take event fields from a parsed __proto__ key', () => {
    const sneaky = JSON.parse('{"__proto__":{"type":"track","event":"x","anonymousId":"a"}}');
    assert.equal(Object.getPrototypeOf(sneaky), Object.prototype, 'JSON.parse makes __proto__ an own key');
    assertIssue(sneaky, 'missing_field', 'type');
  });
});

describe('checkStructure', () => {
  it('accepts scalars and shallow values', () => {
    for (const v of [null, 1, 'x', true, [], {}, { a: [1, { b: 'c' }] }]) assert.equal(checkStructure(v), undefined);
  });

  it('counts the root as level 0 and rejects an object at level 32', () => {
    assert.equal(checkStructure(nest(32)), undefined, '32 nested objects below the root reach level 31');
    const issue = checkStructure(nest(33));
    assert.equal(issue?.code, 'too_deep');
    assert.equal(issue?.path, 'a'.repeat(32).split('').join('.'));
  });

  it('names the event itself when the root string is malformed', () => {
    const issue = checkStructure('\ud800');
    assert.equal(issue?.code, 'invalid_unicode');
    assert.equal(issue?.path, '');
    assert.match(issue?.message ?? '', /^event contains a lone UTF-16 surrogate/);
  });
});

describe('pointerToPath', () => {
  it('turns JSON pointers into dotted paths with array indexes', () => {
    assert.equal(pointerToPath(''), '');
    assert.equal(pointerToPath('/properties'), 'properties');
    assert.equal(pointerToPath('/properties/status'), 'properties.status');
    assert.equal(pointerToPath('/properties/0/x'), 'properties[0].x');
    assert.equal(pointerToPath('/a/12/34'), 'a[12][34]');
  });

  it('unescapes ~1 and ~0', () => {
    assert.equal(pointerToPath('/a~1b/c~0d'), 'a/b.c~d');
  });
});

describe('limits', () => {
  it('match Segment’s HTTP API: 32 KB per event, 500 KB per batch, 2500 events per batch', () => {
    assert.equal(LIMITS.maxEventBytes, 32 * 1024);
    assert.equal(LIMITS.maxBatchBytes, 500 * 1024);
    assert.equal(LIMITS.maxBatchEvents, 2500);
    assert.equal(LIMITS.maxDepth, 32);
    assert.equal(LIMITS.maxIdLength, 256);
    assert.equal(LIMITS.maxNameLength, 512);
  });

  it('are words in KB when whole, bytes otherwise', () => {
    assert.equal(formatBytes(32 * 1024), '32 KB');
    assert.equal(formatBytes(500 * 1024), '500 KB');
    assert.equal(formatBytes(1000), '1000 bytes');
    assert.equal(formatBytes(0), '0 KB');
  });
});
