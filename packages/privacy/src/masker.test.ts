import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { last4, luhnValid, truncateIp } from './index.js';
import { compileMasker } from './masker.js';
import { isSecretKey } from './secret-keys.js';

const m = compileMasker({ secret: 'test-secret' });
const text = (s: string, type = 'track'): string | undefined => m.text(s, type, 'message');

describe('built-in detectors in text', () => {
  it('masks an email keeping its shape, URL-encoded ones too', () => {
    assert.equal(text('contact user@example.com now'), 'contact u***@example.com now');
    assert.equal(text('/login?next=%2F&email=user%40example.com'), '/login?next=%2F&email=u***%40example.com');
  });

  it('keeps only the last four digits of phone numbers in common formats', () => {
    assert.equal(text('call 010-1234-5678'), 'call ***-****-5678');
    assert.equal(text('call +82 10-1234-5678'), 'call +** **-****-5678');
    assert.equal(text('(555) 123-4567'), '(***) ***-4567');
  });

  it('keeps only the last four digits of Luhn-valid card numbers and leaves other digit runs', () => {
    assert.equal(text('card 4111 1111 1111 1111 ok'), 'card **** **** **** 1111 ok');
    assert.equal(text('card 4111-1111-1111-1112'), 'card 4111-1111-1111-1112', 'fails the Luhn check: not a card');
    assert.equal(luhnValid('4111111111111112'), false);
    assert.equal(luhnValid('4111111111111111'), true);
  });

  it('replaces bearer tokens and JWTs found in text', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    assert.equal(text(`Authorization: Bearer abcdef1234567890`), 'Authorization: Bearer [redacted]');
    assert.equal(text(`token was ${jwt} here`), 'token was [jwt] here');
  });

  it('finds an email and a JWT after long runs that the detectors scan once (bounded quantifiers)', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    const digits = '7'.repeat(30_000);
    assert.equal(text(`${digits} mail kim@example.com`), `${digits} mail k***@example.com`);
    assert.equal(text(`${'eyJ-'.repeat(5_000)} then ?t=${jwt}`), `${'eyJ-'.repeat(5_000)} then ?t=[jwt]`);
    assert.equal(text(`${'a.'.repeat(10_000)}x`), `${'a.'.repeat(10_000)}x`);
    // A local part longer than the standard's 64 characters is still masked whole.
    const long = `${'customer.support.team.'.repeat(4)}x@example.com`;
    assert.equal(text(`mail ${long}`), 'mail c***@example.com');
  });

  it('truncates IPv4 to /24 and IPv6 to /48 wherever they appear', () => {
    assert.equal(text('from 203.0.113.77 and 2001:db8:85a3:8d3:1319:8a2e:370:7348'), 'from 203.0.113.0 and 2001:db8:85a3::');
    assert.equal(truncateIp('::ffff:10.1.2.3'), '10.1.2.0');
    // How a server listening on :: sees an IPv4 client, alone and inside text.
    assert.equal(text('::ffff:203.0.113.77'), '203.0.113.0');
    assert.equal(text('client ::ffff:203.0.113.77 and 203.0.113.78'), 'client 203.0.113.0 and 203.0.113.0');
    assert.equal(text('nat64 64:ff9b::198.51.100.9'), 'nat64 64:ff9b::');
  });

  it('truncates addresses followed by a port or a colon, as error messages write them', () => {
    assert.equal(text('connect ECONNREFUSED 203.0.113.77:5432'), 'connect ECONNREFUSED 203.0.113.0:5432');
    assert.equal(text('upstream 10.1.2.3:443 failed'), 'upstream 10.1.2.0:443 failed');
    assert.equal(text('cannot reach 10.0.0.17: timeout'), 'cannot reach 10.0.0.0: timeout');
    assert.equal(text('ip:10.1.2.3'), 'ip:10.1.2.0');
    assert.equal(text('[2001:db8:85a3:8d3::1]:8080'), '[2001:db8:85a3::]:8080');
    assert.equal(text('v1.2.3.4 and 1.2.3.4.5'), 'v1.2.3.4 and 1.2.3.4.5', 'versions are not addresses');
    assert.equal(text('GET http://10.0.0.5:8080/health failed'), 'GET http://10.0.0.5:8080/health failed', "a URL's host is a server");
  });

  it('writes a truncated IPv6 address one way however it was written', () => {
    for (const ip of ['2001:db8::5', '2001:0DB8::1', '2001:db8:0:1::9', '2001:db8:0000::']) assert.equal(truncateIp(ip), '2001:db8::');
    assert.equal(truncateIp('2001:0:5:6::1'), '2001:0:5::');
    assert.equal(truncateIp('::1'), '::');
    assert.equal(truncateIp('fe80::1%eth0'), 'fe80::');
    assert.equal(truncateIp('64:ff9b::198.51.100.9'), '64:ff9b::');
  });
});

