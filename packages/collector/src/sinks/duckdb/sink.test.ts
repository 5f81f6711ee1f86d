import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sinkContract } from '../../../test/support/sink-contract.js';
import { DuckDbDatabase } from './database.js';
import { DuckDbEventStore } from './event-store.js';
import { DuckDbSink } from './sink.js';

sinkContract('DuckDbSink', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fp-duck-'));
  const db = new DuckDbDatabase({ path: join(dir, 'footprint.duckdb'), memoryLimit: '256MB', threads: 1 });
  const sink = new DuckDbSink(db, join(dir, 'tmp'));
  const store = new DuckDbEventStore(db);
  return {
    sink,
    async countIds(ids) {
      const conn = await db.connect();
      try {
        const r = await conn.runAndReadAll(
          `SELECT count(*)::INTEGER FROM events WHERE id IN (${ids.map((_, i) => `$${i + 1}`).join(',')})`,
          ids,
        );
        return Number(r.getRows()[0]?.[0]);
      } finally {
        conn.closeSync();
      }
    },
    async row(id) {
      const page = await store.listEvents({ limit: 10_000 });
      return page.events.find((e) => e.id === id);
    },
    async dispose() {
      await sink.close();
      db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
