import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { lines, sinkContract, storedRow } from '../../../test/support/sink-contract.js';
import { SinkUnavailableError } from '../sink.js';
import { DuckDbDatabase } from './database.js';
import { DuckDbEventStore } from './event-store.js';
import { createEventsTableSql, hasIdHashSql, hasPrimaryKeySql } from './schema.js';
import { DEFAULT_DEDUP_WINDOW_MS, DuckDbSink } from './sink.js';

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

/** A fresh sink on a file of its own (in `dir`), open; everything is removed after `fn`. */
async function withSink(
  windowMs: number,
  fn: (sink: DuckDbSink, count: (id: string) => Promise<number>, db: DuckDbDatabase, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fp-duck-sink-'));
  const db = new DuckDbDatabase({ path: join(dir, 'footprint.duckdb'), memoryLimit: '256MB', threads: 1 });
  const sink = new DuckDbSink(db, join(dir, 'tmp'), windowMs);
  await sink.open();
  const count = (id: string) =>
    db.use(async (conn) =>
      Number((await conn.runAndReadAll('SELECT count(*)::INTEGER FROM events WHERE id = $1', [id])).getRows()[0]?.[0]),
    );
  try {
    await fn(sink, count, db, dir);
  } finally {
    await sink.close();
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('DuckDbSink deduplication window', () => {
  it('stores a resent id once when its first copy was received within the window, again when before it', async () => {
    await withSink(60_000, async (sink, count) => {
      await sink.load(lines(storedRow('r1', { received_at: '2026-03-01T10:00:00.000Z' })), { seq: 1, offset: 1 });
      // 59 s later: inside the 60 s window.
      const inside = await sink.load(lines(storedRow('r1', { received_at: '2026-03-01T10:00:59.000Z' })), { seq: 1, offset: 2 });
      assert.equal(inside.inserted, 0);
      assert.equal(await count('r1'), 1);
      // 61 s after the first copy: outside the window, so it is a new row (the documented limit).
      const outside = await sink.load(lines(storedRow('r1', { received_at: '2026-03-01T10:01:01.000Z' })), { seq: 1, offset: 3 });
      assert.equal(outside.inserted, 1);
      assert.equal(await count('r1'), 2);
    });
  });

  it('recognises a replayed line whatever its age: its received_at is its own', async () => {
    await withSink(60_000, async (sink, count) => {
      const old = storedRow('r2', { received_at: '2025-01-01T00:00:00.000Z' });
      await sink.load(lines(old), { seq: 1, offset: 1 });
      await sink.load(lines(storedRow('n1', { received_at: '2026-03-01T10:00:00.000Z' })), { seq: 1, offset: 2 });
      const again = await sink.load(lines(old, storedRow('n2', { received_at: '2026-03-01T10:00:01.000Z' })), { seq: 1, offset: 3 });
      assert.equal(again.inserted, 1);
      assert.equal(await count('r2'), 1);
      assert.equal(await count('n2'), 1);
    });
  });

  it('keeps the first copy in the file when copies of an id share a chunk and a received_at', async () => {
    await withSink(60_000, async (sink, count, db) => {
      const at = '2026-03-01T10:00:00.000Z';
      const rows = ['first', 'second', 'third'].map((event) => storedRow('same-time', { received_at: at, event }));
      const r = await sink.load(lines(...rows), { seq: 1, offset: 1 });
      assert.equal(r.inserted, 1);
      assert.equal(await count('same-time'), 1);
      const store = new DuckDbEventStore(db);
      const page = await store.listEvents({ limit: 10 });
      assert.equal(page.events.find((e) => e.id === 'same-time')?.event, 'first');
    });
  });

  it('applies the window to each row, whatever else shares its chunk', async () => {
    await withSink(60_000, async (sink, count) => {
      await sink.load(lines(storedRow('w1', { received_at: '2026-03-01T10:00:00.000Z' })), { seq: 1, offset: 1 });
      // One chunk: an early row pulls the chunk's start back, but w1's resend is 2 minutes after its first copy.
      const r = await sink.load(
        lines(
          storedRow('early', { received_at: '2026-03-01T10:00:30.000Z' }),
          storedRow('w1', { received_at: '2026-03-01T10:02:00.000Z' }),
        ),
        { seq: 1, offset: 2 },
      );
      assert.equal(r.inserted, 2);
      assert.equal(await count('w1'), 2);
    });
  });

  it('stores the same copies of an id however the WAL is cut into chunks', async () => {
    const at = (hhmm: string) => `2026-03-01T${hhmm}:00.000Z`;
    // k1: copies 30 min apart, then 2 h later, then 20 min after that, then 1.5 h later.
    // k2: a copy stored by an earlier chunk at 09:45; its resend at 10:00 is a duplicate, at 11:00 it is not.
    const chunk = [
      storedRow('k1', { received_at: at('10:00'), event: 'a' }),
      storedRow('k2', { received_at: at('10:00'), event: 'b' }),
      storedRow('k1', { received_at: at('10:30'), event: 'c' }),
      storedRow('k2', { received_at: at('11:00'), event: 'd' }),
      storedRow('k1', { received_at: at('12:00'), event: 'e' }),
      storedRow('k1', { received_at: at('12:20'), event: 'f' }),
      storedRow('k1', { received_at: at('12:20'), event: 'g' }),
      storedRow('k1', { received_at: at('13:30'), event: 'h' }),
    ];
    const cuts = [[8], [1, 1, 1, 1, 1, 1, 1, 1], [3, 5], [2, 4, 2], [5, 3]];
    for (const [windowMs, expected] of [
      [3_600_000, ['a', 'd', 'e', 'h']],
      // No window: only copies received at the same moment are one event.
      [0, ['a', 'b', 'c', 'd', 'e', 'f', 'h']],
    ] as const) {
      for (const cut of cuts) {
        await withSink(windowMs, async (sink, _count, db) => {
          await sink.load(lines(storedRow('k2', { received_at: at('09:45'), event: 'stored' })), { seq: 1, offset: 1 });
          let from = 0;
          for (const [i, n] of cut.entries()) {
            await sink.load(lines(...chunk.slice(from, from + n)), { seq: 2, offset: i + 1 });
            from += n;
          }
          const kept = await db.use(async (conn) =>
            (await conn.runAndReadAll("SELECT event FROM events WHERE event <> 'stored' ORDER BY event")).getRows().map((r) => r[0]),
          );
          assert.deepEqual(kept, expected, `window ${windowMs} ms, chunks of ${cut.join('+')} lines`);
        });
      }
    }
  });

  it('walks thousands of copies of one id in a chunk: a copy is kept once the window after the last kept one has passed', async () => {
    await withSink(24 * 3_600_000, async (sink, count) => {
      const base = Date.parse('2026-03-01T00:00:00.000Z');
      // 3,000 copies an hour apart: kept at hour 0, 25, 50, ... (each the first more than 24 h after the last kept).
      const rows = Array.from({ length: 3000 }, (_, h) =>
        storedRow('resent', { received_at: new Date(base + h * 3_600_000).toISOString() }),
      );
      const r = await sink.load(lines(...rows), { seq: 1, offset: 1 });
      assert.equal(r.inserted, 120);
      assert.equal(await count('resent'), 120);
    });
  });

  it('refuses a line without received_at (so the loader sets it aside) and stores nothing of its chunk', async () => {
    await withSink(60_000, async (sink, count) => {
      const bare = { ...storedRow('no-time') } as Record<string, unknown>;
      delete bare.received_at;
      await assert.rejects(sink.load(Buffer.from(`${JSON.stringify(bare)}\n`), { seq: 1, offset: 1 }));
      assert.equal(await count('no-time'), 0);
      assert.deepEqual(await sink.checkpoint(), { seq: 0, offset: 0 });
      // Also when it is a later copy of an id the chunk holds with a time: refused, not dropped as a duplicate.
      const timed = storedRow('no-time', { received_at: '2026-03-01T10:00:00.000Z' });
      await assert.rejects(sink.load(Buffer.from(`${JSON.stringify(timed)}\n${JSON.stringify(bare)}\n`), { seq: 1, offset: 2 }));
      assert.equal(await count('no-time'), 0);
      assert.deepEqual(await sink.checkpoint(), { seq: 0, offset: 0 });
    });
  });

  it('keeps ids of different projects apart', async () => {
    await withSink(60_000, async (sink, count) => {
      const r = await sink.load(lines(storedRow('same'), storedRow('same', { project_id: 'shop' })), { seq: 1, offset: 1 });
      assert.equal(r.inserted, 2);
      assert.equal(await count('same'), 2);
    });
  });
});

/**
 * A database file as an earlier version left it: `ddl` for events, `ids` stored with one
 * received_at. Then `fn` gets the file opened by this version (the migration runs on open).
 */
async function withLegacyFile(
  ddl: string,
  ids: string[],
  check: (legacy: DuckDBConnection) => Promise<void>,
  fn: (sink: DuckDbSink, db: DuckDbDatabase) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fp-duck-legacy-'));
  const path = join(dir, 'footprint.duckdb');
  try {
    const legacy = await DuckDBInstance.create(path);
    const conn = await legacy.connect();
    await conn.run(ddl);
    for (const id of ids) {
      await conn.run(
        `INSERT INTO events (project_id, id, type, timestamp, received_at, is_bot) VALUES ('default', $1, 'track', now()::TIMESTAMP, TIMESTAMP '2026-03-01 10:00:00', false)`,
        [id],
      );
    }
    await check(conn);
    conn.closeSync();
    legacy.closeSync();

    const db = new DuckDbDatabase({ path, memoryLimit: '256MB', threads: 1 });
    const sink = new DuckDbSink(db, join(dir, 'tmp'));
    await sink.open();
    try {
      await fn(sink, db);
    } finally {
      await sink.close();
      db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const countOf = async (conn: DuckDBConnection, sql: string): Promise<number> => Number((await conn.runAndReadAll(sql)).getRows()[0]?.[0]);
/** The events table without the id_hash column, as files made before it have it. */
const withoutIdHash = (tail: string): string => createEventsTableSql().replace(/,\n {2}"id_hash" UBIGINT\n\);/, tail);

describe('DuckDbDatabase opening a file made without id_hash', () => {
  it('adds and fills id_hash, so a resend of a row stored before is still recognised', async () => {
    await withLegacyFile(
      withoutIdHash('\n);'),
      ['old'],
      async (legacy) => assert.equal(await countOf(legacy, hasIdHashSql), 0, 'the legacy table has no id_hash'),
      async (sink, db) => {
        const r = await sink.load(lines(storedRow('old', { received_at: '2026-03-01T10:00:05.000Z' })), { seq: 1, offset: 1 });
        assert.equal(r.inserted, 0, 'the resend matches the old row through its filled id_hash');
        assert.equal(await db.use((c) => countOf(c, 'SELECT count(*) FROM events WHERE id_hash IS NULL')), 0);
      },
    );
  });
});

describe('DuckDbDatabase opening a file made with a primary key on events', () => {
  it('drops the key, keeps every row and its order, and loads on with deduplication', async () => {
    await withLegacyFile(
      withoutIdHash(',\n  PRIMARY KEY ("project_id", "id")\n);'),
      ['k1', 'k2', 'k3'],
      async (legacy) => assert.equal(await countOf(legacy, hasPrimaryKeySql), 1, 'the legacy table has its key'),
      async (sink, db) => {
        const r = await sink.load(lines(storedRow('k2', { received_at: '2026-03-01T10:00:05.000Z' }), storedRow('k4')), {
          seq: 1,
          offset: 1,
        });
        assert.equal(r.inserted, 1, 'k2 is a duplicate, k4 is new');
        const rows = await db.use(async (c) => ({
          ids: (await c.runAndReadAll('SELECT id FROM events')).getRows().map((x) => x[0]),
          keys: await countOf(c, hasPrimaryKeySql),
          notNull: (await c.runAndReadAll(`SELECT "notnull" FROM pragma_table_info('events') WHERE name = 'project_id'`)).getRows()[0]?.[0],
        }));
        assert.deepEqual(rows.ids, ['k1', 'k2', 'k3', 'k4']);
        assert.equal(rows.keys, 0);
        assert.equal(rows.notNull, true, 'NOT NULL columns stay NOT NULL');
      },
    );
  });
});

describe('DuckDbSink scratch folder', () => {
  it('removes the chunk and page files that killed processes left, and nothing else', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fp-duck-scratch-'));
    const scratch = join(dir, 'tmp');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    await mkdir(scratch);
    const left = [`chunk-${dead}-3.jsonl`, `page-${dead}-1.json`, `copies-${dead}-4-rows.json`];
    const kept = [`chunk-${process.pid}-99.jsonl`, 'notes.txt'];
    for (const f of [...left, ...kept]) await writeFile(join(scratch, f), '{"email":"someone@example.com"}\n');
    const db = new DuckDbDatabase({ path: join(dir, 'footprint.duckdb'), memoryLimit: '256MB', threads: 1 });
    const sink = new DuckDbSink(db, scratch);
    try {
      await sink.open();
      assert.deepEqual((await readdir(scratch)).sort(), [...kept].sort());
    } finally {
      await sink.close();
      db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('DuckDbDatabase log and checkpoints', () => {
  it('keeps up to 64 MiB in its own log, and loses none of it when the process is killed before a checkpoint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fp-duck-kill-'));
    const path = join(dir, 'footprint.duckdb');
    // A child loads two chunks and waits to be killed: nothing has checkpointed them yet.
    const child = `
      import { DuckDbDatabase } from ${JSON.stringify(new URL('./database.ts', import.meta.url).pathname)};
      import { DuckDbSink } from ${JSON.stringify(new URL('./sink.ts', import.meta.url).pathname)};
      import { lines, storedRow } from ${JSON.stringify(new URL('../../../test/support/sink-contract.ts', import.meta.url).pathname)};
      const db = new DuckDbDatabase({ path: ${JSON.stringify(path)}, memoryLimit: '256MB', threads: 1 });
      const sink = new DuckDbSink(db, ${JSON.stringify(join(dir, 'tmp'))});
      await sink.open();
      const rows = (from) => Array.from({ length: 500 }, (_, i) => storedRow('k' + (from + i)));
      await sink.load(lines(...rows(0)), { seq: 1, offset: 100 });
      await sink.load(lines(...rows(500)), { seq: 1, offset: 200 });
      const setting = await db.use(async (c) => (await c.runAndReadAll("SELECT current_setting('checkpoint_threshold')")).getRows()[0][0]);
      process.stdout.write('loaded ' + setting + '\\n');
      setInterval(() => {}, 1000);
    `;
    const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const said = await new Promise<string>((resolve, reject) => {
        let out = '';
        proc.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.trim());
        });
        proc.on('exit', (code) => reject(new Error(`the loading process exited (${code}) before loading: ${out}`)));
      });
      assert.equal(said, 'loaded 64.0 MiB');
      // Its log holds the rows: they are not in the file yet.
      assert.ok((await stat(`${path}.wal`)).size > 0, 'the rows are in DuckDB’s log, not checkpointed');
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGKILL');
      await exited;
      const db = new DuckDbDatabase({ path, memoryLimit: '256MB', threads: 1 });
      const sink = new DuckDbSink(db, join(dir, 'tmp'));
      try {
        await sink.open();
        assert.deepEqual(await sink.checkpoint(), { seq: 1, offset: 200 });
        const count = await db.use(async (c) =>
          Number((await c.runAndReadAll('SELECT count(DISTINCT id)::INTEGER FROM events')).getRows()[0]?.[0]),
        );
        assert.equal(count, 1000);
      } finally {
        await sink.close();
        db.close();
      }
    } finally {
      proc.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('DuckDbSink on a disk that filled up', () => {
  it('opens the file afresh once DuckDB could not write its log, and loads on when space is back', async () => {
    await withSink(DEFAULT_DEDUP_WINDOW_MS, async (sink, _count, db, dir) => {
      const path = join(dir, 'footprint.duckdb');
      await sink.load(lines(storedRow('before')), { seq: 1, offset: 10 });
      await db.use((c) => c.run('CHECKPOINT'));
      // DuckDB's log is gone after the checkpoint; its next one is a device that is always full.
      await symlink('/dev/full', `${path}.wal`);
      await assert.rejects(sink.load(lines(storedRow('during')), { seq: 1, offset: 20 }), (err: Error) => {
        assert.ok(err instanceof SinkUnavailableError, String(err));
        assert.match(err.message, /No space left on device/);
        return true;
      });
      await rm(`${path}.wal`);
      // What the loader does after a failure: open the sink again and retry the chunk.
      await sink.open();
      assert.deepEqual(await sink.checkpoint(), { seq: 1, offset: 10 });
      await sink.load(lines(storedRow('during')), { seq: 1, offset: 20 });
      const ids = await db.use(async (c) => (await c.runAndReadAll('SELECT id FROM events ORDER BY id')).getRows().map((r) => r[0]));
      assert.deepEqual(ids, ['before', 'during']);
      assert.deepEqual(await sink.checkpoint(), { seq: 1, offset: 20 });
    });
  });

  it('reopens at once after the first failure, then with pauses that double while failures go on', async () => {
    await withSink(DEFAULT_DEDUP_WINDOW_MS, async (sink, _count, db, dir) => {
      const path = join(dir, 'footprint.duckdb');
      const failedLoad = (id: string) => assert.rejects(sink.load(lines(storedRow(id)), { seq: 1, offset: 20 }), /No space left on device/);
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      await db.use((c) => c.run('CHECKPOINT'));
      await symlink('/dev/full', `${path}.wal`);
      assert.equal(db.opens, 1);
      await failedLoad('p1');
      await sink.open();
      assert.equal(db.opens, 2, 'the first failure reopens at once');
      await failedLoad('p2');
      await sink.open();
      assert.equal(db.opens, 2, 'within the first pause (1 s) the file is not opened again');
      await sleep(1_100);
      await failedLoad('p3');
      await sink.open();
      assert.equal(db.opens, 3, 'after the pause it is');
      await failedLoad('p4');
      await sink.open();
      assert.equal(db.opens, 3, 'the next pause is 2 s');
      await sleep(2_100);
      await failedLoad('p5');
      await sink.open();
      assert.equal(db.opens, 4);
      // Space is back: the next opening, with no log on /dev/full, loads.
      await rm(`${path}.wal`);
      await sink.close();
      await db.reopen();
      await sink.open();
      await sink.load(lines(storedRow('p6')), { seq: 1, offset: 20 });
      assert.deepEqual(await sink.checkpoint(), { seq: 1, offset: 20 });
    });
  });

  it('leaves no part of a chunk behind when its scratch file cannot be written', async () => {
    await withSink(DEFAULT_DEDUP_WINDOW_MS, async (sink, _count, _db, dir) => {
      const scratch = join(dir, 'tmp');
      // The first chunk's scratch file is a device that is always full.
      await symlink('/dev/full', join(scratch, `chunk-${process.pid}-0.jsonl`));
      await assert.rejects(sink.load(lines(storedRow('s1')), { seq: 1, offset: 10 }), (err: Error) => {
        assert.ok(err instanceof SinkUnavailableError, String(err));
        assert.match(err.message, /could not be staged.*ENOSPC/);
        return true;
      });
      assert.deepEqual(await readdir(scratch), []);
      await sink.load(lines(storedRow('s1')), { seq: 1, offset: 10 });
      assert.deepEqual(await sink.checkpoint(), { seq: 1, offset: 10 });
    });
  });
});
