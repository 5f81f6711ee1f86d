/**
 * Event validation, compiled once at import: one TypeBox-compiled checker per event type
 * (dispatch on `type` first, so errors talk about the right schema), then one iterative walk
 * that bounds nesting depth and rejects text that is not well-formed Unicode (lone
 * surrogates cannot be stored as UTF-8). Errors name the field with a dotted path.
 */
import { FormatRegistry, type TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler, type ValueError, ValueErrorType } from '@sinclair/typebox/compiler';
import { EVENT_SCHEMAS, EVENT_TYPES, type EventType, type FootprintEvent, IDENTITY_REQUIRED } from './event.js';
import { LIMITS } from './limits.js';

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * The `YYYY-MM-DD` a text starts with names a day that exists: Date.parse takes 2026-02-30
 * for 2 March, and an event must not be moved to another day without a word.
 */
export function isCalendarDay(text: string): boolean {
  const d = Number(text.slice(8, 10));
  const m = Number(text.slice(5, 7));
  if (!(m >= 1 && m <= 12 && d >= 1)) return false;
  // Every month has 28 days: only the last days of a month need the calendar (most events pass here).
  return d <= 28 || d <= new Date(Date.UTC(Number(text.slice(0, 4)), m, 0)).getUTCDate();
}

if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (v) => ISO_DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)) && isCalendarDay(v));
}

/** Stable codes of validation failures; documented in docs/events.md. */
export type ValidationCode =
  | 'not_an_object'
  | 'missing_field'
  | 'invalid_field'
  | 'unknown_type'
  | 'missing_identity'
  | 'too_deep'
  | 'invalid_unicode';

export interface ValidationIssue {
  code: ValidationCode;
  message: string;
  /** Dotted path of the offending field, e.g. `properties.status`; empty for the event itself. */
  path: string;
}

export type ValidationResult = { ok: true; event: FootprintEvent } | { ok: false; issue: ValidationIssue };

const CHECKERS = Object.fromEntries(
  Object.entries(EVENT_SCHEMAS).map(([type, schema]) => [type, TypeCompiler.Compile(schema as TSchema)]),
) as Record<EventType, TypeCheck<TSchema>>;

const TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);

/** Turns a JSON pointer (`/properties/0/x`) into a dotted path (`properties[0].x`). */
export function pointerToPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

/** The rule of a failed type or bound check, in words. */
function ruleOf(error: ValueError, s: Record<string, unknown>): string | undefined {
  switch (error.type) {
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return `must be at most ${s.maximum}`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return `must be at least ${s.minimum}`;
    case ValueErrorType.IntegerExclusiveMaximum:
      return `must be less than ${s.exclusiveMaximum}`;
    case ValueErrorType.IntegerExclusiveMinimum:
      return `must be more than ${s.exclusiveMinimum}`;
    case ValueErrorType.Integer:
      return typeof error.value === 'string' ? 'must be a whole number (a JSON number, not text)' : 'must be a whole number';
    case ValueErrorType.Number:
      return typeof error.value === 'string'
        ? 'must be a number (a JSON number, not text)'
        : typeof error.value === 'number'
          ? 'must be a finite number'
          : 'must be a number';
    case ValueErrorType.String:
      return 'must be a string';
    case ValueErrorType.Boolean:
      return 'must be true or false';
    case ValueErrorType.Object:
      return 'must be an object';
    case ValueErrorType.Array:
      return 'must be an array';
    default:
      return undefined;
  }
}

/** The rule a value broke in a union, said for the value given: its length, or a number too large for JSON. */
function unionRule(error: ValueError, s: TSchema): string {
  const v = error.value;
  const strings = ((Array.isArray(s.anyOf) ? s.anyOf : [s]) as TSchema[]).flatMap(function flat(x: TSchema): TSchema[] {
    return Array.isArray(x.anyOf) ? (x.anyOf as TSchema[]).flatMap(flat) : [x];
  });
  const text = strings.find((x) => x.type === 'string');
  if (typeof v === 'string' && text) {
    if (typeof text.maxLength === 'number' && v.length > text.maxLength) return `must be at most ${text.maxLength} characters`;
    if (typeof text.minLength === 'number' && v.length < text.minLength)
      return text.minLength === 1 ? 'must not be empty' : `must be at least ${text.minLength} characters`;
  }
  if (typeof v === 'number' && !Number.isFinite(v) && strings.some((x) => x.type === 'number'))
    return 'must be a finite number (this one is too large)';
  return `must be one of: ${unionKinds(s).join(', ')}`;
}

/** What a union accepts, in words; nested unions (an optional, nullable id) are flattened. */
function unionKinds(schema: TSchema): string[] {
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as TSchema[]).flatMap(unionKinds);
  if (schema.const !== undefined) return [JSON.stringify(schema.const)];
  if (schema.type === 'string' && schema.maxLength !== undefined) {
    return [`a string of ${schema.minLength ?? 0} to ${schema.maxLength} characters`];
  }
  return [String(schema.type)];
}

