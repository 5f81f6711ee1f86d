/**
 * The little masking the SDK does itself, before anything leaves the process: email
 * recipients (`u***@example.com`, as the operational-logging guidelines ask) and the values
 * of query parameters whose names say they are secret. Broader masking of personal data
 * belongs in the `beforeSend` hook (e.g. with `@footprint/privacy`) and in the collector.
 */

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Masks an email address: first character of the local part, then `***`.
 * Text that is not an address (a hash, an id) is returned as it is.
 * @example maskEmail('user@example.com') // 'u***@example.com'
 */
export function maskEmail(value: string): string {
  // `Jane Doe <jane@example.com>`: the name is personal data too; only the masked address is kept.
  const angle = /<([^<>\s]+@[^<>\s]+)>\s*$/.exec(value);
  if (angle?.[1]) return maskEmail(angle[1]);
  const at = value.lastIndexOf('@');
  if (at === -1) return value;
  const local = value.slice(0, at);
  const first = [...local][0] ?? '';
  return `${first}***${value.slice(at)}`;
}

/**
 * Names of query parameters whose values are never sent. Long, unambiguous stems count
 * anywhere in a name (`accesstoken`, `clientSecret`, `newpassword`); short ones only as whole
 * words (`key`, `auth_token`, `sid`), so `author`, `monkey`, `footprint` and `cardinal` are
 * not secret. A name is tested as it is and as lower-case words joined by `_` (`apiKey` →
 * `api_key`, `X-Auth-Token` → `x_auth_token`).
 */
export const SECRET_QUERY_KEYS =
  /token|secret|passw|passphrase|passcode|credential|signature|api_?key|access_?key|private_?key|session_?id|cookie|(?:^|_)(?:pass|pwd|key|auth|authorization|session|sid|sig|otp|private|ssn|card|card_?number|cvv|cvc|iban|jwt)(?:_|$)|^code$/i;

/** A name as lower-case words joined by `_`: `apiKey` → `api_key`, `X-Auth-Token` → `x_auth_token`. */
function wordsOf(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

export const MASKED = '[masked]';

/** Longest query value kept; longer values are cut (a query is metadata, not a payload). */
const MAX_QUERY_VALUE = 512;
/** Most query parameters kept. */
const MAX_QUERY_KEYS = 64;

function maskValue(key: string, value: string, secret: RegExp): string {
  if (secret.test(key) || secret.test(wordsOf(key))) return MASKED;
  if (EMAIL_RE.test(value)) return maskEmail(value);
  return value.length > MAX_QUERY_VALUE ? `${value.slice(0, MAX_QUERY_VALUE)}…` : value;
}

/** Form-style decoding (`+` is a space); a malformed escape leaves the text as it is. */
function decode(s: string): string {
  if (s.indexOf('%') === -1 && s.indexOf('+') === -1) return s;
  const spaced = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/**
 * Parses a raw query string into an object, masking secret parameters and email values.
 * Repeated keys become arrays. (A hand-rolled split: URLSearchParams costs several times more,
 * and this runs once per request.)
 * @example maskQuery('q=shoes&token=abc', SECRET_QUERY_KEYS) // { q: 'shoes', token: '[masked]' }
 */
export function maskQuery(raw: string, secret: RegExp = SECRET_QUERY_KEYS): Record<string, string | string[]> | undefined {
  if (raw === '') return undefined;
  const out: Record<string, string | string[]> = {};
  let keys = 0;
  for (let start = 0; start < raw.length; ) {
    let end = raw.indexOf('&', start);
    if (end === -1) end = raw.length;
    if (end > start) {
      const eq = raw.indexOf('=', start);
      const hasValue = eq !== -1 && eq < end;
      const key = decode(raw.slice(start, hasValue ? eq : end));
      if (key !== '__proto__') {
        const v = maskValue(key, hasValue ? decode(raw.slice(eq + 1, end)) : '', secret);
        const prev = Object.hasOwn(out, key) ? out[key] : undefined;
        if (prev === undefined) {
          if (++keys > MAX_QUERY_KEYS) break;
          out[key] = v;
        } else if (Array.isArray(prev)) prev.push(v);
        else out[key] = [prev, v];
      }
    }
    start = end + 1;
  }
  return keys === 0 ? undefined : out;
}
