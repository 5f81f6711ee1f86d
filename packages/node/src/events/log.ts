/**
 * Structured logs: `log.info('message', { fields })` (or pino's order, `log.info({ fields },
 * 'message')`) becomes a `log` event whose properties are the fields plus `level`, `message`
 * and `logger`. Levels below the configured one are compiled to no-ops at construction, so a
 * disabled `debug` call costs a function call and nothing else.
 */
import { format } from 'node:util';
import type { LogLevel } from '../options.js';

export const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

type Fields = Record<string, unknown>;

/**
 * `log.info('message', { fields })`, pino's `log.info({ fields }, 'message')`, and printf-style
 * arguments as pino and console take them: `log.info('user %s paid %d', 'u_6', 39)`.
 */
export interface LogFn {
  (message: string, fields?: Fields): void;
  (fields: Fields | Error, message?: string, ...args: unknown[]): void;
  (message: string, ...args: unknown[]): void;
}

export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  /**
   * A logger whose events all carry `bindings` (e.g. `{ logger: 'billing' }`).
   * @example const billing = fp.log.child({ logger: 'billing' }); billing.warn('card declined', { order_id: 7 });
   */
  child(bindings: Fields): Logger;
}

export type LogEventSink = (event: { type: 'log'; properties: Fields }) => void;

/** How deep errors are looked for inside a log call's fields, and causes followed. */
const ERROR_DEPTH = 4;
/** Most inner errors of an AggregateError written. */
const MAX_INNER_ERRORS = 10;

/**
 * An Error as plain JSON (JSON.stringify of an Error is `{}`): type, message, stack, code,
 * its `cause` chain and an AggregateError's `errors`, a few levels deep.
 */
export function errorJson(err: Error, depth = 0): Fields {
  const out: Fields = { type: err.name, message: err.message };
  if (err.stack) out.stack = err.stack;
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (depth < ERROR_DEPTH) {
    const cause = (err as { cause?: unknown }).cause;
    if (cause !== undefined) out.cause = cause instanceof Error ? errorJson(cause, depth + 1) : cause;
    if (err instanceof AggregateError && Array.isArray(err.errors)) {
      out.errors = err.errors.slice(0, MAX_INNER_ERRORS).map((e: unknown) => (e instanceof Error ? errorJson(e, depth + 1) : e));
    }
  }
  return out;
}

/** The value with every Error in it (a few levels down) written as errorJson; the same object when it holds none. */
function withErrors<T>(value: T, depth = 0): T {
  if (value instanceof Error) return errorJson(value, depth) as T;
  if (depth >= ERROR_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length && i < 100; i++) {
      const v = withErrors(value[i], depth + 1);
      if (v !== value[i]) (copy ??= [...value])[i] = v;
    }
    return (copy ?? value) as T;
  }
  // Plain objects only: class instances (a Date, a Buffer) keep what JSON makes of them.
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  let copy: Fields | undefined;
  for (const k in value as Fields) {
    const v = (value as Fields)[k];
    const w = withErrors(v, depth + 1);
    if (w !== v) (copy ??= { ...(value as Fields) })[k] = w;
  }
  return (copy ?? value) as T;
}

const noop: LogFn = () => {};

/**
 * @param report where a call that cannot become an event (a field with a throwing getter) is
 *   reported; a log call never throws into the app.
 */
export function createLogger(
  sink: LogEventSink,
  minLevel: LogLevel,
  bindings: Fields = {},
  report: (what: string, err: unknown) => void = () => {},
): Logger {
  const min = Math.max(0, LEVELS.indexOf(minLevel));
  const hasBindings = Object.keys(bindings).length > 0;
  const make = (level: LogLevel): LogFn => {
    if (LEVELS.indexOf(level) < min) return noop;
    return ((a: unknown, b?: unknown, ...rest: unknown[]): void => {
      try {
        write(level, a, b, rest);
      } catch (err) {
        report(`log.${level}`, err);
      }
    }) as LogFn;
  };
  const write = (level: LogLevel, a: unknown, b: unknown, rest: unknown[]): void => {
    let message: string;
    let fields: Fields | undefined;
    if (typeof a === 'string') {
      const isFields = b !== null && typeof b === 'object' && !(b instanceof Error) && !Array.isArray(b);
      if (b instanceof Error && rest.length === 0) {
        // console's order, log.error('failed', err): the error is the `err` field, as in pino.
        message = a;
        fields = { err: b };
      } else if (isFields && rest.length === 0) {
        message = a;
        fields = b as Fields;
      } else {
        // printf-style arguments: log.info('user %s paid %d', 'u_6', 39).
        message = b === undefined && rest.length === 0 ? a : format(a, b, ...rest);
      }
    } else if (a instanceof Error) {
      message = typeof b === 'string' ? format(b, ...rest) : a.message;
      fields = { err: a };
    } else if (a !== null && typeof a === 'object') {
      fields = a as Fields;
      message = typeof b === 'string' ? format(b, ...rest) : '';
    } else {
      message = String(a);
    }
    const properties: Fields = hasBindings ? { ...bindings } : {};
    if (fields) Object.assign(properties, withErrors(fields));
    properties.level = level;
    properties.message = message;
    sink({ type: 'log', properties });
  };
  return {
    trace: make('trace'),
    debug: make('debug'),
    info: make('info'),
    warn: make('warn'),
    error: make('error'),
    fatal: make('fatal'),
    child: (more) => createLogger(sink, minLevel, { ...bindings, ...more }, report),
  };
}
