/**
 * WalLoader: tails the WAL into a sink.
 *
 * Invariants
 * - Only durable bytes are read (the writer bounds its open segment to the fsync'd offset).
 * - Rows and checkpoint move together (Sink.load is atomic) and rows are deduplicated by id, so a
 *   crash at any point, a restart or a full replay never duplicates nor skips an event.
 * - A sink outage never blocks ingestion: the loader backs off and retries, the WAL keeps
 *   growing, and the backlog loads when the sink returns.
 * - A chunk the sink rejects while it is otherwise healthy is split in halves until the
 *   offending lines are isolated; those lines are copied to the quarantine file with the
 *   reason and counted, and everything else loads. Nothing is silently dropped. A line is
 *   in the quarantine file once: a copy made before a crash (the checkpoint not yet past
 *   it) or by an earlier load of the same WAL (a replay) is found there first.
 * - Maintenance that writes the same store (retention, erasure) runs through `exclusive()`,
 *   between two chunks, never during one.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { type Sink, SinkUnavailableError } from '../sinks/sink.js';
import type { WalReader } from '../wal/reader.js';
import { appendDurably, type WalPosition } from '../wal/segments.js';

export interface LoaderOptions {
  /** Largest chunk handed to the sink at once. */
  maxChunkBytes: number;
  /** First retry delay after a sink failure; doubles up to maxRetryMs. */
  retryMs: number;
  maxRetryMs: number;
  /** Pause after a small chunk, letting lines gather (bounds how fresh the database is). */
  gatherMs: number;
  /** Where unloadable lines are set aside (JSON lines with the reason). */
  quarantineFile: string;
}

export const LOADER_DEFAULTS = { maxChunkBytes: 16 * 1024 * 1024, retryMs: 250, maxRetryMs: 5_000, gatherMs: 250 } as const;

export type LoaderState = 'starting' | 'running' | 'idle' | 'retrying' | 'stopped';

export class WalLoader {
  private position: WalPosition | undefined;
  private state: LoaderState = 'starting';
  private wake: (() => void) | undefined;
  private dirty = true;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private lastError: string | null = null;
  private retryDelay: number;
  readonly stats = { chunks: 0, rows: 0, quarantined: 0, failures: 0 };

