/**
 * The collector process: wires source → transforms → WAL → loader → sink, and the read
 * API, and owns their lifecycle. Start order follows the data (WAL first, so ingestion works
 * even when the database cannot be opened); stop order is the reverse: stop accepting,
 * finish in-flight requests, fsync, load what is durable, close the database.
 */

import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { claimFolder, type FolderClaim, lockHolder } from '@footprint/folder-lock';
import { compileMasker } from '@footprint/privacy';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { type ErasureContext, erase, type StoredIdOf } from './governance/erasure.js';
import { type RetentionContext, runRetention } from './governance/retention.js';
import { MaintenanceQueue, RetentionScheduler } from './governance/scheduler.js';
import { LoaderLag } from './loader/lag.js';
import { LOADER_DEFAULTS, WalLoader } from './loader/loader.js';
import { type LoadedKeys, loadKeys } from './projects/keys.js';
import { loadSettings, type Settings, SettingsError } from './projects/settings.js';
import type { EventStore } from './query/events.js';
import { DuckDbDatabase } from './sinks/duckdb/database.js';
import { DuckDbEventStore } from './sinks/duckdb/event-store.js';
import { DuckDbGovernanceStore } from './sinks/duckdb/governance.js';
import { DuckDbSink } from './sinks/duckdb/sink.js';
import { createBrowserScriptHandler, loadBrowserScript } from './sources/http/browser-script.js';
import { createErasureHandler } from './sources/http/erasure-routes.js';
import { createIngestHandler } from './sources/http/ingest-routes.js';
import { createReadHandler } from './sources/http/read-routes.js';
import { createHttpServer } from './sources/http/server.js';
import { createOtlpLogsHandler } from './sources/otlp/logs-route.js';
import { trustedProxies } from './transforms/enrich/client-ip.js';
import { DailyVisitorSalt } from './transforms/enrich/visitor-id.js';
import { createRowMasker, type RowMasker } from './transforms/mask.js';
import { WalReader } from './wal/reader.js';
import { WalSegmentWriter } from './wal/writer.js';

/** Where things live under the data folder. */
export function dataPaths(dataDir: string) {
  return {
    wal: join(dataDir, 'wal'),
    duckdb: join(dataDir, 'footprint.duckdb'),
    scratch: join(dataDir, 'tmp'),
    quarantine: join(dataDir, 'quarantine.jsonl'),
    audit: join(dataDir, 'audit.jsonl'),
  };
}

/** The archive folder for expired WAL segments, or null; a relative path is inside the data folder. */
export function archiveDirOf(settings: Pick<Settings, 'archiveDir'>, dataDir: string): string | null {
  return settings.archiveDir === null ? null : resolve(dataDir, settings.archiveDir);
}

/** Every project the collector knows by configuration: write keys and settings. */
export function configuredProjects(keys: Pick<LoadedKeys, 'file'>, settings: Pick<Settings, 'file'>): string[] {
  return [...new Set([...keys.file.projects.map((p) => p.id), ...Object.keys(settings.file.projects ?? {})])];
}

/** Each project's masking, compiled once at start (a bad rule stops the start, naming it). */
export interface ProjectMasking {
  rowMasker(projectId: string): RowMasker;
  /** The stored forms of a raw id (it may be stored hashed), for erasure. */
  storedIdOf: StoredIdOf;
}

export function projectMaskers(keys: LoadedKeys, settings: Settings, dataDir: string): ProjectMasking {
  const salt = new DailyVisitorSalt(dataDir);
  const maskers = new Map<string, { row: RowMasker; identity: (id: string) => string }>();
  for (const p of keys.file.projects) {
    const privacy = settings.privacyOf(p.id);
    let masker: ReturnType<typeof compileMasker>;
    try {
      masker = compileMasker({ settings: privacy, secret: keys.ring.hashSecretOf(p.id) });
    } catch (err) {
      throw new SettingsError(`${settings.source ?? 'settings'}: projects.${p.id}.${(err as Error).message}`);
    }
    maskers.set(p.id, {
      row: createRowMasker({ masker, cookielessVisitorId: privacy?.cookielessVisitorId ? salt : undefined }),
      identity: masker.identity,
    });
  }
  const of = (projectId: string) => {
    const m = maskers.get(projectId);
    if (!m) throw new Error(`no masking compiled for project ${projectId}`);
    return m;
  };
  return {
    rowMasker: (projectId) => of(projectId).row,
    storedIdOf: (projectId, rawId) => (maskers.has(projectId) ? [...new Set([rawId, of(projectId).identity(rawId)])] : [rawId]),
  };
}