describe('the ip field', () => {
  it('truncates addresses with ports, brackets, zero padding and lists, and masks anything else as text', () => {
    const cases: Array<[string, string]> = [
      ['203.0.113.77', '203.0.113.0'],
      ['203.0.113.77:5678', '203.0.113.0'],
      ['[2001:db8:85a3::1]:80', '2001:db8:85a3::'],
      ['203.0.113.77, 10.0.0.1', '203.0.113.0, 10.0.0.0'],
      ['01.02.03.004', '1.2.3.0'],
      ['fe80::1%eth0', 'fe80::'],
      ['::ffff:198.51.100.7', '198.51.100.0'],
      ['client 203.0.113.77 via proxy', 'client 203.0.113.0 via proxy'],
      ['kim@example.com', 'k***@example.com'],
      ['unknown', 'unknown'],
    ];
    for (const [raw, stored] of cases) assert.equal(m.ip(raw), stored, raw);
  });

  it('leaves ids, UUIDs, versions, dates and times alone', () => {
    for (const s of [
      '3a88682e-6fab-4631-8328-6b403c8c5c7a',
      'order_1234567890',
      'Chrome/120.0.6099.109',
      '2026-02-04T11:17:16.000Z',
      '12:30:45',
      'v1.2.3',
      'survey_no 194',
    ]) {
      assert.equal(text(s), s, s);
    }
  });

  it('removes secret values from query strings and masks emails in them', () => {
    assert.equal(
      text('https://shop.example/cb?token=abc123&email=kim@example.com&page=2'),
      'https://shop.example/cb?token=[redacted]&email=k***@example.com&page=2',
    );
  });

  it('masks personal data inside a stack trace', () => {
    const stack = 'Error: no user kim@example.com\n    at load (/app/users.js:10:5)';
    assert.equal(text(stack, 'error'), 'Error: no user k***@example.com\n    at load (/app/users.js:10:5)');
  });
});

describe('secret keys', () => {
  it('recognises secret key names in snake, kebab and camel case', () => {
    for (const k of [
      'password',
      'user_password',
      'passwd',
      'secret',
      'client_secret',
      'access_token',
      'apiKey',
      'api_key',
      'apikey',
      'Authorization',
      'Set-Cookie',
      'cookie',
      'credentials',
      'private_key',
      'privateKey',
      'session',
    ]) {
      assert.equal(isSecretKey(k), true, k);
    }
  });

  it('keeps counts and ids whose names merely contain those words', () => {
    for (const k of ['input_tokens', 'output_tokens', 'session_id', 'sessionId', 'author', 'tokenizer', 'keyboard', 'passenger']) {
      assert.equal(isSecretKey(k), false, k);
    }
  });
});

