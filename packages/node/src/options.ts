/**
 * Options of `createFootprint` and every default, in one place. Options are read once, at
 * construction, into a frozen `ResolvedOptions`; nothing on the hot path decides anything
 * from raw options again.
 */

import { join } from 'node:path';
import type { FootprintEvent } from '@footprint/schema';
import { LIMITS } from '@footprint/schema/limits';
import type { FootprintSdkError } from './delivery/drops.js';
import { LEVELS } from './events/log.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** Named defaults. Batch sizes stay under the collector's limits (500 KB, 2500 events per batch). */
export const DEFAULTS = {
  /** Send a batch as soon as this many events are waiting. */
  flushAt: 500,
  /** ... or when the oldest waiting event is this old. */
  flushIntervalMs: 1_000,
  /** Largest batch body before compression; the collector takes 500 KB. */
  maxBatchBytes: 480 * 1024,
  /**
   * Events held in memory on their way to the outbox (or to the collector, without one).
   * Generous, because a disk stall of a fraction of a second at a few thousand events a
   * second must not drop anything; held as packed buffers, 32 MB of events cost no GC.
   */
  maxQueueEvents: 100_000,
  maxQueueBytes: 32 * 1024 * 1024,
  /** Largest single event (the collector's limit); larger ones are dropped and counted. */
  maxEventBytes: LIMITS.maxEventBytes,
  /** Undelivered events kept on disk; beyond it new events are dropped and counted. */
  outboxMaxBytes: 256 * 1024 * 1024,
  outboxSegmentBytes: 8 * 1024 * 1024,
  outboxFsync: true,
  /**
   * Compress batch bodies, with gzip level 1 (most of the saving for a fraction of the CPU).
   * `auto`: compress unless the collector is on this machine (a loopback address), where
   * compression only costs CPU.
   */
  gzip: 'auto' as const,
  gzipLevel: 1,
  /** One POST may take this long before it counts as failed and is retried. */
  timeoutMs: 15_000,
  /** Retries: exponential backoff with full jitter between min and max; Retry-After wins, up to its cap. */
  retryMinDelayMs: 250,
  retryMaxDelayMs: 30_000,
  retryAfterMaxMs: 10 * 60_000,
  /** Drops and failures are reported to onError at most this often per kind (counts add up). */
  reportIntervalMs: 10_000,
  logLevel: 'info' as LogLevel,
  /** flush() and shutdown() give up waiting after this long (events stay in the outbox). */
  flushTimeoutMs: 10_000,
} as const;

export interface OutboxOptions {
  /** Folder of the outbox. Default: `.footprint/outbox` under the working directory. */
  dir?: string;
  /** Most bytes of undelivered events kept on disk. Default 256 MB. */
  maxBytes?: number;
  /** Segment file size. Default 8 MB. */
  segmentBytes?: number;
  /** fdatasync written events within a second (one sync for all groups), so they also survive a power loss. Default true. */
  fsync?: boolean;
}

export interface RetryOptions {
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Longest Retry-After honoured; longer ones are cut to this. */
  maxRetryAfterMs?: number;
}

export interface FootprintOptions {
  /** Base URL of the collector, e.g. `http://localhost:8080`. Events go to `POST {endpoint}/v1/batch`. */
  endpoint: string;
  /** A project's write key. */
  writeKey: string;
  /** `false` turns every call into a no-op (tests, local runs without a collector). Default true. */
  enabled?: boolean;
  /**
   * The on-disk outbox. Default: on, unless the process runs on a serverless platform
   * (Vercel, AWS Lambda, Netlify, Google Cloud Functions), where memory only is used.
   * `false` keeps events in memory only; `true` or an object turns it on.
   */
  outbox?: boolean | OutboxOptions;
  flushAt?: number;
  flushIntervalMs?: number;
  maxBatchBytes?: number;
  maxQueueEvents?: number;
  maxQueueBytes?: number;
  /** `true`, `false`, or `auto` (the default: compress unless the collector's address is loopback). */
  gzip?: boolean | 'auto';
  timeoutMs?: number;
  retry?: RetryOptions;
  /** Lowest level of `log.*` sent; lower levels are no-ops. Default `info`. */
  logLevel?: LogLevel;
  /** Context sent with every event (e.g. `{ service: 'api', environment: 'production' }`). */
  context?: Record<string, unknown>;
  /**
   * Last look at each event before it is queued: return it (changed or not) to send it, or
   * `null` to drop it. The place for masking (e.g. `@footprint/privacy`). An exception
   * drops the event, so a broken mask never sends what it should have hidden.
   */
  beforeSend?: (event: FootprintEvent) => FootprintEvent | null | undefined;
  /** The one error handler: drops (with counts) and delivery trouble. Default: a warning on stderr. */
  onError?: (error: FootprintSdkError) => void;
  /** Record `uncaughtException` and `unhandledRejection` as fatal `error` events. Default false. */
  captureUncaught?: boolean;
  /** Try to deliver what is pending when the event loop empties (`beforeExit`). Default true. */
  flushOnExit?: boolean;
}

