/**
 * Structured logs: `log.info('message', { fields })` (or pino's order, `log.info({ fields },
 * 'message')`) becomes a `log` event whose properties are the fields plus `level`, `message`
 * and `logger`. Levels below the configured one are compiled to no-ops at construction, so a
 * disabled `debug` call costs a function call and nothing else.
 */
import type { LogLevel } from '../options.js';

export const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

type Fields = Record<string, unknown>;

export interface LogFn {
  (message: string, fields?: Fields): void;
  (fields: Fields | Error, message?: string): void;
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

/** An Error as plain JSON (JSON.stringify of an Error is `{}`). */
export function errorJson(err: Error): Fields {
  const out: Fields = { type: err.name, message: err.message };
  if (err.stack) out.stack = err.stack;
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  return out;
}

function withErrors(fields: Fields): Fields {
  for (const k in fields) {
    if (fields[k] instanceof Error) {
      const copy: Fields = {};
      for (const key in fields) copy[key] = fields[key] instanceof Error ? errorJson(fields[key] as Error) : fields[key];
      return copy;
    }
  }
  return fields;
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
    return ((a: unknown, b?: unknown): void => {
      try {
        write(level, a, b);
      } catch (err) {
        report(`log.${level}`, err);
      }
    }) as LogFn;
  };
  const write = (level: LogLevel, a: unknown, b: unknown): void => {
    let message: string;
    let fields: Fields | undefined;
    if (typeof a === 'string') {
      message = a;
      // console's order, log.error('failed', err): the error is the `err` field, as in pino.
      fields = b instanceof Error ? { err: b } : b !== null && typeof b === 'object' ? (b as Fields) : undefined;
    } else if (a instanceof Error) {
      message = typeof b === 'string' ? b : a.message;
      fields = { err: a };
    } else if (a !== null && typeof a === 'object') {
      fields = a as Fields;
      message = typeof b === 'string' ? b : '';
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
