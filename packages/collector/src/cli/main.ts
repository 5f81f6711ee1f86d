#!/usr/bin/env node
/**
 * The `footprint` command.
 *
 *   footprint serve      start the collector (what `npm start` runs)
 *   footprint replay     rebuild the database from the WAL
 */
import { Command, Option } from 'commander';
import { startCollector } from '../app.js';
import { ConfigError, loadConfig } from '../config.js';
import { SettingsError } from '../projects/settings.js';
import { createLogger } from '../observability/logger.js';
import { replay } from './replay.js';

const program = new Command('footprint').description('Footprint: product analytics and backend events that lose nothing');

function fail(err: unknown): never {
  const message = err instanceof ConfigError || err instanceof SettingsError ? err.message : err instanceof Error ? err.message : String(err);
  process.stderr.write(`footprint: ${message}\n`);
  process.exit(1);
}

program
  .command('serve', { isDefault: true })
  .description('start the collector (HTTP ingestion, WAL, loader, read API)')
  .action(async () => {
    const config = loadConfig();
    const log = createLogger(config.logLevel);
    const app = await startCollector(config, log);
    const { generated } = app.keys;
    if (generated.writeKey || generated.adminToken) {
      // Printed once, on the start that made them; they are kept in <data>/keys.json.
      if (generated.writeKey) process.stdout.write(`footprint: write key for project "default": ${generated.writeKey}\n`);
      if (generated.adminToken) process.stdout.write(`footprint: admin token: ${generated.adminToken}\n`);
    }
    log.info({ url: app.url, dataDir: config.dataDir }, 'footprint collector listening');
    process.stdout.write(`footprint: listening on ${app.url} (data in ${config.dataDir})\n`);
    let signals = 0;
    const shutdown = (signal: string): void => {
      if (++signals > 1) process.exit(1);
      log.info({ signal }, 'stopping: no new requests, finishing in-flight ones, flushing');
      app.stop().then(
        () => {
          log.info('stopped cleanly');
          process.exit(0);
        },
        (err: unknown) => {
          log.error({ err }, 'stop failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  });

program
  .command('replay')
  .description('rebuild the database from the WAL files (stop the collector first)')
  .addOption(new Option('--data-dir <dir>', 'data folder').env('FOOTPRINT_DATA_DIR'))
  .option('--no-progress', 'do not draw a progress bar')
  .action(async (opts: { dataDir?: string; progress: boolean }) => {
    const config = loadConfig({ ...process.env, FOOTPRINT_DATA_DIR: opts.dataDir ?? process.env.FOOTPRINT_DATA_DIR });
    const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
    const report = await replay(
      {
        dataDir: config.dataDir,
        memoryLimit: config.duckdbMemory,
        threads: config.duckdbThreads,
        progress: opts.progress && process.stderr.isTTY,
      },
      log,
    );
    process.stdout.write(
      `replayed ${report.segments} WAL segments (${(report.bytes / 1048576).toFixed(1)} MB): ${report.rows} events loaded` +
        `${report.quarantined ? `, ${report.quarantined} lines set aside in quarantine.jsonl` : ''} in ${report.seconds.toFixed(1)} s\n`,
    );
  });

program.parseAsync().catch(fail);
