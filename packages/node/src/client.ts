/**
 * `createFootprint`: the client a Node back end holds. Every public method returns at once
 * and never throws: an event is completed (id, time, the request's correlation ids), passed
 * to `beforeSend`, serialized once and queued; delivery happens in the background
 * (delivery/pipeline.ts). Failures and drops go to the one `onError` handler.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { AliasEvent, GroupEvent, IdentifyEvent, PageEvent, ScreenEvent, TrackEvent } from '@footprint/schema';
import { stringify as safeStringify } from 'safe-stable-stringify';
import { type CorrelationContext, currentContext, runWithContext, userOf } from './context.js';
import { DropReporter } from './delivery/drops.js';
import { type FlushResult, Pipeline, type PipelineStats } from './delivery/pipeline.js';
import { isoTime } from './events/clock.js';
import { errorProperties } from './events/exception.js';
import { aiHelper, cronHelper, dbHelper, emailHelper, realtimeHelper } from './events/helpers.js';
import { createLogger, type Logger } from './events/log.js';
import { DEFAULTS, type FootprintOptions, MAX_TIMER_MS, resolveOptions } from './options.js';
import { installProcessHooks } from './process-hooks.js';

const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
export const LIBRARY = { name: '@footprint/node', version: VERSION } as const;

type Dict = Record<string, unknown>;
/** An event on its way to the queue: `type` plus any wire fields. */
export type OutgoingEvent = { type: string } & Dict;

/** Fields every helper accepts besides its own. */
export interface EventOptions {
  messageId?: string;
  userId?: string | number;
  anonymousId?: string | number;
  sessionId?: string | number;
  /** When it happened; default now. */
  timestamp?: Date | string;
  context?: Dict;
}
export type TrackInput = EventOptions & Pick<TrackEvent, 'event' | 'properties'>;
export type IdentifyInput = EventOptions & Pick<IdentifyEvent, 'traits' | 'properties'>;
export type PageInput = EventOptions & Pick<PageEvent, 'name' | 'category' | 'properties'>;
export type ScreenInput = EventOptions & Pick<ScreenEvent, 'name' | 'properties'>;
export type GroupInput = EventOptions & Pick<GroupEvent, 'groupId' | 'traits' | 'properties'>;
export type AliasInput = Omit<EventOptions, 'userId'> & Pick<AliasEvent, 'previousId' | 'userId' | 'properties'>;

export interface FootprintStats extends PipelineStats {}

export interface Footprint {
  /** A business event (Segment `track`). Needs `userId` or `anonymousId`, given or from the request. */
  track(input: TrackInput): void;
  /** Who a user is (Segment `identify`). */
  identify(input: IdentifyInput): void;
  /** A page view rendered by the server (Segment `page`). */
  page(input: PageInput): void;
  /** A screen of a mobile or desktop app (Segment `screen`). */
  screen(input: ScreenInput): void;
  /** Puts a user in a group: a company, an account, a team (Segment `group`). */
  group(input: GroupInput): void;
  /** Says that `previousId` and `userId` are the same person (Segment `alias`). */
  alias(input: AliasInput): void;
  /** Structured logs; inside a request each line carries its request id. */
  readonly log: Logger;
  /** Records an exception as an `error` event; `context` fields go into its properties. */
  captureException(error: unknown, context?: Dict): void;
  readonly db: ReturnType<typeof dbHelper>;
  readonly cron: ReturnType<typeof cronHelper>;
  readonly email: ReturnType<typeof emailHelper>;
  readonly ai: ReturnType<typeof aiHelper>;
  readonly realtime: ReturnType<typeof realtimeHelper>;
  /** Sends an event of any type as it is (plus id, time and correlation). */
  send(event: OutgoingEvent): void;
  /** Sets the user of the current request (or run); later events of it carry the id. */
  setUser(userId: string | number): void;
  /** Runs `fn` in a correlation context of its own (a queue consumer, a script). */
  withContext<T>(context: Partial<CorrelationContext>, fn: () => T): T;
  /** Delivers what is queued. Never rejects; `ok` is false if the time ran out first. */
  flush(options?: { timeoutMs?: number }): Promise<FlushResult>;
  /** Flushes, then stops. Call it on SIGTERM and at the end of a serverless invocation. */
  shutdown(options?: { timeoutMs?: number }): Promise<FlushResult>;
  /** Counts: pending, delivered, dropped per reason, and where the outbox is. */
  stats(): FootprintStats;
}

/** Types that need a userId or anonymousId (alias carries its own ids). */
const SEGMENT_TYPES = new Set(['track', 'identify', 'page', 'screen', 'group']);

/**
 * Internal: queues an event correlated with a given context instead of the current one. The
 * middleware writes its `request` event from a response callback, which runs outside the
 * request's async context; this saves entering it again.
 */