/** How often a WAL that failed its last write is checked while no append comes to try again. */
const WAL_PROBE_MS = 5_000;

export interface CollectorOptions {
  /** The stored forms of a raw user or anonymous id, for erasure (masking may store ids hashed). */
  storedIdOf?: StoredIdOf;
  /** Clock of retention runs. */
  now?: () => number;
  /** The browser SDK script served at /fp.js; default: @footprint/browser's dist/fp.js. */
  browserScriptFile?: string;
  /** Called as soon as keys.json holds keys made on this start, before anything can fail later in the start. */
  onKeysGenerated?: (generated: LoadedKeys['generated']) => void;
}

export interface RunningCollector {
  url: string;
  port: number;
  keys: LoadedKeys;
  stop(): Promise<void>;
}

export async function startCollector(config: Config, log: Logger, options: CollectorOptions = {}): Promise<RunningCollector> {
  const paths = dataPaths(config.dataDir);
  await mkdir(config.dataDir, { recursive: true });
  const claim = await claimDataDir(
    config.dataDir,
    'another collector (or a replay, retention or erase command) uses it; stop it first, or give this one its own FOOTPRINT_DATA_DIR',
  );
  try {
    return await start(config, log, options, paths, claim);
  } catch (err) {
    await claim.release();
    throw err;
  }
}

/** The lock file in the data folder: one process writes a data folder (its WAL, its database) at a time. */
export const DATA_DIR_LOCK = 'footprint.lock';

/**
 * Claims the data folder for this process, or fails naming who holds it. A collector killed
 * with SIGKILL leaves its lock behind: the next start on this host sees its pid is gone and
 * takes over at once.
 */
export async function claimDataDir(dataDir: string, todo: string): Promise<FolderClaim> {
  const claim = await claimFolder(dataDir, { lockName: DATA_DIR_LOCK });
  if (claim) return claim;
  const holder = await lockHolder(dataDir, { lockName: DATA_DIR_LOCK });
  const who = holder ? `process ${holder.pid}${holder.host && holder.host !== hostname() ? ` on ${holder.host}` : ''}` : 'another process';
  throw new Error(`${dataDir} is in use by ${who} (${join(dataDir, DATA_DIR_LOCK)}): ${todo}`);
}