/** A TypeBox error in words, naming the field by its dotted path (also used for the collector's own files). */
export function describeValueError(error: ValueError, whole = 'event'): ValidationIssue {
  const path = pointerToPath(error.path);
  if (error.type === ValueErrorType.ObjectRequiredProperty) {
    return { code: 'missing_field', path, message: `${path} is required` };
  }
  const s = error.schema as Record<string, unknown>;
  let rule = error.message;
  if (error.type === ValueErrorType.Union) {
    rule = unionRule(error, s as TSchema);
  } else if (s.format === 'date-time') {
    rule = 'must be an ISO-8601 date-time of a day that exists, such as 2026-02-04T11:17:16.000Z';
  } else if (error.type === ValueErrorType.StringMaxLength) {
    rule = `must be at most ${s.maxLength} characters`;
  } else if (error.type === ValueErrorType.StringMinLength) {
    rule = s.minLength === 1 ? 'must not be empty' : `must be at least ${s.minLength} characters`;
  } else if (error.type === ValueErrorType.Literal) {
    rule = `must be ${JSON.stringify(s.const)}`;
  } else if (ruleOf(error, s) !== undefined) {
    rule = ruleOf(error, s) as string;
  } else {
    rule = error.message.replace(/^Expected/, 'must be').toLowerCase();
  }
  return { code: 'invalid_field', path, message: `${path || whole} ${rule}` };
}

/**
 * A whole number JSON.parse could not hold exactly (past ±(2^53 − 1)), as ids are written:
 * numbers of 21 digits and more are written with an exponent (1e21), floats, not ids.
 */
export function isRoundedInteger(n: number): boolean {
  return Number.isInteger(n) && !Number.isSafeInteger(n) && Math.abs(n) < 1e21;
}

/**
 * Walks every value of the event without recursion (a hostile payload cannot overflow the
 * stack), bounding depth and checking that every key and string is well-formed Unicode and
 * every number can be stored as it was sent.
 */
export function checkStructure(value: unknown): ValidationIssue | undefined {
  const stack: Array<[unknown, number, string]> = [[value, 0, '']];
  while (stack.length > 0) {
    const [v, depth, path] = stack.pop() as [unknown, number, string];
    if (typeof v === 'string') {
      if (!v.isWellFormed()) {
        return {
          code: 'invalid_unicode',
          path,
          message: `${path || 'event'} contains a lone UTF-16 surrogate; send well-formed Unicode text`,
        };
      }
    } else if (typeof v === 'number') {
      // JSON.parse turns 1e400 into Infinity (stored as null) and rounds integers past 2^53:
      // refused, so that no number is stored other than it was sent.
      if (!Number.isFinite(v)) {
        return { code: 'invalid_field', path, message: `${path || 'event'} must be a finite number (this one is too large)` };
      }
      if (isRoundedInteger(v)) {
        return {
          code: 'invalid_field',
          path,
          message: `${path || 'event'} must be between -9007199254740991 and 9007199254740991 to be stored exactly; send larger numbers, such as long ids, as text`,
        };
      }
    } else if (typeof v === 'object' && v !== null) {
      if (depth >= LIMITS.maxDepth) {
        return { code: 'too_deep', path, message: `${path} is nested deeper than ${LIMITS.maxDepth} levels (limit maxDepth)` };
      }
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) stack.push([v[i], depth + 1, `${path}[${i}]`]);
      } else {
        for (const key in v) {
          const child = path === '' ? key : `${path}.${key}`;
          if (!key.isWellFormed()) {
            return { code: 'invalid_unicode', path: child, message: `a key under ${path || 'event'} contains a lone UTF-16 surrogate` };
          }
          stack.push([(v as Record<string, unknown>)[key], depth + 1, child]);
        }
      }
    }
  }
  return undefined;
}

/**
 * Validates one event of the wire format.
 * @example
 * const r = validateEvent({ type: 'track', event: 'signup', anonymousId: 'a1' });
 * if (!r.ok) console.log(r.issue.path, r.issue.message);
 */
export function validateEvent(value: unknown): ValidationResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, issue: { code: 'not_an_object', path: '', message: 'each event must be a JSON object' } };
  }
  const type = (value as { type?: unknown }).type;
  if (type === undefined) {
    return { ok: false, issue: { code: 'missing_field', path: 'type', message: 'type is required' } };
  }
  if (typeof type !== 'string' || !TYPE_SET.has(type)) {
    return {
      ok: false,
      issue: { code: 'unknown_type', path: 'type', message: `type must be one of: ${EVENT_TYPES.join(', ')}` },
    };
  }
  const checker = CHECKERS[type as EventType];
  if (!checker.Check(value)) {
    const first = checker.Errors(value).First();
    return {
      ok: false,
      issue: first ? describeValueError(first) : { code: 'invalid_field', path: '', message: 'event is invalid' },
    };
  }
  const ev = value as FootprintEvent;
  if (IDENTITY_REQUIRED.has(type as EventType) && ev.userId == null && ev.anonymousId == null) {
    return {
      ok: false,
      issue: { code: 'missing_identity', path: 'userId', message: `a ${type} event needs userId or anonymousId` },
    };
  }
  const structural = checkStructure(value);
  if (structural) return { ok: false, issue: structural };
  return { ok: true, event: ev };
}
