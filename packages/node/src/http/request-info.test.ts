import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientIpOf, cookieValue, parseTraceparent, plainIp, requestIdsOf, splitUrl, userAgentOf, visitorIdsOf } from './request-info.js';

const headers = (h: Record<string, string>) => (name: string) => h[name];

describe('request ids', () => {
  it('parses a W3C traceparent and refuses invalid ones', () => {
    assert.deepEqual(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
    });
    assert.ok(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future'), 'later versions may add fields');
    for (const bad of [
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
      'garbage',
    ]) {
      assert.equal(parseTraceparent(bad), undefined, bad);
    }
  });

  it('prefers a valid X-Request-Id, then the trace id, then a new UUID', () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    assert.equal(requestIdsOf(headers({ 'x-request-id': 'req_xyz', traceparent: tp }), 'x-request-id').requestId, 'req_xyz');
    const traced = requestIdsOf(headers({ traceparent: tp }), 'x-request-id');
    assert.equal(traced.requestId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(traced.parentSpanId, '00f067aa0ba902b7');
    assert.match(traced.spanId ?? '', /^[0-9a-f]{16}$/);
    for (const bad of ['', 'with space', 'x'.repeat(129), 'tab\there', 'é']) {
      assert.match(requestIdsOf(headers({ 'x-request-id': bad }), 'x-request-id').requestId, /^[0-9a-f-]{36}$/, bad);
    }
  });
});

describe('visitor ids', () => {
  it('reads the browser SDK headers first, then the fp_aid / fp_sid cookies', () => {
    assert.deepEqual(
      visitorIdsOf(headers({ 'x-footprint-anonymous-id': 'a1', 'x-footprint-session-id': 's1', cookie: 'fp_aid=c1; fp_sid=c2' })),
      {
        anonymousId: 'a1',
        sessionId: 's1',
      },
    );
    assert.deepEqual(visitorIdsOf(headers({ 'x-footprint-session-id': 's1', cookie: 'fp_aid=c1; fp_sid=c2' })), {
      anonymousId: 'c1',
      sessionId: 's1',
    });
    assert.deepEqual(visitorIdsOf(headers({})), {});
  });

  it('refuses ids with control characters or over 256 characters', () => {
    assert.deepEqual(visitorIdsOf(headers({ 'x-footprint-anonymous-id': 'a\u0001b', 'x-footprint-session-id': 's'.repeat(257) })), {});
  });

  it('finds one cookie by its exact name, decoded', () => {
    assert.equal(cookieValue('xfp_aid=no; fp_aid=yes', 'fp_aid'), 'yes');
    assert.equal(cookieValue('fp_aid=a%20b', 'fp_aid'), 'a b');
    assert.equal(cookieValue('fp_aid=%E0%A4%A', 'fp_aid'), '%E0%A4%A');
    assert.equal(cookieValue('other=1', 'fp_aid'), undefined);
    assert.equal(cookieValue(undefined, 'fp_aid'), undefined);
  });
});

describe('client address and URL', () => {
  it('believes X-Forwarded-For only behind a trusted proxy, and unwraps IPv4-mapped addresses', () => {
    assert.equal(clientIpOf('::ffff:10.0.0.1', '203.0.113.7, 10.0.0.1', false), '10.0.0.1');
    assert.equal(clientIpOf('10.0.0.1', '203.0.113.7, 10.0.0.1', true), '203.0.113.7');
    assert.equal(clientIpOf(undefined, undefined, true), undefined);
  });

  it('gives an address as events carry it: ports and brackets dropped, anything else left out', () => {
    assert.equal(plainIp('203.0.113.7:1234'), '203.0.113.7');
    assert.equal(plainIp('[2001:db8::1]:443'), '2001:db8::1');
    assert.equal(plainIp('::ffff:198.51.100.2'), '198.51.100.2');
    assert.equal(plainIp('a'.repeat(100)), undefined);
    assert.equal(plainIp('999.1.1.1:80'), undefined);
    assert.equal(userAgentOf('x'.repeat(3000))?.length, 2048);
  });

  it('splits path and query, and an empty path is /', () => {
    assert.deepEqual(splitUrl('/a/b?x=1&y'), { path: '/a/b', query: 'x=1&y' });
    assert.deepEqual(splitUrl('?x'), { path: '/', query: 'x' });
    assert.deepEqual(splitUrl('/'), { path: '/', query: '' });
  });
});
