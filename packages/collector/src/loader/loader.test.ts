import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { lines, storedRow } from '../../test/support/sink-contract.js';
import { DuckDbDatabase } from '../sinks/duckdb/database.js';
import { DuckDbSink } from '../sinks/duckdb/sink.js';
import { type LoadResult, type Sink, SinkUnavailableError } from '../sinks/sink.js';
import { WalReader } from '../wal/reader.js';
import type { WalPosition } from '../wal/segments.js';
import { listSegments } from '../wal/segments.js';
import { WalSegmentWriter } from '../wal/writer.js';
import { LOADER_DEFAULTS, WalLoader } from './loader.js';

const silent = pino({ level: 'silent' });
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'fp-loader-'));
  dirs.push(dir);
  const wal = await WalSegmentWriter.open({ dir: join(dir, 'wal'), maxSegmentBytes: 8192, maxSegmentAgeMs: 3_600_000 });
  const db = new DuckDbDatabase({ path: join(dir, 'footprint.duckdb'), memoryLimit: '256MB', threads: 1 });
  const sink = new DuckDbSink(db, join(dir, 'tmp'));
  const reader = new WalReader(join(dir, 'wal'), (seq) => (seq === wal.currentSeq() ? wal.durable().offset : undefined));
  const opts = { ...LOADER_DEFAULTS, retryMs: 20, maxRetryMs: 100, quarantineFile: join(dir, 'quarantine.jsonl') };
  async function ids(): Promise<string[]> {
    const conn = await db.connect();
    try {
      const r = await conn.runAndReadAll('SELECT id FROM events ORDER BY id');
      return r.getRows().map((x) => String(x[0]));
    } finally {
      conn.closeSync();
    }
  }
  /** Closes the WAL writer, the sink and the database. */
  async function close(): Promise<void> {
    await wal.close();
    await sink.close();
    db.close();
  }
  return { dir, wal, db, sink, reader, opts, ids, close };
}