export interface ResolvedOptions {
  /** Options that were not usable, in words (reported as `invalid_option`). */
  problems: string[];
  endpoint: URL;
  writeKey: string;
  enabled: boolean;
  /** The outbox's settings; `adoptIntervalMs` is not an option (tests shorten it). */
  outbox: (Required<OutboxOptions> & { adoptIntervalMs?: number }) | null;
  flushAt: number;
  flushIntervalMs: number;
  maxBatchBytes: number;
  maxQueueEvents: number;
  maxQueueBytes: number;
  maxEventBytes: number;
  gzip: boolean;
  gzipLevel: number;
  timeoutMs: number;
  retryMinDelayMs: number;
  retryMaxDelayMs: number;
  retryAfterMaxMs: number;
  logLevel: LogLevel;
  context: Record<string, unknown>;
  beforeSend: FootprintOptions['beforeSend'];
  captureUncaught: boolean;
  flushOnExit: boolean;
}

/** Environment variables that mark a serverless function, where a disk outbox outlives nothing. */
const SERVERLESS_ENV = ['VERCEL', 'AWS_LAMBDA_FUNCTION_NAME', 'NETLIFY', 'FUNCTION_TARGET', 'FUNCTIONS_WORKER_RUNTIME'];

export function isServerless(env: NodeJS.ProcessEnv = process.env): boolean {
  return SERVERLESS_ENV.some((name) => env[name] !== undefined && env[name] !== '');
}

/** localhost, 127.0.0.0/8 and ::1: a collector on this machine. */
export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** Node's largest timer delay; a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Reads options once. Configuration never throws into the app: a bad value falls back to its
 * default and is listed in `problems` (reported through onError as `invalid_option`), except
 * an endpoint that is not an http(s) URL, which turns sending off: events must not go to a
 * guessed address.
 */