async function start(
  config: Config,
  log: Logger,
  options: CollectorOptions,
  paths: ReturnType<typeof dataPaths>,
  claim: FolderClaim,
): Promise<RunningCollector> {
  const keys = await loadKeys(config.dataDir, { writeKey: config.writeKey, adminToken: config.adminToken });
  if (keys.generated.writeKey || keys.generated.adminToken) options.onKeysGenerated?.(keys.generated);
  const settings = await loadSettings(config.configFile);
  const masking = projectMaskers(keys, settings, config.dataDir);

  const wal = await WalSegmentWriter.open({
    dir: paths.wal,
    maxSegmentBytes: config.walSegmentBytes,
    maxSegmentAgeMs: config.walSegmentAgeMs,
  });
  if (wal.stats.repairedBytes > 0) {
    log.warn({ cutBytes: wal.stats.repairedBytes }, 'cut a torn tail (unacknowledged bytes) from the last WAL segment');
  }

  const db = new DuckDbDatabase({ path: paths.duckdb, memoryLimit: config.duckdbMemory, threads: config.duckdbThreads });
  const reader = new WalReader(paths.wal, (seq) => (seq === wal.currentSeq() ? wal.durable().offset : undefined));
  const sink = new DuckDbSink(db, paths.scratch, config.dedupWindowMs);
  const loader = new WalLoader(reader, sink, { ...LOADER_DEFAULTS, quarantineFile: paths.quarantine }, log);
  const lag = new LoaderLag();
  // Said once when rotations start failing, and once when one succeeds again: not per group.
  let rotationFailing = false;
  wal.on('rotation-failed', (err: unknown) => {
    if (rotationFailing) return;
    rotationFailing = true;
    log.warn({ err }, 'the next WAL segment could not be opened; writing on into the current one, trying again with each group');
  });
  wal.on('rotated', ({ opened }) => {
    if (!rotationFailing) return;
    rotationFailing = false;
    log.info({ segment: opened }, 'the WAL rotates again');
  });
  // A streak of failed writes is said once at its start and once at its end.
  wal.on('write-failed', (err) => log.error({ err }, 'writing to the WAL failed: events are refused (503) until a write succeeds'));
  wal.on('write-recovered', () => log.info('the WAL takes writes again'));
  // A failure is otherwise only found over by the next append: without traffic, look every 5 s.
  const walProbe = setInterval(() => {
    // Not at once: a failure just seen is reported as it is for at least one interval.
    if (wal.failing && Date.now() - wal.failing.since >= WAL_PROBE_MS) void wal.probe();
  }, WAL_PROBE_MS).unref();
  wal.on('durable', (pos) => {
    lag.record(pos);
    loader.notify();
  });
  loader.start();

  // Retention and erasure: one at a time, database writes between two loader chunks.
  const governance = new DuckDbGovernanceStore(db);
  const maintenance = new MaintenanceQueue();
  const archiveDir = archiveDirOf(settings, config.dataDir);
  const now = options.now ?? Date.now;
  const retentionContext: RetentionContext = {
    walDir: paths.wal,
    archiveDir,
    store: governance,
    settings,
    knownProjects: configuredProjects(keys, settings),
    checkpoint: () => loader.open(),
    exclusive: (fn) => loader.exclusive(fn),
  };
  const retention = new RetentionScheduler({
    intervalMs: settings.intervalMinutes * 60_000,
    run: () => maintenance.run(() => runRetention(retentionContext, { now: now() })),
    log,
    now,
  });
  retention.start();
  const storedIdOf = options.storedIdOf ?? masking.storedIdOf;
  /** The project a read names, or every project with keys. */
  const projectsOf = (project: string | undefined): string[] => (project !== undefined ? [project] : keys.file.projects.map((p) => p.id));
  const erasureContext: ErasureContext = {
    walDir: paths.wal,
    quarantineFile: paths.quarantine,
    auditFile: paths.audit,
    archiveDir,
    store: governance,
    storedIdOf,
    // Later appends go to a new segment; everything before it is loaded before any rewrite.
    async settle() {
      const seq = await wal.rotate();
      await loader.drain(undefined, seq);
      return seq;
    },
    checkpoint: () => loader.open(),
    // The database file is swapped during an erasure: the loader lets go of its connection.
    exclusive: (fn) =>
      loader.exclusive(async () => {
        await sink.close();
        try {
          return await fn();
        } finally {
          await sink
            .open()
            .catch((err: unknown) => log.warn({ err }, 'reopening the database after an erasure failed; the loader retries'));
        }
      }),
  };

  const browserScript = await loadBrowserScript(options.browserScriptFile);
  if (!browserScript) log.warn('the browser script is not built (packages/browser/dist/fp.js): GET /fp.js answers 503');

  // Reads take turns with loads: DuckDB 1.5 was seen answering a query with values of other
  // rows while the same table was being appended to from another connection, so a page is
  // never read while a chunk is being loaded (a read waits for at most one chunk).
  const events = new DuckDbEventStore(db, paths.scratch);
  const store: EventStore = { listEvents: (filter) => loader.exclusive(() => events.listEvents(filter)) };
  const ingestDeps = { keys: keys.ring, wal, trustedProxies: trustedProxies(config.trustedProxies), maskerOf: masking.rowMasker };
  const http = createHttpServer(
    {
      ingest: createIngestHandler(ingestDeps),
      otlpLogs: createOtlpLogsHandler(ingestDeps),
      listEvents: createReadHandler({
        keys: keys.ring,
        store,
        storedForms: (project, id) => [...new Set([id, ...projectsOf(project).flatMap((p) => storedIdOf(p, id))])],
        linkedIds: (project, userIds) =>
          loader.exclusive(async () => {
            const all = await Promise.all(projectsOf(project).map((p) => governance.linkedIds(p, userIds)));
            return [...new Set(all.flat())];
          }),
        onInternalError: (err) => log.error({ err }, 'a read of events failed'),
      }),
      browserScript: createBrowserScriptHandler(browserScript),
      erasure: createErasureHandler({
        keys: keys.ring,
        knowsProject: async (id) => configuredProjects(keys, settings).includes(id) || (await governance.projects()).includes(id),
        erase: (target) =>
          maintenance.run(async () => {
            const report = await erase(erasureContext, { ...target, actor: 'api' });
            // The id itself is not logged (it is what was erased); audit.jsonl has the same record.
            log.info(
              {
                erasure_id: report.erasure_id,
                project: report.project,
                by: target.kind,
                rows_deleted: report.rows_deleted,
                seconds: report.seconds,
              },
              'erasure done',
            );
            return report;
          }),
      }),
      async health() {
        const status = loader.status();
        const loaded = loader.checkpoint();
        // Before the database was ever opened the checkpoint is unknown: count from the start.
        const lagBytes = await reader
          .refresh()
          .then(() => reader.bytesAfter(loaded ?? { seq: 0, offset: 0 }))
          .catch(() => null);
        const lagSeconds = lag.seconds(loaded);
        const failing = wal.failing;
        return {
          // While the WAL refuses writes, the collector takes no events.
          ok: failing === undefined,
          status: failing ? 'failing' : status.state === 'retrying' ? 'degraded' : 'ok',
          wal: {
            ...(failing ? { failing_since: new Date(failing.since).toISOString(), last_error: failing.error } : {}),
            segment: wal.currentSeq(),
            durable_offset: wal.durable().offset,
            queued_bytes: wal.queuedBytes(),
            appends: wal.stats.appends,
            fsyncs: wal.stats.fsyncs,
            bytes: wal.stats.bytes,
            failures: wal.stats.failures,
            repaired_bytes: wal.stats.repairedBytes,
          },
          loader: {
            ...status,
            lag_bytes: lagBytes,
            lag_seconds: Number(lagSeconds.toFixed(3)),
            database_open: db.isOpen(),
            database_opens: db.opens,
          },
          retention: retention.status(),
        };
      },
    },
    log,
  );

  /** What stop() closes after the HTTP server, in data order; also run when the start fails after they opened. */
  async function closeStorage(): Promise<void> {
    clearInterval(walProbe);
    await retention.stop();
    await maintenance.idle();
    await wal.close();
    await loader.stop();
    await sink.close();
    db.close();
  }

  try {
    await new Promise<void>((resolve, reject) => {
      http.server.once('error', (err: Error) =>
        reject(
          new Error(`cannot listen on ${config.host}:${config.port} (FOOTPRINT_HOST, FOOTPRINT_PORT): ${err.message}`, { cause: err }),
        ),
      );
      http.server.listen(config.port, config.host, () => resolve());
    });
  } catch (err) {
    // Nothing may keep writing once the caller releases the data folder's lock.
    await closeStorage().catch((e: unknown) => log.warn({ err: e }, 'closing after a failed start failed'));
    throw err;
  }
  const port = (http.server.address() as AddressInfo).port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;

  let stopping: Promise<void> | undefined;
  async function stop(): Promise<void> {
    http.drain();
    await new Promise<void>((resolve) => {
      // Idle keep-alive connections are closed until the server has none left: one that sends
      // a request meanwhile is answered (503, connection: close) and then closed too.
      const tick = setInterval(() => http.server.closeIdleConnections(), 50);
      const force = setTimeout(() => http.server.closeAllConnections(), 10_000);
      force.unref();
      http.server.close(() => {
        clearInterval(tick);
        clearTimeout(force);
        resolve();
      });
      http.server.closeIdleConnections();
    });
    await closeStorage();
    await claim.release();
  }
  return { url, port, keys, stop: () => (stopping ??= stop()) };
}
