/**
 * Credentials on a request. Write keys arrive the ways Segment clients and browsers send
 * them: HTTP Basic with the key as username, `Authorization: Bearer <key>`, `?key=` (for
 * sendBeacon, which cannot set headers), or a `writeKey` field in the body (analytics.js).
 * The admin token is accepted only as a Bearer token.
 */
import type { IncomingMessage } from 'node:http';

export interface Credential {
  scheme: 'basic' | 'bearer' | 'query';
  value: string;
}

export function credentialOf(req: IncomingMessage, query: URLSearchParams | undefined): Credential | undefined {
  const auth = req.headers.authorization;
  if (auth) {
    const space = auth.indexOf(' ');
    const scheme = auth.slice(0, space).toLowerCase();
    const value = auth.slice(space + 1).trim();
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return { scheme: 'basic', value: colon === -1 ? decoded : decoded.slice(0, colon) };
    }
    if (scheme === 'bearer') return { scheme: 'bearer', value };
  }
  const key = query?.get('key');
  return key ? { scheme: 'query', value: key } : undefined;
}

/**
 * The scheme of an Authorization header that is neither Basic nor Bearer, for the error that
 * says so: `''` when the header has no scheme (a bare key, not echoed back).
 */
export function unreadScheme(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (!auth) return undefined;
  const space = auth.indexOf(' ');
  if (space === -1) return '';
  const scheme = auth.slice(0, space);
  const lower = scheme.toLowerCase();
  return lower === 'basic' || lower === 'bearer' ? undefined : scheme;
}
