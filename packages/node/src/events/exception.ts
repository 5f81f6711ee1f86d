/**
 * Turns anything thrown into the properties of an `error` event: type, message, stack, code
 * and where it happened (file, line, function of the first frame outside Node's own code),
 * as an error log names them. Long texts are cut so one event stays under 32 KB.
 */
import type { ErrorEvent } from '@footprint/schema';

export type ErrorProperties = ErrorEvent['properties'];

const MAX_MESSAGE = 4_000;
const MAX_STACK = 12_000;

const cut = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max)}…` : s);

/** `at fn (file:line:col)` or `at file:line:col` (V8's stack format). */
const FRAME_RE = /^\s*at (?:(?:async )?(.*?) \()?(.+?):(\d+):\d+\)?$/;

export interface Location {
  file?: string;
  line?: number;
  function?: string;
}

/** File, line and function of the first frame that is not Node's own code. */
export function locationOf(stack: string | undefined): Location {
  if (!stack) return {};
  for (const raw of stack.split('\n')) {
    const m = FRAME_RE.exec(raw);
    if (!m) continue;
    const file = (m[2] as string).replace(/^file:\/\//, '');
    if (file.startsWith('node:') || file === '<anonymous>' || file === 'native') continue;
    const loc: Location = { file, line: Number(m[3]) };
    if (m[1]) loc.function = m[1];
    return loc;
  }
  return {};
}

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * @example errorProperties(new TypeError('x is undefined'), { handled: true })
 * // { message: 'x is undefined', error_type: 'TypeError', stack: '...', file: '/app/a.js', line: 3, level: 'error', handled: true }
 */
export function errorProperties(err: unknown, extra: Partial<ErrorProperties> & Record<string, unknown> = {}): ErrorProperties {
  let props: ErrorProperties;
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown };
    props = {
      message: cut(e.message || e.name || 'Error', MAX_MESSAGE),
      error_type: e.name || e.constructor?.name || 'Error',
    };
    if (e.stack) props.stack = cut(e.stack, MAX_STACK);
    if (typeof e.code === 'string' || (typeof e.code === 'number' && Number.isFinite(e.code))) props.code = e.code;
    if (e.cause instanceof Error) (props as Record<string, unknown>).cause = cut(`${e.cause.name}: ${e.cause.message}`, MAX_MESSAGE);
    Object.assign(props, locationOf(e.stack));
  } else {
    props = { message: cut(textOf(err) || 'unknown error', MAX_MESSAGE), error_type: err === null ? 'null' : typeof err };
  }
  props.level = 'error';
  Object.assign(props, extra);
  props.level = errorLevel(props.level);
  return props;
}

const ERROR_LEVELS = new Set(['warning', 'error', 'critical', 'fatal']);

/** An error event's level as the event model has it: `warn` (the log level's name) is `warning`; anything else unknown is `error`. */
function errorLevel(level: unknown): ErrorProperties['level'] {
  if (level === 'warn') return 'warning';
  return typeof level === 'string' && ERROR_LEVELS.has(level) ? (level as ErrorProperties['level']) : 'error';
}