export const EMIT_IN = Symbol.for('footprint.emit-in-context');
export type EmitIn = (event: OutgoingEvent, ctx: CorrelationContext) => void;

/** The wait of a flush or shutdown: a number of ms (0: do not wait), at most what a Node timer can hold; else the default. */
function waitOf(opts: { timeoutMs?: number } | null | undefined): number {
  const ms = opts !== null && typeof opts === 'object' ? opts.timeoutMs : undefined;
  return typeof ms === 'number' && ms >= 0 ? Math.min(ms, MAX_TIMER_MS) : DEFAULTS.flushTimeoutMs;
}

/**
 * @example
 * const fp = createFootprint({ endpoint: 'http://localhost:8080', writeKey: process.env.FOOTPRINT_WRITE_KEY! });
 * fp.log.info('server started', { port: 3000 });
 * fp.track({ event: 'survey_registered', userId: 'u_6', properties: { survey_no: 194 } });
 */
export function createFootprint(options: FootprintOptions): Footprint {
  const o = resolveOptions(options);
  const drops = new DropReporter(typeof options?.onError === 'function' ? options.onError : undefined, DEFAULTS.reportIntervalMs);
  // One report for all of them: reports of one code within an interval would keep only the last.
  if (o.problems.length > 0) drops.report('invalid_option', o.problems.join('; '), 0);
  const pipeline = o.enabled ? new Pipeline({ ...o, context: { library: LIBRARY, ...o.context } }, drops) : undefined;
  const hookFailed = (err: unknown): void => drops.report('hook_failed', `the userId resolver threw: ${(err as Error)?.message}`, 0, err);
  /** A call whose input could not be turned into an event (null, a throwing getter): reported, never thrown. */
  const unrecordable = (what: string, err: unknown): void => {
    let why: string;
    try {
      why = String((err as Error)?.message ?? err);
    } catch {
      why = 'a value that cannot be read';
    }
    drops.report('rejected', `${what}: the event could not be prepared (${why})`, 1, err);
  };

  function emit(ev: OutgoingEvent, ctx = currentContext()): void {
    if (!pipeline) return;
    try {
      ev.messageId ??= randomUUID();
      const ts = ev.timestamp;
      ev.timestamp = ts instanceof Date ? ts.toISOString() : (ts ?? isoTime());
      if (ctx) correlate(ev, ctx);
      let out: Dict | null | undefined = ev;
      if (o.beforeSend) {
        try {
          // A copy: the hook may change what it is given, and the app's own objects
          // (the properties it passed) must stay as they were.
          out = o.beforeSend(copyOf(ev) as never);
        } catch (err) {
          drops.report('before_send_failed', `beforeSend threw (${(err as Error)?.message}); the event is dropped`, 1, err);
          return;
        }
        if (!out) return;
      }
      if (SEGMENT_TYPES.has(ev.type) && out.userId == null && out.anonymousId == null) {
        drops.report('rejected', `a ${ev.type} event needs userId or anonymousId (none given, none in the request)`, 1);
        return;
      }
      // A UTF-16 unit takes 1 to 3 bytes: most events are sized without counting.
      const tooLarge = (text: string): boolean => text.length * 3 > o.maxEventBytes && Buffer.byteLength(text) > o.maxEventBytes;
      let line = serialize(out);
      // Too large: long texts (a dumped payload, a huge stack) are cut, as a logger would,
      // rather than the whole event lost; only what still does not fit is dropped.
      for (const limit of CUT_LENGTHS) {
        if (!tooLarge(line)) break;
        line = serialize(cutFreeText(out, limit));
      }
      if (tooLarge(line)) {
        drops.report(
          'event_too_large',
          `a ${ev.type} event of ${Buffer.byteLength(line)} bytes is over the ${o.maxEventBytes}-byte limit, even with its long texts cut`,
          1,
        );
        return;
      }
      pipeline.enqueue(line);
    } catch (err) {
      drops.report('rejected', `an event could not be prepared: ${(err as Error)?.message}`, 1, err);
    }
  }

  function correlate(ev: Dict, ctx: CorrelationContext): void {
    ev.requestId ??= ctx.requestId;
    if (ctx.traceId) ev.traceId ??= ctx.traceId;
    if (ctx.spanId) ev.spanId ??= ctx.spanId;
    if (ctx.sessionId) ev.sessionId ??= ctx.sessionId;
    if (ctx.anonymousId) ev.anonymousId ??= ctx.anonymousId;
    if (ev.userId === undefined) {
      const user = userOf(ctx, hookFailed);
      if (user !== undefined) ev.userId = user;
    }
    // The user who caused the event, not the server that sends it (a request event has its own).
    if ((ctx.ip || ctx.userAgent) && ev.type !== 'request') {
      const given = ev.context !== null && typeof ev.context === 'object' ? (ev.context as Dict) : {};
      if (given.ip === undefined || given.userAgent === undefined) {
        ev.context = { ...given, ip: given.ip ?? ctx.ip, userAgent: given.userAgent ?? ctx.userAgent };
      }
    }
  }

  const captureException = (error: unknown, context: Dict = {}): void => {
    try {
      emit({ type: 'error', properties: errorProperties(error, { handled: true, ...context }) });
    } catch (err) {
      // errorProperties reads foreign objects (a throwing getter, a Proxy): reported, never thrown into the app.
      try {
        unrecordable('captureException', err);
      } catch {
        // A report that cannot be made either.
      }
    }
  };

  const client: Footprint & { [EMIT_IN]: EmitIn } = {
    [EMIT_IN]: emit,
    track: (input) => emit({ ...input, type: 'track' }),
    identify: (input) => emit({ ...input, type: 'identify' }),
    page: (input) => emit({ ...input, type: 'page' }),
    screen: (input) => emit({ ...input, type: 'screen' }),
    group: (input) => emit({ ...input, type: 'group' }),
    alias: (input) => emit({ ...input, type: 'alias' }),
    log: createLogger((ev) => emit(ev), o.logLevel, {}, unrecordable),
    captureException,
    db: dbHelper((ev) => emit(ev), unrecordable),
    cron: cronHelper((ev) => emit(ev), captureException, unrecordable),
    email: emailHelper((ev) => emit(ev), unrecordable),
    ai: aiHelper((ev) => emit(ev), unrecordable),
    realtime: realtimeHelper((ev) => emit(ev), unrecordable),
    send: (event) => emit({ ...event }),
    setUser(userId) {
      const ctx = currentContext();
      if (ctx) ctx.userId = userId;
    },
    withContext: (context, fn) => {
      let ctx: CorrelationContext;
      try {
        const given = context !== null && typeof context === 'object' ? context : {};
        ctx = { ...given, requestId: typeof given.requestId === 'string' && given.requestId !== '' ? given.requestId : randomUUID() };
      } catch (err) {
        unrecordable('withContext', err);
        ctx = { requestId: randomUUID() };
      }
      return runWithContext(ctx, fn);
    },
    flush: async (opts) => (pipeline ? pipeline.flush(waitOf(opts)) : { ok: true, pending: 0 }),
    shutdown: async (opts) => {
      const wait = waitOf(opts);
      uninstall();
      return pipeline ? pipeline.shutdown(wait) : { ok: true, pending: 0 };
    },
    stats: () =>
      pipeline?.stats() ?? { mode: 'disabled', outboxDir: undefined, staged: 0, pending: 0, delivered: 0, dropped: { ...drops.totals } },
  };
  const uninstall = pipeline ? installProcessHooks(client, pipeline, o) : () => {};
  return client;
}