  constructor(
    private readonly reader: WalReader,
    private readonly sink: Sink,
    private readonly opts: LoaderOptions,
    private readonly log: Logger,
  ) {
    this.retryDelay = opts.retryMs;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Tells the loader there is something new to read (called on every durable write). */
  notify(): void {
    this.dirty = true;
    this.wake?.();
  }

  checkpoint(): WalPosition | undefined {
    return this.position;
  }

  status(): { state: LoaderState; checkpoint: WalPosition | null; last_error: string | null } & WalLoader['stats'] {
    return { state: this.state, checkpoint: this.position ?? null, last_error: this.lastError, ...this.stats };
  }

  /**
   * Loads everything available now; resolves when the WAL is fully loaded (used by replay,
   * stop and erasure). With `untilSeq`, stops as soon as every segment before that sequence
   * is loaded, even if newer lines keep arriving.
   */
  async drain(onChunk?: (bytes: number) => void, untilSeq = Number.POSITIVE_INFINITY): Promise<void> {
    await this.openExclusive();
    await this.reader.refresh();
    while ((this.position?.seq ?? 0) < untilSeq && (await this.step(onChunk))) {
      /* keep loading */
    }
  }

  /**
   * Runs `fn` while no chunk is being loaded: the loader finishes the chunk in progress and
   * waits for `fn` before the next one. For work on the same store (retention, erasure).
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(() => fn());
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Finishes the chunk in progress, loads what is durable, and stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    if (this.sinkOpen) await this.drain().catch((err) => this.log.warn({ err }, 'final load before stop failed; the WAL keeps the events'));
    this.state = 'stopped';
  }

  private sinkOpen = false;
  private opening: Promise<void> | undefined;
  private lastChunkBytes = 0;
  private lock: Promise<void> = Promise.resolve();

  /** Opens the sink and reads its checkpoint (once); answers the position loaded so far. */
  async open(): Promise<WalPosition> {
    if (!this.sinkOpen) {
      this.opening ??= (async () => {
        await this.sink.open();
        const checkpoint = await this.sink.checkpoint();
        const newest = (await this.reader.refresh()).at(-1)?.seq ?? 0;
        const [walId, loadedId] = [await this.reader.id(), await this.sink.walId()];
        const otherWal = walId !== undefined && loadedId !== undefined && walId !== loadedId;
        if (otherWal || (newest > 0 && checkpoint.seq > newest)) {
          // A new WAL (its folder was removed, or offline retention emptied it), or one that
          // starts over below the checkpoint: its segments are new, and skipping them as
          // loaded would lose them. Lines stored before (a restored WAL) are recognised by
          // their ids. The identity tells a new WAL even once its numbers passed the checkpoint.
          this.log.error(
            { checkpoint, newestSegment: newest, walId, loadedWalId: loadedId },
            otherWal
              ? 'the database was loaded from another WAL (was the WAL folder removed?); loading this WAL from its start'
              : 'the database has loaded further than the WAL reaches (was the WAL folder removed?); loading the WAL from its start',
          );
          this.position = { seq: 0, offset: 0 };
          if (walId !== undefined) await this.sink.adoptWal(walId, this.position);
        } else {
          this.position = checkpoint;
          if (walId !== undefined && loadedId === undefined) await this.sink.adoptWal(walId, checkpoint);
        }
        this.sinkOpen = true;
      })().finally(() => {
        this.opening = undefined;
      });
      await this.opening;
    }
    return this.position ?? { seq: 0, offset: 0 };
  }

  /**
   * open(), taking turns with maintenance: the sink's connection (and a reopening of the
   * database after a failure) must never come between a compaction's copy and its swap.
   */
  private openExclusive(): Promise<WalPosition> {
    return this.sinkOpen ? this.open() : this.exclusive(() => this.open());
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.openExclusive();
        if (this.dirty) {
          this.dirty = false;
          await this.reader.refresh();
        }
        this.state = 'running';
        const more = await this.step();
        this.retryDelay = this.opts.retryMs;
        this.lastError = null;
        if (more && this.lastChunkBytes < this.opts.maxChunkBytes / 2) {
          // Caught up: let lines gather for a moment, so the database commits a few large
          // chunks a second instead of one per fsync (each commit has a fixed cost).
          await new Promise((r) => setTimeout(r, this.opts.gatherMs));
        }
        if (!more) {
          this.state = 'idle';
          if (!this.dirty) await this.sleep(1_000);
          this.dirty = true;
        }
      } catch (err) {
        this.stats.failures++;
        // Reopen (and re-read the checkpoint) once the sink is back, e.g. after a file swap.
        if (err instanceof SinkUnavailableError) this.sinkOpen = false;
        this.state = 'retrying';
        this.lastError = (err as Error).message;
        this.log.warn({ err, retryInMs: this.retryDelay }, 'loading into the database failed; events stay in the WAL, retrying');
        await this.sleep(this.retryDelay);
        this.retryDelay = Math.min(this.retryDelay * 2, this.opts.maxRetryMs);
        this.dirty = true;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  /** Loads one chunk; answers whether there may be more right away. */
  private step(onChunk?: (bytes: number) => void): Promise<boolean> {
    return this.exclusive(() => this.stepNow(onChunk)).catch((err: unknown) => {
      // Whoever called (the run loop, a drain before an erasure or at stop), the next step
      // opens the sink again first: after the database's own failure it holds no connection.
      if (err instanceof SinkUnavailableError) this.sinkOpen = false;
      throw err;
    });
  }

  private async stepNow(onChunk?: (bytes: number) => void): Promise<boolean> {
    const from = this.position ?? { seq: 0, offset: 0 };
    const chunk = await this.reader.next(from, this.opts.maxChunkBytes);
    if (!chunk) return false;
    await this.loadChunk(chunk.bytes, chunk.from, chunk.to);
    this.lastChunkBytes = chunk.bytes.length;
    this.position = chunk.to;
    this.stats.chunks++;
    onChunk?.(chunk.bytes.length);
    return true;
  }

  private async loadChunk(bytes: Buffer, from: number, to: WalPosition): Promise<void> {
    try {
      const { inserted } = await this.sink.load(bytes, to);
      this.stats.rows += inserted;
      return;
    } catch (err) {
      // The store's own trouble (an outage, a full disk, a misread): the chunk waits, whole.
      if (err instanceof SinkUnavailableError) throw err;
      if (!(await this.sink.ping())) throw new SinkUnavailableError('the database stopped answering', { cause: err });
      if (bytes.indexOf(10) === bytes.length - 1) {
        // One line left: try it once more (the failure may have been passing), then set it aside.
        const again = await this.sink.load(bytes, to).then(
          (r) => r,
          (e: Error) => e,
        );
        if (!(again instanceof Error)) {
          this.stats.rows += again.inserted;
          return;
        }
        if (again instanceof SinkUnavailableError) throw again;
        await this.quarantine(bytes, to, again);
        await this.sink.advance(to);
        return;
      }
    }
    // The sink is up but refuses this chunk: isolate the bad lines by halves.
    const mid = bytes.lastIndexOf(10, Math.floor(bytes.length / 2) - 1);
    const cut = mid === -1 ? bytes.indexOf(10) : mid;
    const left = bytes.subarray(0, cut + 1);
    await this.loadChunk(left, from, { seq: to.seq, offset: from + left.length });
    await this.loadChunk(bytes.subarray(cut + 1), from + left.length, to);
  }

  private async quarantine(line: Buffer, at: WalPosition, err: Error): Promise<void> {
    this.stats.quarantined++;
    const entry = { wal_seq: at.seq, wal_end_offset: at.offset, reason: err.message, line: line.toString('utf8').trimEnd() };
    // Already there: copied before a crash (the checkpoint not yet past it), or by an earlier
    // load of the same WAL (a replay meets every refused line again).
    const { has, torn } = await quarantineHolds(this.opts.quarantineFile, entry);
    if (has) {
      this.log.warn({ seq: at.seq, offset: at.offset }, 'a WAL line was already in the quarantine file; it is not copied twice');
      return;
    }
    // After a torn append, the new entry starts on a line of its own.
    await appendDurably(this.opts.quarantineFile, `${torn ? '\n' : ''}${JSON.stringify(entry)}\n`);
    this.log.error(
      { seq: at.seq, offset: at.offset, reason: err.message },
      'a WAL line could not be loaded; it was copied to the quarantine file',
    );
  }
}

/**
 * Whether the quarantine file holds an entry for this line (same WAL position, same text), and
 * whether it ends in the middle of a line (a crash during an append). Read whole: lines are
 * set aside rarely, and the file is small.
 */
async function quarantineHolds(
  file: string,
  entry: { wal_seq: number; wal_end_offset: number; line: string },
): Promise<{ has: boolean; torn: boolean }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { has: false, torn: false };
    throw err;
  }
  const torn = text !== '' && !text.endsWith('\n');
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    try {
      const e = JSON.parse(raw) as { wal_seq?: unknown; wal_end_offset?: unknown; line?: unknown };
      if (e.wal_seq === entry.wal_seq && e.wal_end_offset === entry.wal_end_offset && e.line === entry.line) return { has: true, torn };
    } catch {
      // A fragment a crash left: not an entry.
    }
  }
  return { has: false, torn };
}