describe('masking a tree', () => {
  it('removes secret keys and masks text at any depth, arrays included', () => {
    const props = {
      password: 'hunter2',
      nested: { list: [{ email: 'a@b.co', apiKey: 'k' }, 'call 010-1234-5678'], deeper: { cookie: 'sid=1' } },
      plan: 'pro',
    };
    const out = m.tree(props, 'track', 'properties');
    assert.deepEqual(out, { nested: { list: [{ email: 'a***@b.co' }, 'call ***-****-5678'], deeper: {} }, plan: 'pro' });
  });

  it('never scans the user agent and library of the context', () => {
    const ua = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0.0.0 Safari/537.36 10.1.2.3';
    const out = m.tree({ userAgent: ua, ip: '10.1.2.3' }, 'page', 'context') as Record<string, string>;
    assert.equal(out.userAgent, ua);
    assert.equal(out.ip, '10.1.2.0');
  });

  it('hashes with a keyed hash, equal values to equal hashes, per secret', () => {
    const other = compileMasker({ secret: 'another-secret' });
    assert.equal(m.identity('Kim@Example.com'), m.identity('kim@example.com'));
    assert.match(m.identity('kim@example.com'), /^h:[0-9a-f]{20}$/);
    assert.notEqual(other.identity('kim@example.com'), m.identity('kim@example.com'));
    assert.equal(m.identity('user-42'), 'user-42');
    assert.match(m.identity('010-1234-5678'), /^h:/);
  });
});

describe('configured rules', () => {
  it('applies key, path, pattern and detector rules, per event type, and keeps allow-listed paths raw', () => {
    const c = compileMasker({
      secret: 's',
      settings: {
        rules: [
          { key: '^ssn$', action: 'remove' },
          { path: 'properties.customer.name', action: 'mask' },
          { pattern: 'ORD-\\d+', action: 'hash' },
          { detector: 'email', action: 'hash' },
          { key: '^note$', action: 'remove', types: ['log'] },
        ],
        allow: ['properties.support_email'],
      },
    });
    const props = {
      ssn: '123',
      customer: { name: 'Kim Minsu' },
      ref: 'see ORD-991',
      email: 'kim@example.com',
      support_email: 'help@shop.example',
      note: 'x',
    };
    const out = c.tree(structuredClone(props), 'track', 'properties') as Record<string, any>;
    assert.equal(out.ssn, undefined);
    assert.equal(out.customer.name, 'K***');
    assert.match(out.ref, /^see h:[0-9a-f]{20}$/);
    assert.match(out.email, /^h:[0-9a-f]{20}$/);
    assert.equal(out.support_email, 'help@shop.example');
    assert.equal(out.note, 'x', 'a rule for log events does not touch track events');
    assert.equal((c.tree(structuredClone(props), 'log', 'properties') as Record<string, unknown>).note, undefined);
  });

  it('turns every built-in rule off with defaults: false', () => {
    const c = compileMasker({ secret: 's', settings: { defaults: false } });
    assert.deepEqual(c.tree({ password: 'p', email: 'a@b.co' }, 'track', 'properties'), { password: 'p', email: 'a@b.co' });
    assert.equal(c.ip('10.1.2.3'), '10.1.2.3');
  });

  it('names the rule when a regex does not compile or a rule has no single matcher', () => {
    assert.throws(
      () => compileMasker({ secret: 's', settings: { rules: [{ key: '(', action: 'remove' }] } }),
      /privacy\.rules\[0\]\.key: not a valid regular expression/,
    );
    assert.throws(
      () => compileMasker({ secret: 's', settings: { rules: [{ action: 'remove' }] } }),
      /privacy\.rules\[0\]: give exactly one of/,
    );
  });

  it('offers last4 for any value', () => {
    assert.equal(last4('AB-1234-5678'), '**-****-5678');
  });
});

describe('maskEvent', () => {
  it('masks a whole wire event as the collector would, before it leaves the process', async () => {
    const { maskEvent } = await import('./mask-event.js');
    const event = {
      type: 'request',
      messageId: 'm1',
      userId: 'kim@example.com',
      properties: { method: 'POST', path: '/login?token=abc123', status: 200, duration_ms: 3, ip: '203.0.113.9', password: 'x' },
      context: { ip: '198.51.100.4', userAgent: 'node' },
    };
    const out = maskEvent(m, structuredClone(event));
    assert.equal(out.messageId, 'm1');
    assert.match(out.userId, /^h:[0-9a-f]{20}$/);
    assert.equal(out.properties.path, '/login?token=[redacted]');
    assert.equal(out.properties.ip, '203.0.113.0');
    assert.equal((out.properties as Record<string, unknown>).password, undefined);
    assert.equal(out.context.ip, '198.51.100.0');
  });
});