/** Passes every call to the real sink; the wrappers below change what they need. */
class ForwardingSink implements Sink {
  constructor(protected readonly inner: Sink) {}
  open(): Promise<void> {
    return this.inner.open();
  }
  checkpoint(): Promise<WalPosition> {
    return this.inner.checkpoint();
  }
  load(ndjson: Buffer, to: WalPosition): Promise<LoadResult> {
    return this.inner.load(ndjson, to);
  }
  advance(to: WalPosition): Promise<void> {
    return this.inner.advance(to);
  }
  walId(): Promise<string | undefined> {
    return this.inner.walId();
  }
  adoptWal(id: string, at: WalPosition): Promise<void> {
    return this.inner.adoptWal(id, at);
  }
  ping(): Promise<boolean> {
    return this.inner.ping();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Wraps the real sink and makes it unreachable while `down` is true, as an outage would. */
class OutageSink extends ForwardingSink {
  down = true;
  attempts = 0;
  private check(): void {
    this.attempts++;
    if (this.down) throw new SinkUnavailableError('database unreachable (test outage)');
  }
  override async open(): Promise<void> {
    this.check();
    await this.inner.open();
  }
  override async checkpoint(): Promise<WalPosition> {
    this.check();
    return this.inner.checkpoint();
  }
  override async load(ndjson: Buffer, to: WalPosition): Promise<LoadResult> {
    this.check();
    return this.inner.load(ndjson, to);
  }
  override async advance(to: WalPosition): Promise<void> {
    this.check();
    return this.inner.advance(to);
  }
  override async ping(): Promise<boolean> {
    return !this.down && this.inner.ping();
  }
}

/** Wraps the real sink; while `failing`, every load fails as a misread does: the database still answers pings. */
class MisreadSink extends ForwardingSink {
  failing = true;
  failed = 0;
  override async load(ndjson: Buffer, to: WalPosition): Promise<LoadResult> {
    if (this.failing) {
      this.failed++;
      throw new SinkUnavailableError('the dedup pass of a chunk could not be read consistently');
    }
    return this.inner.load(ndjson, to);
  }
}

const ids = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `id${String(from + i).padStart(5, '0')}`);
const walLines = (list: string[]): string => lines(...list.map((id) => storedRow(id))).toString();

describe('WalLoader', () => {
  it('loads every durable line across segments and resumes from its checkpoint without duplicates', async () => {
    const t = await setup();
    for (let i = 0; i < 20; i++) await t.wal.append(walLines(ids(i * 10, 10)));
    assert.ok((await listSegments(join(t.dir, 'wal'))).length > 1);
    const first = new WalLoader(t.reader, t.sink, t.opts, silent);
    await first.drain();
    assert.equal((await t.ids()).length, 200);

    await t.wal.append(walLines(ids(200, 5)));
    const second = new WalLoader(t.reader, t.sink, t.opts, silent);
    await second.drain();
    assert.deepEqual(await t.ids(), ids(0, 205));
    assert.equal(second.status().rows, 5, 'the second loader must start at the checkpoint, not at the beginning');
    await t.close();
  });

  it('keeps retrying through a database outage and loads the backlog once it is back', async () => {
    const t = await setup();
    const flaky = new OutageSink(t.sink);
    const loader = new WalLoader(t.reader, flaky, t.opts, silent);
    loader.start();
    for (let i = 0; i < 10; i++) {
      await t.wal.append(walLines(ids(i * 10, 10)));
      loader.notify();
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(loader.status().state, 'retrying');
    assert.ok(flaky.attempts > 1, 'the loader must retry');
    assert.equal(t.db.isOpen(), false);
    flaky.down = false;
    const deadline = Date.now() + 10_000;
    while ((await t.ids().catch(() => [])).length < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await t.ids(), ids(0, 100));
    await loader.stop();
    assert.equal(loader.status().state, 'stopped');
    await t.close();
  });

  it('sets aside only the lines the database refuses and loads all the others', async () => {
    const t = await setup();
    const good = ids(0, 30);
    const poison = JSON.stringify({ ...storedRow('poison'), timestamp: 'not-a-time' });
    await t.wal.append(walLines(good.slice(0, 17)) + `${poison}\n` + walLines(good.slice(17)));
    const loader = new WalLoader(t.reader, t.sink, t.opts, silent);
    await loader.drain();
    assert.deepEqual(await t.ids(), good);
    assert.equal(loader.status().quarantined, 1);
    const quarantined = (await readFile(t.opts.quarantineFile, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(quarantined.length, 1);
    assert.equal(JSON.parse(quarantined[0].line).id, 'poison');
    assert.ok(quarantined[0].reason.length > 0);
    assert.deepEqual(await t.sink.checkpoint(), t.wal.durable());
    await t.close();
  });

  it('copies a line to the quarantine file once, even when it is loaded again (after a crash, in a replay)', async () => {
    const t = await setup();
    const good = ids(0, 10);
    const poison = (id: string) => JSON.stringify({ ...storedRow(id), timestamp: 'not-a-time' });
    await t.wal.append(`${walLines(good.slice(0, 4))}${poison('poison-1')}\n${walLines(good.slice(4))}${poison('poison-2')}\n`);
    await new WalLoader(t.reader, t.sink, t.opts, silent).drain();
    const once = await readFile(t.opts.quarantineFile, 'utf8');
    assert.equal(once.trim().split('\n').length, 2);
    // What a kill between the copy and the checkpoint's move leaves, or a replay: the copies,
    // and a checkpoint before the lines. Loading again meets both lines again.
    await t.sink.advance({ seq: 0, offset: 0 });
    const again = new WalLoader(t.reader, t.sink, t.opts, silent);
    await again.drain();
    assert.equal(again.status().quarantined, 2, 'the lines are refused again');
    assert.equal(await readFile(t.opts.quarantineFile, 'utf8'), once, 'but not copied twice');
    assert.deepEqual(await t.ids(), good);
    assert.deepEqual(await t.sink.checkpoint(), t.wal.durable());
    await t.close();
  });

  it('starts a new quarantine entry on its own line after an append a crash cut short', async () => {
    const t = await setup();
    await appendFile(t.opts.quarantineFile, '{"wal_seq":1,"wal_end_offset":10,"reason":"x","li');
    const poison = JSON.stringify({ ...storedRow('poison'), timestamp: 'not-a-time' });
    await t.wal.append(`${poison}\n${walLines(ids(0, 2))}`);
    await new WalLoader(t.reader, t.sink, t.opts, silent).drain();
    const lines = (await readFile(t.opts.quarantineFile, 'utf8')).split('\n');
    assert.equal(lines.length, 3, 'the torn fragment, the entry, and the final newline');
    assert.equal(lines[0], '{"wal_seq":1,"wal_end_offset":10,"reason":"x","li');
    assert.equal(JSON.parse(JSON.parse(lines[1] as string).line).id, 'poison');
    assert.equal(lines[2], '');
    await t.close();
  });

  it('sets nothing aside when the database fails while still answering: the chunk waits, whole', async () => {
    const t = await setup();
    // A misread count (what checked-read.ts refuses), with the database otherwise up.
    const misreads = new MisreadSink(t.sink);
    await t.wal.append(walLines(ids(0, 3)));
    const loader = new WalLoader(t.reader, misreads, t.opts, silent);
    loader.start();
    loader.notify();
    const deadline = Date.now() + 10_000;
    while (misreads.failed < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(misreads.failed >= 4, 'the loader must have tried the chunk again and again');
    assert.equal(loader.status().quarantined, 0);
    assert.deepEqual(await t.sink.checkpoint(), { seq: 0, offset: 0 }, 'the checkpoint stays before the chunk');
    // The scratch folder removed under the loader: staging makes it again.
    await rm(join(t.dir, 'tmp'), { recursive: true, force: true });
    misreads.failing = false;
    while ((await t.ids()).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await t.ids(), ids(0, 3));
    assert.equal(loader.status().quarantined, 0);
    await loader.stop();
    await t.close();
  });

  it('drains again once DuckDB can write its log, after a drain that failed on a full disk', async () => {
    const t = await setup();
    const loader = new WalLoader(t.reader, t.sink, t.opts, silent);
    await t.wal.append(walLines(ids(0, 3)));
    await loader.drain();
    await t.db.use((c) => c.run('CHECKPOINT'));
    const log = join(t.dir, 'footprint.duckdb.wal');
    await symlink('/dev/full', log);
    await t.wal.append(walLines(ids(3, 3)));
    await assert.rejects(loader.drain(), /No space left on device/);
    await rm(log);
    await loader.drain();
    assert.deepEqual(await t.ids(), ids(0, 6));
    await loader.stop();
    await t.close();
  });

  it('loads a WAL that starts over below the checkpoint (its folder removed) instead of skipping it', async () => {
    const t = await setup();
    for (let i = 0; i < 20; i++) await t.wal.append(walLines(ids(i * 10, 10)));
    await new WalLoader(t.reader, t.sink, t.opts, silent).drain();
    const before = await t.sink.checkpoint();
    assert.ok(before.seq > 2, 'several segments were loaded');
    await t.wal.close();
    await rm(join(t.dir, 'wal'), { recursive: true, force: true });
    const wal = await WalSegmentWriter.open({ dir: join(t.dir, 'wal'), maxSegmentBytes: 8192, maxSegmentAgeMs: 3_600_000 });
    assert.equal(wal.currentSeq(), 1);
    await wal.append(walLines(ids(500, 5)));
    const reader = new WalReader(join(t.dir, 'wal'), (seq) => (seq === wal.currentSeq() ? wal.durable().offset : undefined));
    const loader = new WalLoader(reader, t.sink, t.opts, silent);
    await loader.drain();
    assert.deepEqual(await t.ids(), [...ids(0, 200), ...ids(500, 5)]);
    assert.deepEqual(await t.sink.checkpoint(), wal.durable());
    await wal.close();
    await t.sink.close();
    t.db.close();
  });

  it('loads a new WAL whole even when its segment numbers passed the checkpoint before the database opened', async () => {
    const t = await setup();
    for (let i = 0; i < 20; i++) await t.wal.append(walLines(ids(i * 10, 10)));
    await new WalLoader(t.reader, t.sink, t.opts, silent).drain();
    const before = await t.sink.checkpoint();
    assert.equal(await t.sink.walId(), t.wal.id, 'the database records which WAL it loaded');
    await t.wal.close();
    await rm(join(t.dir, 'wal'), { recursive: true, force: true });
    // The folder removed; the new WAL grows past the old checkpoint's segment while nothing loads.
    const wal = await WalSegmentWriter.open({ dir: join(t.dir, 'wal'), maxSegmentBytes: 8192, maxSegmentAgeMs: 3_600_000 });
    assert.notEqual(wal.id, t.wal.id);
    let n = 1000;
    while (wal.currentSeq() <= before.seq + 1) await wal.append(walLines(ids((n += 10) - 10, 10)));
    const written = ids(1000, n - 1000);
    const reader = new WalReader(join(t.dir, 'wal'), (seq) => (seq === wal.currentSeq() ? wal.durable().offset : undefined));
    await new WalLoader(reader, t.sink, t.opts, silent).drain();
    assert.deepEqual(await t.ids(), [...ids(0, 200), ...written]);
    assert.deepEqual(await t.sink.checkpoint(), wal.durable());
    assert.equal(await t.sink.walId(), wal.id);
    await wal.close();
    await t.sink.close();
    t.db.close();
  });

  it('records the WAL of a database loaded before WALs had identities, without loading again', async () => {
    const t = await setup();
    await t.wal.append(walLines(ids(0, 20)));
    await new WalLoader(t.reader, t.sink, t.opts, silent).drain();
    await t.db.use((conn) => conn.run('UPDATE footprint_loader_checkpoint SET wal_id = NULL'));
    assert.equal(await t.sink.walId(), undefined);
    const loader = new WalLoader(t.reader, t.sink, t.opts, silent);
    await loader.drain();
    assert.equal(loader.status().chunks, 0, 'nothing loaded again');
    assert.deepEqual(await t.sink.checkpoint(), t.wal.durable());
    assert.equal(await t.sink.walId(), t.wal.id);
    await t.close();
  });

  it('never reads bytes past the durable offset of the segment being written', async () => {
    const t = await setup();
    await t.wal.append(walLines(ids(0, 3)));
    const [seg] = await listSegments(join(t.dir, 'wal'));
    await appendFile(seg!.path, walLines(['not-acked']));
    const loader = new WalLoader(t.reader, t.sink, t.opts, silent);
    await loader.drain();
    assert.deepEqual(await t.ids(), ids(0, 3));
    await t.close();
  });
});