/** JSON text of an event; values JSON cannot hold (BigInt, cycles) are written safely instead of failing. */
function serialize(ev: Dict): string {
  try {
    return JSON.stringify(ev);
  } catch {
    return safeStringify(ev, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? '{}';
  }
}

/**
 * A deep copy of an event for beforeSend, as it would go over the wire: through its JSON text,
 * so a value's toJSON applies (a model that leaves out its password hash, a money type written
 * as text) and the hook sees what would be sent.
 */
function copyOf(ev: Dict): Dict {
  return JSON.parse(serialize(ev)) as Dict;
}

/** Lengths long texts are cut to, in turn, when an event is over the size limit. */
const CUT_LENGTHS = [4096, 512, 64];

/** The parts of an event that hold free text; ids, names and times stay whole (cut, they would name another user or event). */
const FREE_TEXT = ['properties', 'traits', 'context'];

/** The event with the long texts of its free-text parts cut to `max` characters. */
function cutFreeText(ev: Dict, max: number): Dict {
  const out: Dict = { ...ev };
  for (const k of FREE_TEXT) if (out[k] !== undefined) out[k] = cutTexts(out[k], max);
  return out;
}

/**
 * A copy with every text longer than `max` characters cut to it (and `…`), never between the
 * two halves of a surrogate pair (the collector refuses a lone half); other values as they
 * are. A value met again inside itself (a cycle) is written as `[Circular]`, as the safe
 * serializer does.
 */
function cutTexts(value: unknown, max: number, inside: Set<object> = new Set()): unknown {
  if (typeof value === 'string') {
    if (value.length <= max) return value;
    const code = value.charCodeAt(max - 1);
    const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
    return `${value.slice(0, end)}…`;
  }
  if (value === null || typeof value !== 'object') return value;
  if (inside.has(value)) return '[Circular]';
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
  inside.add(value);
  let out: unknown;
  if (Array.isArray(value)) out = value.map((v) => cutTexts(v, max, inside));
  else {
    const copy: Dict = {};
    for (const k in value as Dict) copy[k] = cutTexts((value as Dict)[k], max, inside);
    out = copy;
  }
  inside.delete(value);
  return out;
}
