#!/usr/bin/env node
/**
 * The `footprint` command.
 *
 *   footprint serve      start the collector (what `npm start` runs)
 *   footprint replay     rebuild the database from the WAL
 *   footprint retention  delete events past their retention (--dry-run: only show)
 *   footprint erase      erase every event of a user id or anonymous id
 */
import { createRequire } from 'node:module';
import { Command, Option } from 'commander';
import { archiveDirOf, projectMaskers, startCollector } from '../app.js';
import { ConfigError, loadConfig } from '../config.js';
import { checkErasureId, checkProjectId, ErasureInputError, type ErasureKind } from '../governance/erasure.js';
import { createLogger } from '../observability/logger.js';
import { loadKeys } from '../projects/keys.js';
import { loadSettings, SettingsError } from '../projects/settings.js';
import { assertDataDir } from './common.js';
import { eraseCommand } from './erase.js';
import { replay } from './replay.js';
import { formatRetention, retentionCommand } from './retention.js';

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

const program = new Command('footprint')
  .description('Footprint: product analytics and backend events that lose nothing')
  .version(VERSION, '-v, --version', 'print the version')
  .addHelpText('after', '\nWith no command, `serve` runs: the collector on port 8080, data in ./data.');

/** The environment `serve` reads (config.ts holds the rules). */
const SERVE_ENVIRONMENT = `
Environment (the options above set the first three):
  FOOTPRINT_PORT                port to listen on (default 8080)
  FOOTPRINT_HOST                address to listen on (default 0.0.0.0)
  FOOTPRINT_DATA_DIR            data folder (default ./data)
  FOOTPRINT_WRITE_KEY           write key of the default project (default: generated once, kept in data/keys.json)
  FOOTPRINT_ADMIN_TOKEN         admin token for the read API (default: generated once, kept in data/keys.json)
  FOOTPRINT_TRUSTED_PROXIES     proxies whose X-Forwarded-For is believed, e.g. 10.0.0.0/8,::1
  FOOTPRINT_LOG_LEVEL           trace, debug, info (default), warn, error, fatal or silent
  FOOTPRINT_CONFIG              project settings file (default ./footprint.config.json, if present)
  FOOTPRINT_WAL_SEGMENT_BYTES   WAL segment size before rotation (default 67108864)
  FOOTPRINT_WAL_SEGMENT_AGE_MS  WAL segment age before rotation (default 3600000)
  FOOTPRINT_DUCKDB_MEMORY       DuckDB memory limit (default 256MB)
  FOOTPRINT_DUCKDB_THREADS      DuckDB threads (default 1)
  FOOTPRINT_DEDUP_HOURS         how long a resent event id is recognised (default 24)`;

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

/** `1 segment`, `2 segments`. */
const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

function fail(err: unknown): never {
  const message =
    err instanceof ConfigError || err instanceof SettingsError ? err.message : err instanceof Error ? err.message : String(err);
  // A folder this user may not write (or a read-only disk): say where to look.
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const hint =
    code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      ? `\nfootprint: the data folder must be writable by this user: check its owner and mode, or set FOOTPRINT_DATA_DIR (or --data-dir) to another folder`
      : '';
  process.stderr.write(`footprint: ${message}${hint}\n`);
  process.exit(1);
}

program
  .command('serve', { isDefault: true })
  .description('start the collector (HTTP ingestion, WAL, loader, read API)')
  .addOption(new Option('--port <port>', 'port to listen on').env('FOOTPRINT_PORT'))
  .addOption(new Option('--host <address>', 'address to listen on').env('FOOTPRINT_HOST'))
  .addOption(new Option('--data-dir <dir>', 'data folder').env('FOOTPRINT_DATA_DIR'))
  .addHelpText('after', SERVE_ENVIRONMENT)
  // `footprint <typo>` lands here, serve being the default: say so instead of starting.
  .argument('[command...]')
  .action(async (extra: string[], opts: { port?: string; host?: string; dataDir?: string }, cmd: Command) => {
    if (extra.length > 0) fail(`unknown command "${extra[0]}": the commands are serve, replay, retention and erase (see footprint --help)`);
    let config: ReturnType<typeof loadConfig>;
    try {
      config = loadConfig({
        ...process.env,
        FOOTPRINT_PORT: opts.port ?? process.env.FOOTPRINT_PORT,
        FOOTPRINT_HOST: opts.host ?? process.env.FOOTPRINT_HOST,
        FOOTPRINT_DATA_DIR: opts.dataDir ?? process.env.FOOTPRINT_DATA_DIR,
      });
    } catch (err) {
      // A value given as an option is named as the option the user typed.
      if (err instanceof ConfigError && err.message.startsWith('FOOTPRINT_PORT') && cmd.getOptionValueSource('port') === 'cli') {
        fail(err.message.replace(/^FOOTPRINT_PORT/, '--port'));
      }
      throw err;
    }
    const log = createLogger(config.logLevel);
    // Listened for before the start, so that a signal during it (or right after the
    // "listening" line) stops the collector cleanly once it is up.
    let app: Awaited<ReturnType<typeof startCollector>> | undefined;
    let pending: string | undefined;
    let signals = 0;
    const stop = (signal: string): void => {
      log.info({ signal }, 'stopping: no new requests, finishing in-flight ones, flushing');
      (app as NonNullable<typeof app>).stop().then(
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
    const shutdown = (signal: string): void => {
      if (++signals > 1) process.exit(1);
      if (app) stop(signal);
      else pending = signal;
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    // A closed terminal (or a supervisor's hang-up): the same clean stop, instead of Node's default exit.
    process.on('SIGHUP', () => shutdown('SIGHUP'));
    app = await startCollector(config, log, {
      // Printed once, by the start that made them (even if it then fails); they are kept in <data>/keys.json.
      onKeysGenerated(generated) {
        if (generated.writeKey) process.stdout.write(`footprint: write key for project "default": ${generated.writeKey}\n`);
        if (generated.adminToken) process.stdout.write(`footprint: admin token: ${generated.adminToken}\n`);
      },
    });
    log.info({ url: app.url, dataDir: config.dataDir }, 'footprint collector listening');
    process.stdout.write(`footprint: listening on ${app.url} (data in ${config.dataDir})\n`);
    if (pending) stop(pending);
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
      `replayed ${count(report.segments, 'WAL segment')} (${(report.bytes / 1048576).toFixed(1)} MB): ${count(report.rows, 'event')} loaded` +
        `${report.quarantined ? `, ${count(report.quarantined, 'line')} set aside in quarantine.jsonl` : ''}` +
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
    await assertDataDir(config.dataDir);
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
      `erasure ${report.erasure_id} (project ${report.project}): ${count(report.rows_deleted, 'event')} deleted from the database` +
        `${report.linked_ids ? ` (with ${count(report.linked_ids, 'linked anonymous id')})` : ''}; ` +
        `WAL: ${count(report.wal.lines_removed, 'line')} removed from ${count(report.wal.segments_rewritten, 'segment')}; ` +
        `archive: ${count(report.archive.lines_removed, 'line')} from ${count(report.archive.files_rewritten, 'file')}; ` +
        `quarantine: ${count(report.quarantine.lines_removed, 'line')}; recorded in audit.jsonl (${report.seconds.toFixed(1)} s)\n`,
    );
  });

program.parseAsync().catch(fail);
