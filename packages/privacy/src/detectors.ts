/**
 * Built-in detectors of personal data inside text. Each is a global regex plus, where the
 * shape alone is not enough, a check (Luhn for card numbers, net.isIP for addresses).
 * Boundaries exclude letters, digits, `-` and `_`, so ids such as UUIDs, order numbers and
 * version strings are not taken for phone or card numbers.
 */
import { isIP } from 'node:net';
import type { DetectorName } from './settings.js';

export interface Detector {
  name: DetectorName;
  /** Global regex; reset before each use. */
  regex: RegExp;
  /** Extra check on a match; false keeps the text as it is. */
  accept?: (match: string) => boolean;
}

/** Luhn checksum (ISO/IEC 7812) over the digits of a candidate card number. */
export function luhnValid(text: string): boolean {
  const digits = text.replace(/\D/g, '');
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const digitCount = (s: string): number => s.replace(/\D/g, '').length;

/**
 * Order matters: at one position the first detector that matches wins. Tokens first (their
 * base64 may hold digit runs), then emails, then addresses (an IPv6 starts like a number),
 * then card and phone numbers.
 */
export const DETECTORS: readonly Detector[] = [
  // Every quantifier that can run long is bounded, and a match cannot start inside a run it
  // would scan again from the next position: text of any length is scanned in linear time.
  { name: 'jwt', regex: /(?<![\w-])eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g },
  { name: 'bearer', regex: /\b(?:Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/g },
  // `%40` too: an email inside a URL-encoded query string.
  // A match starts only where a run of local-part characters starts, so the run is scanned
  // once, and a local part of any length is masked whole.
  { name: 'email', regex: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g },
  {
    name: 'ip',
    // IPv4 (also before a `:port` or a colon: `10.1.2.3:5432`, `10.1.2.3: timeout`; not the host
    // of a URL, `http://10.0.0.5:8080/`, a server's address), IPv6 ending in an IPv4
    // (`::ffff:203.0.113.7`, how a dual-stack server sees IPv4 clients), and IPv6.
    regex:
      /(?<![\w.]|\/\/)(?:\d{1,3}\.){3}\d{1,3}(?![\w.])|(?<![\w.:])(?:(?:[0-9A-Fa-f]{0,4}:){2,6}(?:\d{1,3}\.){3}\d{1,3}|(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4})(?![\w.:])/g,
    accept: (m) => isIP(m) !== 0,
  },
  {
    name: 'card',
    regex: /(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])/g,
    accept: luhnValid,
  },
  {
    name: 'phone',
    // An optional +country code, then groups of 2-4 digits; not inside a version, path or id.
    regex: /(?<![\w/-]|\d\.)(?:\+\d{1,3}[ .-]?)?\(?\d{2,4}\)?(?:[ .-]?\d{2,4}){1,3}(?![\w-]|\.\d)/g,
    accept: (m) => {
      const n = digitCount(m);
      return n >= 9 && n <= 15;
    },
  },
];

/**
 * Cheap gate before running the detectors: text without a digit, `@`, or a token marker
 * cannot hold any of them. Most strings (names, titles, paths) stop here.
 */
export function mightHoldPersonalData(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 48 && c <= 57) || c === 64) return true;
  }
  return s.includes('eyJ') || s.includes('earer ') || s.includes('asic ') || s.includes('oken ');
}
