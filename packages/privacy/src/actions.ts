/**
 * What a rule does to the value it matched. Every action is a pure function of the value
 * (and, for hash, the project's secret), so equal inputs give equal outputs: hashed values
 * still join and count as one.
 */
import { createHmac } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
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

/** IPv4 to its /24 (`203.0.113.0`), IPv6 to its /48 (`2001:db8:85a3::`). */
export function truncateIp(ip: string): string {
  if (isIPv4(ip)) return ip.replace(/\.\d{1,3}$/, '.0');
  if (isIPv6(ip)) {
    const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (v4mapped?.[1]) return truncateIp(v4mapped[1]);
    const [head = ''] = ip.split('::');
    const groups = ip.includes('::') ? head.split(':').filter(Boolean) : ip.split(':');
    while (groups.length < 3) groups.push('0');
    return `${groups.slice(0, 3).join(':').toLowerCase()}::`;
  }
  return ip;
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
