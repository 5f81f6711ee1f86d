/**
 * The masking engine. `compileMasker` turns a project's privacy settings into ready-built
 * functions once (regexes compiled, rules grouped per event type, default actions folded
 * in), so masking an event makes no decisions that could have been made at start.
 *
 * Order for every value: allow-list (kept raw) → secret key names (removed) → key and path
 * rules (whole value) → pattern rules and detectors (matches inside text). Free text,
 * URLs' query strings included, is scanned wherever it sits: nested objects and arrays,
 * log and error messages, stack traces.
 */
import { applyAction, createHasher, type Hasher, REDACTED, truncateAddresses } from './actions.js';
import { DETECTORS, type Detector, mightHoldPersonalData } from './detectors.js';
import { isSecretKey } from './secret-keys.js';
import type { Action, DetectorName, PrivacyRule, PrivacySettings } from './settings.js';

/** Actions of the built-in detectors when no rule changes them. */
export const DEFAULT_ACTIONS: Readonly<Record<DetectorName, Action>> = {
  email: 'mask',
  phone: 'last4',
  card: 'last4',
  jwt: 'mask',
  bearer: 'mask',
  ip: 'mask',
};

/** `context` keys never scanned: machine-made text that cannot hold personal data but is long. */
const CONTEXT_SKIP = new Set(['userAgent', 'library', 'screen', 'locale', 'timezone']);

interface CompiledRules {
  secretKeys: boolean;
  /** All active detectors as one alternation, so text is scanned once, not once per detector. */
  combined: RegExp | null;
  keyRules: Array<{ re: RegExp; action: Action }>;
  pathRules: Array<{ re: RegExp; action: Action }>;
  patternRules: Array<{ re: RegExp; action: Action }>;
  detectors: Array<{ det: Detector; action: Action; whole: RegExp }>;
  allow: RegExp[];
  /** Whether any rule looks at paths, so walks must build them. */
  needsPath: boolean;
  memo: Map<string, string>;
}

export interface Masker {
  /**
   * Masks a JSON value in place (objects and arrays are edited, strings replaced) and
   * answers the new value; `undefined` means the value must be removed.
   * @param path dotted path of `value` from the event's top, e.g. `properties`.
   */
  tree(value: unknown, type: string, path: string): unknown;
  /** Masks free text found at `path`; `undefined` means remove. */
  text(value: string, type: string, path: string): string | undefined;
  /** The stored form of an identifier (user id, anonymous id): emails and phone numbers hashed. */
  identity(value: string): string;
  /**
   * An `ip` field: each address truncated to /24 (IPv4) or /48 (IPv6), ports dropped, unless
   * `ip` is allow-listed; a value that is not an address is masked as text of `type`.
   */
  ip(value: string, type?: string): string;
  /** The project's keyed hash. */
  hash: Hasher;
}

export interface MaskerOptions {
  settings?: PrivacySettings | undefined;
  /** Per-project secret for `hash` (HMAC key). */
  secret: string;
}