export function resolveOptions(given: FootprintOptions): ResolvedOptions {
  const problems: string[] = [];
  const isObject = given !== null && typeof given === 'object';
  if (!isObject) problems.push('the options must be an object such as { endpoint, writeKey }; nothing will be sent');
  const o = (isObject ? given : {}) as FootprintOptions;
  /** A positive number, else the default (and a problem named after the option when one was given). */
  const positive = (v: unknown, def: number, name: string, max = Number.MAX_SAFE_INTEGER): number => {
    if (v === undefined) return def;
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) return Math.min(v, max);
    problems.push(`${name} ${JSON.stringify(v) ?? String(v)} is not a positive number; using ${def}`);
    return def;
  };
  let endpoint: URL | undefined;
  try {
    endpoint = new URL(o.endpoint);
    if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') endpoint = undefined;
  } catch {
    endpoint = undefined;
  }
  if (!endpoint)
    problems.push(
      `endpoint ${JSON.stringify(String(o.endpoint))} is not an http(s) URL such as http://localhost:8080; nothing will be sent`,
    );
  // The collector's base URL is wanted; one given with the batch path already on it is taken as meant.
  if (endpoint && /\/v1\/batch\/?$/.test(endpoint.pathname)) endpoint.pathname = endpoint.pathname.replace(/\/v1\/batch\/?$/, '/');
  if (o.enabled !== false && (typeof o.writeKey !== 'string' || o.writeKey === ''))
    problems.push('writeKey is missing: the collector will refuse every batch (401); pass the key it printed on its first start');
  if (o.gzip !== undefined && o.gzip !== 'auto' && typeof o.gzip !== 'boolean')
    problems.push(`gzip ${JSON.stringify(o.gzip)} is not true, false or "auto"; using "auto"`);
  let beforeSend = o.beforeSend;
  if (beforeSend !== undefined && typeof beforeSend !== 'function') {
    problems.push('beforeSend is not a function; it is ignored');
    beforeSend = undefined;
  }
  let context = o.context;
  if (context !== undefined && (context === null || typeof context !== 'object' || Array.isArray(context))) {
    problems.push('context is not an object of fields; it is ignored');
    context = undefined;
  }
  const logLevel =
    o.logLevel === undefined || (LEVELS as readonly string[]).includes(o.logLevel) ? (o.logLevel ?? DEFAULTS.logLevel) : undefined;
  if (logLevel === undefined)
    problems.push(`logLevel ${JSON.stringify(String(o.logLevel))} is not one of ${LEVELS.join(', ')}; using ${DEFAULTS.logLevel}`);
  const outboxWanted = o.outbox === undefined ? !isServerless() : o.outbox !== false;
  const ob = typeof o.outbox === 'object' && o.outbox !== null ? o.outbox : {};
  return {
    problems,
    endpoint: endpoint ?? new URL('http://invalid.invalid'),
    writeKey: String(o.writeKey ?? ''),
    enabled: o.enabled !== false && endpoint !== undefined,
    outbox: outboxWanted
      ? {
          dir: ob.dir ?? join(process.cwd(), '.footprint', 'outbox'),
          maxBytes: positive(ob.maxBytes, DEFAULTS.outboxMaxBytes, 'outbox.maxBytes'),
          segmentBytes: positive(ob.segmentBytes, DEFAULTS.outboxSegmentBytes, 'outbox.segmentBytes'),
          fsync: ob.fsync ?? DEFAULTS.outboxFsync,
        }
      : null,
    flushAt: Math.max(1, Math.min(Math.floor(positive(o.flushAt, DEFAULTS.flushAt, 'flushAt')), LIMITS.maxBatchEvents)),
    flushIntervalMs: positive(o.flushIntervalMs, DEFAULTS.flushIntervalMs, 'flushIntervalMs', MAX_TIMER_MS),
    // At least one largest event must fit in a batch.
    maxBatchBytes: Math.max(
      Math.min(positive(o.maxBatchBytes, DEFAULTS.maxBatchBytes, 'maxBatchBytes'), DEFAULTS.maxBatchBytes),
      40 * 1024,
    ),
    maxQueueEvents: Math.floor(positive(o.maxQueueEvents, DEFAULTS.maxQueueEvents, 'maxQueueEvents')),
    maxQueueBytes: positive(o.maxQueueBytes, DEFAULTS.maxQueueBytes, 'maxQueueBytes'),
    maxEventBytes: DEFAULTS.maxEventBytes,
    gzip: typeof o.gzip === 'boolean' ? o.gzip : !isLoopback(endpoint?.hostname ?? ''),
    gzipLevel: DEFAULTS.gzipLevel,
    timeoutMs: positive(o.timeoutMs, DEFAULTS.timeoutMs, 'timeoutMs', MAX_TIMER_MS),
    retryMinDelayMs: positive(o.retry?.minDelayMs, DEFAULTS.retryMinDelayMs, 'retry.minDelayMs', MAX_TIMER_MS),
    retryMaxDelayMs: positive(o.retry?.maxDelayMs, DEFAULTS.retryMaxDelayMs, 'retry.maxDelayMs', MAX_TIMER_MS),
    retryAfterMaxMs: positive(o.retry?.maxRetryAfterMs, DEFAULTS.retryAfterMaxMs, 'retry.maxRetryAfterMs', MAX_TIMER_MS),
    logLevel: logLevel ?? DEFAULTS.logLevel,
    context: context ?? {},
    beforeSend,
    captureUncaught: o.captureUncaught === true,
    flushOnExit: o.flushOnExit !== false,
  };
}
