/**
 * The collector process: wires source → transforms → WAL → loader → sink, and the read
 * API, and owns their lifecycle. Start order follows the data (WAL first, so ingestion works
 * even when the database cannot be opened); stop order is the reverse: stop accepting,
 * finish in-flight requests, fsync, load what is durable, close the database.
 */
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { LoaderLag } from './loader/lag.js';
import { LOADER_DEFAULTS, WalLoader } from './loader/loader.js';
import { compileMasker } from '@footprint/privacy';
import { type LoadedKeys, loadKeys } from './projects/keys.js';
import { type Settings, SettingsError, loadSettings } from './projects/settings.js';
import { DailyVisitorSalt } from './transforms/enrich/visitor-id.js';
import { type RowMasker, createRowMasker } from './transforms/mask.js';
import { DuckDbDatabase } from './sinks/duckdb/database.js';
import { DuckDbEventStore } from './sinks/duckdb/event-store.js';
import { DuckDbSink } from './sinks/duckdb/sink.js';
import { createIngestHandler } from './sources/http/ingest-routes.js';
import { createReadHandler } from './sources/http/read-routes.js';
import { createHttpServer } from './sources/http/server.js';
import { trustedProxies } from './transforms/enrich/client-ip.js';
import { WalReader } from './wal/reader.js';
import { WalSegmentWriter } from './wal/writer.js';

/** Where things live under the data folder. */
export function dataPaths(dataDir: string) {
  return {
    wal: join(dataDir, 'wal'),
    duckdb: join(dataDir, 'footprint.duckdb'),
    scratch: join(dataDir, 'tmp'),
    quarantine: join(dataDir, 'quarantine.jsonl'),
  };
}

/** Compiles each project's masking once, at start (a bad rule stops the start, naming it). */
export function projectMaskers(keys: LoadedKeys, settings: Settings, dataDir: string): (projectId: string) => RowMasker {
  const salt = new DailyVisitorSalt(dataDir);
  const maskers = new Map<string, RowMasker>();
  for (const p of keys.file.projects) {
    const privacy = settings.privacyOf(p.id);
    let masker: ReturnType<typeof compileMasker>;
    try {
      masker = compileMasker({ settings: privacy, secret: keys.ring.hashSecretOf(p.id) });
    } catch (err) {
      throw new SettingsError(`${settings.source ?? 'settings'}: projects.${p.id}.${(err as Error).message}`);
    }
    maskers.set(p.id, createRowMasker({ masker, cookielessVisitorId: privacy?.cookielessVisitorId ? salt : undefined }));
  }
  return (projectId) => {
    const m = maskers.get(projectId);
    if (!m) throw new Error(`no masking compiled for project ${projectId}`);
    return m;
  };
}

export interface RunningCollector {
  url: string;
  port: number;
  keys: LoadedKeys;
  stop(): Promise<void>;
}

export async function startCollector(config: Config, log: Logger): Promise<RunningCollector> {
  const paths = dataPaths(config.dataDir);
  await mkdir(config.dataDir, { recursive: true });
  const keys = await loadKeys(config.dataDir, { writeKey: config.writeKey, adminToken: config.adminToken });
  const settings = await loadSettings(config.configFile);
  const maskerOf = projectMaskers(keys, settings, config.dataDir);

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
  const sink = new DuckDbSink(db, paths.scratch);
  const loader = new WalLoader(reader, sink, { ...LOADER_DEFAULTS, quarantineFile: paths.quarantine }, log);
  const lag = new LoaderLag();
  wal.on('durable', (pos) => {
    lag.record(pos);
    loader.notify();
  });
  loader.start();

  const store = new DuckDbEventStore(db);
  const http = createHttpServer(
    {
      ingest: createIngestHandler({ keys: keys.ring, wal, trustedProxies: trustedProxies(config.trustedProxies), maskerOf }),
      listEvents: createReadHandler(keys.ring, store),
      async health() {
        const status = loader.status();
        const loaded = loader.checkpoint();
        // Before the database was ever opened the checkpoint is unknown: count from the start.
        const lagBytes = await reader
          .refresh()
          .then(() => reader.bytesAfter(loaded ?? { seq: 0, offset: 0 }))
          .catch(() => null);
        const lagSeconds = lag.seconds(loaded);
        return {
          ok: true,
          status: status.state === 'retrying' ? 'degraded' : 'ok',
          wal: { segment: wal.currentSeq(), durable_offset: wal.durable().offset, queued_bytes: wal.queuedBytes(), ...wal.stats },
          loader: { ...status, lag_bytes: lagBytes, lag_seconds: Number(lagSeconds.toFixed(3)), database_open: db.isOpen() },
        };
      },
    },
    log,
  );

  await new Promise<void>((resolve, reject) => {
    http.server.once('error', reject);
    http.server.listen(config.port, config.host, () => resolve());
  });
  const port = (http.server.address() as AddressInfo).port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;

  let stopping: Promise<void> | undefined;
  async function stop(): Promise<void> {
    http.drain();
    await new Promise<void>((resolve) => {
      http.server.close(() => resolve());
      http.server.closeIdleConnections();
      const tick = setInterval(() => {
        http.server.closeIdleConnections();
        if (http.inFlight() === 0) clearInterval(tick);
      }, 50);
      setTimeout(() => {
        clearInterval(tick);
        http.server.closeAllConnections();
      }, 10_000).unref();
    });
    await wal.close();
    await loader.stop();
    await sink.close();
    db.close();
  }
  return { url, port, keys, stop: () => (stopping ??= stop()) };
}
