import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { WalReader } from './reader.js';
import { listSegments, segmentPath } from './segments.js';
import { WalSegmentWriter } from './writer.js';

const dirs: string[] = [];
async function walDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'fp-wal-'));
  dirs.push(d);
  return join(d, 'wal');
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const line = (i: number): string => `${JSON.stringify({ id: `e${i}`, n: i })}\n`;
const big = { maxSegmentBytes: 64 * 1024 * 1024, maxSegmentAgeMs: 3_600_000 };

async function allLines(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const s of await listSegments(dir)) out.push(...(await readFile(s.path, 'utf8')).split('\n').filter(Boolean));
  return out;
}

describe('WalSegmentWriter', () => {
  it('resolves an append only once its bytes are in the segment file', async () => {
    const dir = await walDir();
    const wal = await WalSegmentWriter.open({ dir, ...big });
    await wal.append(line(1));
    const [seg] = await listSegments(dir);
    assert.ok(seg);
    assert.equal(await readFile(seg.path, 'utf8'), line(1));
    assert.deepEqual(wal.durable(), { seq: 1, offset: line(1).length });
    await wal.close();
  });

  it('shares one fsync among appends that arrive together (group commit), past the iovec limit of one writev', async () => {
    const dir = await walDir();
    const wal = await WalSegmentWriter.open({ dir, ...big });
    await Promise.all(Array.from({ length: 3000 }, (_, i) => wal.append(line(i))));
    assert.equal(wal.stats.appends, 3000);
    assert.ok(wal.stats.fsyncs < 50, `expected far fewer fsyncs than appends, got ${wal.stats.fsyncs}`);
    assert.deepEqual(
      (await allLines(dir)).map((l) => JSON.parse(l).n),
      Array.from({ length: 3000 }, (_, i) => i),
    );
    await wal.close();
  });

  it('keeps appends in call order', async () => {
    const dir = await walDir();
    const wal = await WalSegmentWriter.open({ dir, ...big });
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) {
      pending.push(wal.append(line(i)));
      if (i % 37 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(pending);
    assert.deepEqual(
      (await allLines(dir)).map((l) => JSON.parse(l).n),
      Array.from({ length: 300 }, (_, i) => i),
    );
    await wal.close();
  });

  it('rotates to a new segment when the size limit would be passed, never splitting a line', async () => {
    const dir = await walDir();
    const wal = await WalSegmentWriter.open({ dir, maxSegmentBytes: 1024, maxSegmentAgeMs: 3_600_000 });
    for (let i = 0; i < 400; i++) await wal.append(line(i));
    const segments = await listSegments(dir);
    assert.ok(segments.length > 3, `expected several segments, got ${segments.length}`);
    assert.deepEqual(
      segments.map((s) => s.seq),
      segments.map((_, i) => i + 1),
    );
    for (const s of segments) {
      const text = await readFile(s.path, 'utf8');
      assert.ok(text.endsWith('\n'));
      assert.ok(Buffer.byteLength(text) <= 1024);
    }
    assert.equal((await allLines(dir)).length, 400);
    await wal.close();
  });

  it('rotates by age and opens a new day folder after UTC midnight', async () => {
    const dir = await walDir();
    let now = Date.parse('2026-02-04T23:59:00.000Z');
    const wal = await WalSegmentWriter.open({ dir, maxSegmentBytes: 1 << 20, maxSegmentAgeMs: 30_000, now: () => now });
    await wal.append(line(1));
    now += 40_000; // older than the age limit, now 2026-02-04T23:59:40
    await wal.append(line(2));
    now += 40_000; // past midnight
    await wal.append(line(3));
    const segments = await listSegments(dir);
    assert.deepEqual(
      segments.map((s) => [s.day, s.seq]),
      [
        ['2026-02-04', 1],
        ['2026-02-04', 2],
        ['2026-02-05', 3],
      ],
    );
    assert.equal(segments[2]?.path, segmentPath(dir, '2026-02-05', 3));
    await wal.close();
  });

  it('continues the last segment of the same day after a restart', async () => {
    const dir = await walDir();
    const a = await WalSegmentWriter.open({ dir, ...big });
    await a.append(line(1));
    await a.close();
    const b = await WalSegmentWriter.open({ dir, ...big });
    await b.append(line(2));
    await b.close();
    const segments = await listSegments(dir);
    assert.equal(segments.length, 1);
    assert.deepEqual(await allLines(dir), [line(1).trim(), line(2).trim()]);
  });
});

describe('torn-tail repair at open', () => {
  for (const [name, tail] of [
    ['a line cut short', '{"id":"half'],
    ['zero bytes left by a crash', '\0\0\0\0\0\0\0\0'],
    ['a complete line that is not JSON', 'not json\n'],
    ['complete lines that are not events, then a line cut short', 'xx}{\n\n{"id":"half'],
  ] as const) {
    it(`cuts ${name} and keeps every whole line before it`, async () => {
      const dir = await walDir();
      const wal = await WalSegmentWriter.open({ dir, ...big });
      await wal.append(line(1) + line(2));
      await wal.close();
      const [seg] = await listSegments(dir);
      assert.ok(seg);
      await appendFile(seg.path, tail);
      const reopened = await WalSegmentWriter.open({ dir, ...big });
      assert.equal(reopened.stats.repairedBytes, Buffer.byteLength(tail));
      assert.equal(await readFile(seg.path, 'utf8'), line(1) + line(2));
      await reopened.append(line(3));
      await reopened.close();
      assert.deepEqual(
        (await allLines(dir)).map((l) => JSON.parse(l).n),
        [1, 2, 3],
      );
    });
  }

  it('keeps a damaged line that whole events follow: only a tail is torn, and what follows was acknowledged', async () => {
    const dir = await walDir();
    const wal = await WalSegmentWriter.open({ dir, ...big });
    await wal.append(line(1));
    await wal.close();
    const [seg] = await listSegments(dir);
    assert.ok(seg);
    const damaged = 'xx}{\n\n';
    await appendFile(seg.path, `${damaged}${line(2)}`);
    const reopened = await WalSegmentWriter.open({ dir, ...big });
    assert.equal(reopened.stats.repairedBytes, 0);
    await reopened.close();
    assert.equal(await readFile(seg.path, 'utf8'), line(1) + damaged + line(2));
  });
});

describe('WalReader', () => {
  it('reads only up to the bound of the segment being written, in whole lines', async () => {
    const dir = await walDir();
    const wal = await WalSegmentWriter.open({ dir, ...big });
    await wal.append(line(1) + line(2));
    const [seg] = await listSegments(dir);
    assert.ok(seg);
    await appendFile(seg.path, line(3)); // written but never fsync'd through the writer
    const reader = new WalReader(dir, (seq) => (seq === wal.currentSeq() ? wal.durable().offset : undefined));
    await reader.refresh();
    const chunk = await reader.next({ seq: 0, offset: 0 }, 1 << 20);
    assert.equal(chunk?.bytes.toString(), line(1) + line(2));
    assert.deepEqual(chunk?.to, { seq: 1, offset: (line(1) + line(2)).length });
    assert.equal(await reader.next(chunk!.to, 1 << 20), undefined);
    await wal.close();
  });

  it('cuts chunks at line ends and walks across segments, skipping removed ones', async () => {
    const dir = await walDir();
    const wal = await WalSegmentWriter.open({ dir, maxSegmentBytes: 200, maxSegmentAgeMs: 3_600_000 });
    for (let i = 0; i < 40; i++) await wal.append(line(i));
    await wal.close();
    const segments = await listSegments(dir);
    await rm(segments[1]!.path); // as retention would
    const reader = new WalReader(dir);
    await reader.refresh();
    const seen: number[] = [];
    let pos = { seq: 0, offset: 0 };
    for (;;) {
      const chunk = await reader.next(pos, 50);
      if (!chunk) break;
      assert.ok(chunk.bytes.toString().endsWith('\n'));
      for (const l of chunk.bytes.toString().split('\n').filter(Boolean)) seen.push(JSON.parse(l).n);
      pos = chunk.to;
    }
    assert.ok((await readdir(join(dir, segments[0]!.day))).length > 1);
    const expected = (await allLines(dir)).map((l) => JSON.parse(l).n);
    assert.deepEqual(seen, expected);
  });

  it('refuses a line longer than the chunk limit instead of looping forever', async () => {
    const dir = await walDir();
    const wal = await WalSegmentWriter.open({ dir, ...big });
    await wal.append(`${JSON.stringify({ id: 'x'.repeat(500) })}\n`);
    await wal.close();
    const reader = new WalReader(dir);
    await reader.refresh();
    await assert.rejects(reader.next({ seq: 0, offset: 0 }, 100), /longer than 100 bytes/);
  });
});

describe('segment files', () => {
  it('ignores files that are not segments', async () => {
    const dir = await walDir();
    const wal = await WalSegmentWriter.open({ dir, ...big });
    await wal.append(line(1));
    await wal.close();
    const [seg] = await listSegments(dir);
    await writeFile(join(dir, seg!.day, 'notes.txt'), 'hello');
    await writeFile(join(dir, 'README'), 'hello');
    assert.equal((await listSegments(dir)).length, 1);
  });
});
