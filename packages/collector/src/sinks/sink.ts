/**
 * The sink seam: where loaded events end up. A sink stores rows and the loader's checkpoint
 * in one atomic step, so a crash between the two cannot double-load or skip a chunk, and it
 * ignores rows whose (project_id, id) it already holds, so resending or replaying is harmless.
 *
 * Implementations: DuckDbSink (embedded, default). The contract test in
 * test/sink-contract.ts is run by every implementation.
 */
import type { WalPosition } from '../wal/segments.js';

export interface LoadResult {
  /** Rows newly stored (duplicates by id are not counted). */
  inserted: number;
}

export interface Sink {
  /** Prepares the store (schema, connection). Throws SinkUnavailableError while it cannot. */
  open(): Promise<void>;
  /** The position up to which the WAL is loaded; {seq: 0, offset: 0} for an empty store. */
  checkpoint(): Promise<WalPosition>;
  /**
   * Stores the rows of `ndjson` (complete WAL lines) and moves the checkpoint to `to`,
   * atomically. Throws SinkUnavailableError when the store cannot take the chunk for a reason
   * of its own (the chunk is tried again later, whole), any other error when lines of the
   * chunk are refused (the loader then isolates them and sets them aside).
   */
  load(ndjson: Buffer, to: WalPosition): Promise<LoadResult>;
  /** Moves the checkpoint without loading (past lines set aside as unloadable). */
  advance(to: WalPosition): Promise<void>;
  /** The identity of the WAL the checkpoint points into; undefined until one is recorded. */
  walId(): Promise<string | undefined>;
  /** Records the WAL the checkpoint points into, and the checkpoint, atomically. */
  adoptWal(id: string, at: WalPosition): Promise<void>;
  /** Answers whether the store is reachable at all (tells bad data from an outage). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export class SinkUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SinkUnavailableError';
  }
}

/** A line of a chunk that the store refuses for what it holds. */
export class UnloadableLineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnloadableLineError';
  }
}
