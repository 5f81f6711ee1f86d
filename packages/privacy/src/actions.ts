/**
 * What a rule does to the value it matched. Every action is a pure function of the value
 * (and, for hash, the project's secret), so equal inputs give equal outputs: hashed values
 * still join and count as one.
 */
import { createHmac } from 'node:crypto';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import type { Action } from './settings.js';

export const REDACTED = '[redacted]';

/** `user@example.com` → `u***@example.com`; other text keeps its first character. */
export function maskShape(value: string): string {
  const at = value.includes('@') ? value.lastIndexOf('@') : value.lastIndexOf('%40');
  if (at > 0) return `${value[0]}***${value.slice(at)}`;
  return value.length <= 1 ? '*' : `${value[0]}***`;
}

/** Every letter or digit but the last four becomes `*`; separators stay (`***-****-5678`). */
export function last4(value: string): string {
  let keep = 4;
  let out = '';
  for (let i = value.length - 1; i >= 0; i--) {
    const ch = value.charAt(i);
    if (/[A-Za-z0-9]/.test(ch)) out = (keep-- > 0 ? ch : '*') + out;
    else out = ch + out;
  }
  return out;
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped, a trailing IPv4 as two groups). */
function ipv6Groups(ip: string): number[] {
  const bare = ip.replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(bare);
  let text = bare;
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${bare.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const gap = text.indexOf('::');
  if (gap === -1) return parse(text);
  const head = parse(text.slice(0, gap));
  const tail = parse(text.slice(gap + 2));
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/**
 * IPv4 to its /24 (`203.0.113.0`), IPv6 to its /48 in one spelling (`2001:db8:85a3::`;
 * `2001:0DB8::1` and `2001:db8::5` both give `2001:db8::`); an IPv4-mapped IPv6 address
 * as its IPv4. Text that is not an address is returned as it is.
 */
export function truncateIp(ip: string): string {
  if (isIPv4(ip)) return ip.replace(/\.\d{1,3}$/, '.0');
  if (isIPv6(ip)) {
    const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (v4mapped?.[1]) return truncateIp(v4mapped[1]);
    const groups = ipv6Groups(ip).slice(0, 3);
    while (groups.length > 0 && groups.at(-1) === 0) groups.pop();
    return `${groups.map((g) => g.toString(16)).join(':')}::`;
  }
  return ip;
}

const V4_WITH_PORT = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?::\d{1,5})?$/;
const V6_BRACKETED = /^\[([^\]]{2,60})\](?::\d{1,5})?$/;

/** One address as software writes it: bare, with a port (`203.0.113.7:443`, `[2001:db8::1]:80`), or with zero-padded octets. */
function truncateOneAddress(text: string): string | undefined {
  if (isIP(text)) return truncateIp(text);
  const v6 = V6_BRACKETED.exec(text)?.[1];
  if (v6 !== undefined && isIPv6(v6)) return truncateIp(v6);
  const octets = V4_WITH_PORT.exec(text)?.slice(1, 5).map(Number);
  return octets?.every((o) => o <= 255) ? `${octets.slice(0, 3).join('.')}.0` : undefined;
}

/**
 * What an `ip` field may hold, truncated: one address or a comma-separated list of them
 * (an `X-Forwarded-For` value), each with or without a port; `undefined` when any part is
 * not an address.
 */
export function truncateAddresses(text: string): string | undefined {
  // The common case, one bare address, without splitting.
  if (isIP(text)) return truncateIp(text);
  const parts = text.split(',');
  if (parts.length > 16) return undefined;
  const out: string[] = [];
  for (const part of parts) {
    const truncated = truncateOneAddress(part.trim());
    if (truncated === undefined) return undefined;
    out.push(truncated);
  }
  return out.join(', ');
}

/** A keyed hash (HMAC-SHA256) of a value: `h:` and 20 hex digits. */
export type Hasher = (value: string) => string;

export function createHasher(secret: string): Hasher {
  const cache = new Map<string, string>();
  return (value) => {
    const hit = cache.get(value);
    if (hit) return hit;
    const out = `h:${createHmac('sha256', secret).update(value).digest('hex').slice(0, 20)}`;
    if (cache.size >= 10_000) cache.clear();
    cache.set(value, out);
    return out;
  };
}

/** Applies an action to a matched piece of text; `undefined` means "remove the field". */
export function applyAction(action: Action, value: string, hash: Hasher, kind?: string): string | undefined {
  switch (action) {
    case 'keep':
      return value;
    case 'remove':
      return undefined;
    case 'mask':
      return kind === 'ip'
        ? truncateIp(value)
        : kind === 'jwt'
          ? '[jwt]'
          : kind === 'bearer'
            ? `${value.split(/\s/)[0]} ${REDACTED}`
            : maskShape(value);
    case 'last4':
      return last4(value);
    case 'hash':
      return hash(kind === 'email' ? value.toLowerCase().replace('%40', '@') : value);
  }
}