function pathRegex(path: string): RegExp {
  const body = path
    .split('.')
    .map((seg) => (seg === '*' ? '[^.]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('\\.');
  return new RegExp(`^${body}$`);
}

function compileRegex(source: string, flags: string, where: string): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (err) {
    throw new Error(`${where}: not a valid regular expression: ${(err as Error).message}`);
  }
}

function compileFor(type: string, settings: PrivacySettings | undefined): CompiledRules {
  const defaults = settings?.defaults !== false;
  const rules = (settings?.rules ?? []).filter((r) => !r.types || r.types.includes(type));
  const detectorAction = new Map<DetectorName, Action>(defaults ? (Object.entries(DEFAULT_ACTIONS) as [DetectorName, Action][]) : []);
  const keyRules: CompiledRules['keyRules'] = [];
  const pathRules: CompiledRules['pathRules'] = [];
  const patternRules: CompiledRules['patternRules'] = [];
  (settings?.rules ?? []).forEach((r: PrivacyRule, i) => {
    if (!rules.includes(r)) return;
    const where = `privacy.rules[${i}]`;
    if (r.detector) detectorAction.set(r.detector, r.action);
    if (r.key) keyRules.push({ re: compileRegex(r.key, 'i', `${where}.key`), action: r.action });
    if (r.path) pathRules.push({ re: pathRegex(r.path), action: r.action });
    if (r.pattern) patternRules.push({ re: compileRegex(r.pattern, 'g', `${where}.pattern`), action: r.action });
  });
  const allow = (settings?.allow ?? []).map(pathRegex);
  const active = DETECTORS.filter((d) => detectorAction.has(d.name) && detectorAction.get(d.name) !== 'keep');
  return {
    secretKeys: defaults,
    combined: active.length ? new RegExp(active.map((d) => `(${d.regex.source})`).join('|'), 'g') : null,
    keyRules,
    pathRules,
    patternRules,
    detectors: active.map((det) => ({
      det,
      action: detectorAction.get(det.name) as Action,
      whole: new RegExp(`^(?:${det.regex.source})$`),
    })),
    allow,
    needsPath: pathRules.length > 0 || allow.length > 0,
    memo: new Map(),
  };
}

/** Checks rules of a settings object without building a masker; throws naming the rule. */
export function checkPrivacySettings(settings: PrivacySettings | undefined): void {
  (settings?.rules ?? []).forEach((r, i) => {
    const matchers = [r.key, r.path, r.pattern, r.detector].filter((x) => x !== undefined).length;
    if (matchers !== 1) throw new Error(`privacy.rules[${i}]: give exactly one of key, path, pattern or detector`);
  });
  compileFor('*', settings);
}

const EMAIL_ONLY = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/;
const PHONE_ONLY = /^\+?[\d ().-]{9,20}$/;

/**
 * Builds the masker of one project.
 * @example
 * const m = compileMasker({ secret: 'project-secret' });
 * m.tree({ email: 'kim@example.com', password: 'x' }, 'track', 'properties');
 * // → { email: 'k***@example.com' }
 */
export function compileMasker(options: MaskerOptions): Masker {
  checkPrivacySettings(options.settings);
  const hash = createHasher(options.secret);
  const byType = new Map<string, CompiledRules>();
  const rulesOf = (type: string): CompiledRules => {
    let c = byType.get(type);
    if (!c) {
      c = compileFor(type, options.settings);
      byType.set(type, c);
    }
    return c;
  };
  const ipAllowed = (options.settings?.allow ?? []).some((p) => pathRegex(p).test('ip'));

  /** Masked text is memoised per rule set: page URLs, titles and names repeat in every batch. */
  function maskText(value: string, c: CompiledRules): string {
    if (value.length > 512) return scanText(value, c);
    let hit = c.memo.get(value);
    if (hit === undefined) {
      hit = scanText(value, c);
      if (c.memo.size >= 4096) c.memo.clear();
      c.memo.set(value, hit);
    }
    return hit;
  }

  function scanText(value: string, c: CompiledRules): string {
    let s = value;
    for (const rule of c.patternRules) {
      rule.re.lastIndex = 0;
      s = s.replace(rule.re, (m) => applyAction(rule.action, m, hash) ?? REDACTED);
    }
    if (!mightHoldPersonalData(s)) return s;
    if (c.secretKeys && s.includes('=')) {
      // Query strings and cookie-like text: secret parameter values go.
      s = s.replace(/([?&;\s]|^)([^=&#?;\s]{1,100})=([^&#;\s]*)/g, (all, sep: string, name: string) =>
        isSecretKey(name) ? `${sep}${name}=${REDACTED}` : all,
      );
    }
    if (!c.combined) return s;
    c.combined.lastIndex = 0;
    return s.replace(c.combined, (m: string, ...groups: unknown[]) => {
      // The capture group that matched tells which detector found it.
      // If its check fails (a digit run that is not a card), a later detector may still take
      // the whole match (it may be a phone number).
      for (let g = 0; g < c.detectors.length; g++) {
        const { det, action, whole } = c.detectors[g] as CompiledRules['detectors'][number];
        if (groups[g] === undefined && !(g > 0 && whole.test(m))) continue;
        if (det.accept && !det.accept(m)) continue;
        return applyAction(action, m, hash, det.name) ?? REDACTED;
      }
      return m;
    });
  }

  function wholeValue(action: Action, v: unknown): unknown {
    if (action === 'keep') return v;
    if (action === 'remove') return undefined;
    if (typeof v === 'string') return applyAction(action, v, hash);
    if (typeof v === 'number' || typeof v === 'boolean') return applyAction(action, String(v), hash);
    return v === null ? null : action === 'hash' ? hash(JSON.stringify(v)) : REDACTED;
  }

  function walk(v: unknown, key: string, path: string, c: CompiledRules, depth: number): unknown {
    if (c.needsPath) {
      for (const re of c.allow) if (re.test(path)) return v;
      for (const r of c.pathRules) if (r.re.test(path)) return wholeValue(r.action, v);
    }
    if (key !== '') {
      if (c.secretKeys && isSecretKey(key)) return undefined;
      for (const r of c.keyRules) if (r.re.test(key)) return wholeValue(r.action, v);
    }
    if (typeof v === 'string') return maskText(v, c);
    if (typeof v !== 'object' || v === null || depth > 64) return v;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const out = walk(v[i], '', path, c, depth + 1);
        v[i] = out === undefined ? REDACTED : out;
      }
      return v;
    }
    const obj = v as Record<string, unknown>;
    const skip = depth === 0 && path === 'context' ? CONTEXT_SKIP : undefined;
    for (const k of Object.keys(obj)) {
      if (skip?.has(k)) continue;
      const out = walk(obj[k], k, c.needsPath ? (path === '' ? k : `${path}.${k}`) : '', c, depth + 1);
      if (out === undefined) delete obj[k];
      else obj[k] = out;
    }
    return v;
  }

  return {
    hash,
    tree: (value, type, path) => walk(value, '', path, rulesOf(type), 0),
    text(value, type, path) {
      const c = rulesOf(type);
      if (c.needsPath) {
        for (const re of c.allow) if (re.test(path)) return value;
        for (const r of c.pathRules) if (r.re.test(path)) return wholeValue(r.action, value) as string | undefined;
      }
      return maskText(value, c);
    },
    identity(value) {
      if (options.settings?.defaults === false) return value;
      return EMAIL_ONLY.test(value)
        ? hash(value.toLowerCase())
        : PHONE_ONLY.test(value) && /\d{4}/.test(value)
          ? hash(value.replace(/\D/g, ''))
          : value;
    },
    ip(value, type = 'track') {
      if (ipAllowed || options.settings?.defaults === false) return value;
      // Not an address (or a list of them): scanned as text, so nothing in it is kept raw.
      return truncateAddresses(value) ?? maskText(value, rulesOf(type));
    },
  };
}
