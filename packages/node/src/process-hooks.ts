/**
 * Process-level hooks of a client:
 *
 * - `captureUncaught`: an uncaught exception or unhandled rejection becomes a fatal `error`
 *   event. What is staged is written to the outbox synchronously (the process is dying, so
 *   blocking is harmless), then, if no other handler is installed, Node's own behaviour is
 *   kept: the error is printed and the process exits with code 1, after at most
 *   `FATAL_FLUSH_MS` of trying to deliver.
 * - `flushOnExit`: when the event loop empties (`beforeExit`), pending events get one
 *   bounded attempt at delivery, so short scripts and cron processes send what they wrote.
 *   Without an outbox, events still undelivered then are reported as `shutdown_timeout`.
 *   On `process.exit()` (which skips `beforeExit`) staged events are written to the outbox
 *   synchronously; without an outbox, the undelivered ones are reported.
 */
import type { Footprint } from './client.js';
import type { Pipeline } from './delivery/pipeline.js';
import type { ResolvedOptions } from './options.js';

/** How long a dying process tries to deliver its last events. */
const FATAL_FLUSH_MS = 2_000;
/** How long `beforeExit` keeps the process alive to deliver. */
const EXIT_FLUSH_MS = 5_000;

/** Node's `--unhandled-rejections` mode, from the command line or NODE_OPTIONS. */
function rejectionMode(): string {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  for (const f of flags) {
    const m = /^--unhandled-rejections=(\S+)$/.exec(f);
    if (m?.[1]) return m[1];
  }
  return 'throw';
}

/**
 * What the clients of this process share (on globalThis, so a module loaded twice shares it
 * too): their own handlers, which do not count as "another handler", and one dying process.
 */
interface Shared {
  handlers: Set<(...args: never[]) => void>;
  /** Fatal flushes still running; the process exits when the last one ends. */
  flushing: number;
  printed: boolean;
}
const SHARED = Symbol.for('footprint.process-hooks');
const shared = ((globalThis as Record<symbol, unknown>)[SHARED] ??= {
  handlers: new Set(),
  flushing: 0,
  printed: false,
}) as Shared;

/** Handlers of `event` other than Footprint clients' own. */
const othersOn = (event: 'uncaughtException' | 'unhandledRejection'): number =>
  (event === 'uncaughtException' ? process.listeners(event) : process.listeners(event)).filter((l) => !shared.handlers.has(l as never))
    .length;

export function installProcessHooks(client: Footprint, pipeline: Pipeline, o: ResolvedOptions): () => void {
  const removers: Array<() => void> = [];
  let dying = false;

  // Node's own behaviour when nothing else handles the error: print it once, exit with 1 once
  // every client had its bounded try at delivering.
  const die = (err: unknown): void => {
    if (dying) return;
    dying = true;
    if (!shared.printed) {
      shared.printed = true;
      console.error(err);
    }
    shared.flushing++;
    void pipeline.flush(FATAL_FLUSH_MS).finally(() => {
      if (--shared.flushing === 0) process.exit(1);
    });
  };

  if (o.captureUncaught) {
    const onUncaught = (err: unknown, origin: string): void => {
      client.captureException(err, { level: 'fatal', handled: false, origin });
      pipeline.persistSync();
      if (othersOn('uncaughtException') === 0) die(err);
    };
    const onRejection = (reason: unknown): void => {
      client.captureException(reason, { level: 'fatal', handled: false, origin: 'unhandledRejection' });
      pipeline.persistSync();
      const mode = rejectionMode();
      if (othersOn('unhandledRejection') === 0 && (mode === 'throw' || mode === 'strict')) die(reason);
    };
    shared.handlers.add(onUncaught);
    shared.handlers.add(onRejection);
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onRejection);
    removers.push(() => {
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onRejection);
      shared.handlers.delete(onUncaught);
      shared.handlers.delete(onRejection);
    });
  }

  if (o.flushOnExit) {
    let tried = false;
    const onBeforeExit = (): void => {
      if (tried || dying || pipeline.stats().pending === 0) return;
      tried = true;
      void pipeline.flush(EXIT_FLUSH_MS).then((result) => {
        // Without an outbox, what is still pending now is lost with the process: say so.
        if (!result.ok) pipeline.reportLostAtExit();
      });
    };
    // process.exit() skips beforeExit: what is staged goes to the outbox synchronously, and
    // without an outbox what cannot be sent any more is reported rather than lost in silence.
    const onExit = (): void => {
      if (pipeline.stats().pending === 0) return;
      pipeline.persistSync();
      pipeline.reportLostAtExit();
    };
    process.on('beforeExit', onBeforeExit);
    process.on('exit', onExit);
    removers.push(() => {
      process.off('beforeExit', onBeforeExit);
      process.off('exit', onExit);
    });
  }

  return () => {
    for (const remove of removers.splice(0)) remove();
  };
}
