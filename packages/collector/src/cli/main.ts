#!/usr/bin/env node
/**
 * The `footprint` command.
 *
 *   footprint serve      start the collector (what `npm start` runs)
 *   footprint replay     rebuild the database from the WAL
 *   footprint retention  delete events past their retention (--dry-run: only show)
 *   footprint erase      erase every event of a user id or anonymous id
 */
import { Command, Option } from 'commander';
import { archiveDirOf, projectMaskers, startCollector } from '../app.js';
import { ConfigError, loadConfig } from '../config.js';
import { checkErasureId, checkProjectId, ErasureInputError, type ErasureKind } from '../governance/erasure.js';
import { createLogger } from '../observability/logger.js';
import { loadKeys } from '../projects/keys.js';
import { loadSettings, SettingsError } from '../projects/settings.js';
import { eraseCommand } from './erase.js';
import { replay } from './replay.js';
import { formatRetention, retentionCommand } from './retention.js';

const program = new Command('footprint').description('Footprint: product analytics and backend events that lose nothing');

/** What every offline command starts from: the configuration (with --data-dir), a quieter logger, the database options. */
function offline(dataDir: string | undefined) {
  const config = loadConfig({ ...process.env, FOOTPRINT_DATA_DIR: dataDir ?? process.env.FOOTPRINT_DATA_DIR });
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const database = {
    dataDir: config.dataDir,
    memoryLimit: config.duckdbMemory,
    threads: config.duckdbThreads,
    dedupWindowMs: config.dedupWindowMs,
  };
  return { config, log, database };
}

function fail(err: unknown): never {
  const message =
    err instanceof ConfigError || err instanceof SettingsError ? err.message : err instanceof Error ? err.message : String(err);
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
    const { config, log, database } = offline(opts.dataDir);
    const report = await replay(
      {
        ...database,
        progress: opts.progress && process.stderr.isTTY,
        settings: await loadSettings(config.configFile),
      },
      log,
    );
    process.stdout.write(
      `replayed ${report.segments} WAL segments (${(report.bytes / 1048576).toFixed(1)} MB): ${report.rows} events loaded` +
        `${report.quarantined ? `, ${report.quarantined} lines set aside in quarantine.jsonl` : ''}` +
        `${report.expired ? `, ${report.expired} past their retention removed again` : ''} in ${report.seconds.toFixed(1)} s\n`,
    );
  });

program
  .command('retention')
  .description('delete events past their retention from the database and the WAL (stop the collector first; it does this itself)')
  .addOption(new Option('--data-dir <dir>', 'data folder').env('FOOTPRINT_DATA_DIR'))
  .option('--dry-run', 'only show what would be deleted, per project and type, and which WAL segments would go')
  .option('--no-progress', 'do not draw a progress bar')
  .action(async (opts: { dataDir?: string; dryRun?: boolean; progress: boolean }) => {
    const { config, log, database } = offline(opts.dataDir);
    const settings = await loadSettings(config.configFile);
    const report = await retentionCommand(
      {
        ...database,
        settings,
        dryRun: opts.dryRun === true,
        progress: opts.progress && process.stderr.isTTY,
      },
      log,
    );
    process.stdout.write(formatRetention(report, archiveDirOf(settings, config.dataDir)));
  });

program
  .command('erase')
  .description('erase every event of a user id (and its anonymous ids) or of an anonymous id: database, WAL, archive, quarantine')
  .option('--user <id>', 'the user id, as your application knows it')
  .option('--anonymous-id <id>', 'an anonymous id')
  .option('--project <id>', 'the project', 'default')
  .addOption(new Option('--data-dir <dir>', 'data folder').env('FOOTPRINT_DATA_DIR'))
  .action(async (opts: { user?: string; anonymousId?: string; project: string; dataDir?: string }) => {
    let kind: ErasureKind;
    let id: string;
    let project: string;
    try {
      if (opts.user !== undefined && opts.anonymousId !== undefined)
        throw new ErasureInputError('--anonymous-id', 'give either --user or --anonymous-id, not both');
      if (opts.user === undefined && opts.anonymousId === undefined)
        throw new ErasureInputError('--user', '--user <id> or --anonymous-id <id> is required');
      kind = opts.user !== undefined ? 'user_id' : 'anonymous_id';
      id = checkErasureId(opts.user ?? opts.anonymousId, kind === 'user_id' ? '--user' : '--anonymous-id');
      project = checkProjectId(opts.project, '--project');
    } catch (err) {
      return fail(err);
    }
    const { config, log, database } = offline(opts.dataDir);
    const settings = await loadSettings(config.configFile);
    const report = await eraseCommand(
      {
        ...database,
        walSegmentBytes: config.walSegmentBytes,
        walSegmentAgeMs: config.walSegmentAgeMs,
        settings,
        projectId: project,
        kind,
        id,
        storedIdOf: projectMaskers(
          await loadKeys(config.dataDir, { writeKey: config.writeKey, adminToken: config.adminToken }),
          settings,
          config.dataDir,
        ).storedIdOf,
      },
      log,
    );
    process.stdout.write(
      `erasure ${report.erasure_id} (project ${report.project}): ${report.rows_deleted} events deleted from the database` +
        `${report.linked_ids ? ` (with ${report.linked_ids} linked anonymous ids)` : ''}; ` +
        `WAL: ${report.wal.lines_removed} lines removed from ${report.wal.segments_rewritten} segments; ` +
        `archive: ${report.archive.lines_removed} lines from ${report.archive.files_rewritten} files; ` +
        `quarantine: ${report.quarantine.lines_removed} lines; recorded in audit.jsonl (${report.seconds.toFixed(1)} s)\n`,
    );
  });

program.parseAsync().catch(fail);
