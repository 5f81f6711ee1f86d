/**
 * Collector configuration, read once at start from the environment. A bad value stops the
 * start with a message naming the variable and the rule; nothing reads process.env later.
 *
 * | variable                      | default        |
 * |-------------------------------|----------------|
 * | FOOTPRINT_PORT                | 8080           |
 * | FOOTPRINT_HOST                | 0.0.0.0        |
 * | FOOTPRINT_DATA_DIR            | ./data         |
 * | FOOTPRINT_WRITE_KEY           | generated      |
 * | FOOTPRINT_ADMIN_TOKEN         | generated      |
 * | FOOTPRINT_TRUSTED_PROXIES     | (none)         |
 * | FOOTPRINT_LOG_LEVEL           | info           |
 * | FOOTPRINT_WAL_SEGMENT_BYTES   | 67108864       |
 * | FOOTPRINT_WAL_SEGMENT_AGE_MS  | 3600000        |
 * | FOOTPRINT_DUCKDB_MEMORY       | 256MB          |
 * | FOOTPRINT_DUCKDB_THREADS      | 1              |
 * | FOOTPRINT_DEDUP_HOURS         | 24             |
 * | FOOTPRINT_CONFIG              | ./footprint.config.json (if present) |
 */
import { resolve } from 'node:path';
import { KEY_PATTERN } from './projects/keys.js';
import { DEFAULT_DEDUP_WINDOW_MS } from './sinks/duckdb/sink.js';
import { trustedProxies } from './transforms/enrich/client-ip.js';
import { WAL_DEFAULTS } from './wal/writer.js';

const HOUR_MS = 3_600_000;

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  writeKey: string | undefined;
  adminToken: string | undefined;
  trustedProxies: string[];
  logLevel: string;
  walSegmentBytes: number;
  walSegmentAgeMs: number;
  duckdbMemory: string;
  duckdbThreads: number;
  /** A resent event id is recognised when its first copy was received at most this long before. */
  dedupWindowMs: number;
  /** Project settings file (privacy, retention); undefined means the default location. */
  configFile: string | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return n;
}

function key(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!new RegExp(KEY_PATTERN).test(raw)) {
    throw new ConfigError(`${name} must be 8 to 200 characters of letters, digits, "_", "-", "." or "~"`);
  }
  return raw;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const logLevel = env.FOOTPRINT_LOG_LEVEL || 'info';
  if (!LEVELS.includes(logLevel)) throw new ConfigError(`FOOTPRINT_LOG_LEVEL must be one of ${LEVELS.join(', ')}`);
  // DuckDB's buffer pool; kept small so the collector stays lean (it spills to disk past it).
  const memory = env.FOOTPRINT_DUCKDB_MEMORY || '256MB';
  if (!/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(memory)) {
    throw new ConfigError('FOOTPRINT_DUCKDB_MEMORY must be a size such as 512MB or 2GB');
  }
  const writeKey = key(env, 'FOOTPRINT_WRITE_KEY');
  const adminToken = key(env, 'FOOTPRINT_ADMIN_TOKEN');
  if (writeKey !== undefined && writeKey === adminToken) {
    // The write key is public (it is in every page's script tag); the admin token reads everything.
    throw new ConfigError(
      'FOOTPRINT_ADMIN_TOKEN must differ from FOOTPRINT_WRITE_KEY: the write key is public, the admin token reads every event',
    );
  }
  const proxies = (env.FOOTPRINT_TRUSTED_PROXIES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  try {
    trustedProxies(proxies);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  return {
    port: int(env, 'FOOTPRINT_PORT', 8080, 0, 65535),
    host: env.FOOTPRINT_HOST || '0.0.0.0',
    dataDir: resolve(cwd, env.FOOTPRINT_DATA_DIR || 'data'),
    writeKey,
    adminToken,
    trustedProxies: proxies,
    logLevel,
    walSegmentBytes: int(env, 'FOOTPRINT_WAL_SEGMENT_BYTES', WAL_DEFAULTS.maxSegmentBytes, 4096, 2 ** 31),
    walSegmentAgeMs: int(env, 'FOOTPRINT_WAL_SEGMENT_AGE_MS', WAL_DEFAULTS.maxSegmentAgeMs, 1000, 7 * 24 * 3600 * 1000),
    duckdbMemory: memory,
    // One thread by default: the other core serves HTTP; loading keeps up in the background.
    duckdbThreads: int(env, 'FOOTPRINT_DUCKDB_THREADS', 1, 1, 256),
    dedupWindowMs: int(env, 'FOOTPRINT_DEDUP_HOURS', DEFAULT_DEDUP_WINDOW_MS / HOUR_MS, 0, 24 * 366) * HOUR_MS,
    configFile: env.FOOTPRINT_CONFIG || undefined,
  };
}
