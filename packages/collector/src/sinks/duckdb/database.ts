/**
 * DuckDbDatabase: the one DuckDB instance of the process (DuckDB allows one writer process
 * per file). It opens lazily and can be retried: if another process holds the file's lock,
 * ingestion goes on into the WAL and the loader retries until the file is free.
 */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { SinkUnavailableError } from '../sink.js';
import { createEventsTableSql } from './schema.js';

export interface DuckDbOptions {
  path: string;
  /** DuckDB memory_limit, e.g. "512MB". */
  memoryLimit: string;
  threads: number;
}

export class DuckDbDatabase {
  private instance: DuckDBInstance | undefined;
  private opening: Promise<DuckDBInstance> | undefined;

  constructor(readonly opts: DuckDbOptions) {}

  isOpen(): boolean {
    return this.instance !== undefined;
  }

  /** Opens the file (creating the schema) or throws SinkUnavailableError. */
  async open(): Promise<DuckDBInstance> {
    if (this.instance) return this.instance;
    this.opening ??= this.create().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async create(): Promise<DuckDBInstance> {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(this.opts.path, {
        memory_limit: this.opts.memoryLimit,
        threads: String(this.opts.threads),
        // Everything needed (json) is built in; never reach out to download extensions.
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'false',
      });
    } catch (err) {
      throw new SinkUnavailableError(`cannot open DuckDB file ${this.opts.path}: ${(err as Error).message}`, { cause: err });
    }
    const conn = await instance.connect();
    try {
      await conn.run(createEventsTableSql());
    } finally {
      conn.closeSync();
    }
    this.instance = instance;
    return instance;
  }

  async connect(): Promise<DuckDBConnection> {
    return (await this.open()).connect();
  }

  close(): void {
    this.instance?.closeSync();
    this.instance = undefined;
  }
}
