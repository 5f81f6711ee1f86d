/**
 * Serializes an event so that whatever the host page put in it cannot make the SDK throw or
 * the collector reject it:
 * - a repeated object (a cycle, or a shared reference) becomes "[Circular]";
 * - BigInt becomes text (JSON.stringify would throw); functions and symbols are left out,
 *   non-finite numbers become null and objects with toJSON (Dates) its result, as JSON does;
 * - every string is cut to MAX_TEXT characters and has email-like text replaced by "[email]"
 *   (except `userId`: an email used as the app's user id is an id, not text to mask);
 * - keys and strings are well-formed Unicode: a lone surrogate, which the collector rejects
 *   with invalid_unicode, becomes U+FFFD.
 */

export const MAX_TEXT = 4000;

/** Email addresses, also URL-encoded (`a%40b.com`), as found in URLs, link text and messages. */
const EMAIL = /[\w.+-]+(@|%40)[\w-]+\.[\w.-]+/g;

/** Cuts and masks one string. */
export const cleanText = (text: string): string => text.slice(0, MAX_TEXT).replace(EMAIL, '[email]');

/**
 * The JSON text of `value`, made safe as described above. JSON.stringify writes a lone
 * surrogate, in a key or a value (or cut from a pair), as a `\udXXX` escape and leaves pairs
 * as they are: so those escapes are exactly what to replace.
 * @example
 * const a: Record<string, unknown> = { n: 1n }; a.self = a;
 * serialize(a) // '{"n":"1","self":"[Circular]"}'
 */
export function serialize(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (key, v) =>
    typeof v === 'bigint'
      ? `${v}`
      : typeof v === 'string'
        ? key === 'userId'
          ? v
          : cleanText(v)
        : v && typeof v === 'object'
          ? seen.has(v)
            ? '[Circular]'
            : seen.add(v) && v
          : v,
  ).replace(/\\ud[89a-f]\w\w/g, '\\ufffd');
}

/** `value` when it is a plain object, else an empty object (properties, traits). */
export const dict = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
