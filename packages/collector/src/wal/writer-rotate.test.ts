import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { listSegments } from './segments.js';
import { WalSegmentWriter } from './writer.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function open() {
  const dir = await mkdtemp(join(tmpdir(), 'fp-rotate-'));
  dirs.push(dir);
  return WalSegmentWriter.open({ dir: join(dir, 'wal'), maxSegmentBytes: 1024 * 1024, maxSegmentAgeMs: 3_600_000 });
}

const line = (n: number): string => `${JSON.stringify({ id: `e${n}` })}\n`;

describe('WalSegmentWriter.rotate', () => {
  it('closes the segment being written, whole, and sends every later append to the next one', async () => {
    const wal = await open();
    await wal.append(line(1) + line(2));
    const first = wal.currentSeq();
    const during = [wal.append(line(3)), wal.rotate(), wal.append(line(4))];
    const [, seq] = await Promise.all(during);
    assert.equal(seq, first + 1);
    await wal.append(line(5));
    await wal.close();
    const segs = await listSegments(join(dirs.at(-1) as string, 'wal'));
    assert.deepEqual(
      segs.map((s) => s.seq),
      [first, first + 1],
    );
    const before = await readFile((segs[0] as { path: string }).path, 'utf8');
    const afterRotation = await readFile((segs[1] as { path: string }).path, 'utf8');
    assert.ok(before.endsWith('\n') && afterRotation.endsWith('\n'));
    assert.ok(afterRotation.endsWith(line(5)), 'appends after rotate() resolved go to the new segment');
    assert.deepEqual(
      (before + afterRotation)
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).id),
      ['e1', 'e2', 'e3', 'e4', 'e5'],
      'nothing is lost or reordered across the rotation',
    );
  });

  it('keeps appending to the current segment when the next one cannot be opened, and rotates once it can', async () => {
    const wal = await open();
    await wal.append(line(1));
    const first = wal.currentSeq();
    const [seg] = await listSegments(join(dirs.at(-1) as string, 'wal'));
    // A folder where the next segment's file goes: opening it fails (as with no file handles left).
    const blocker = join(dirname((seg as { path: string }).path), `${String(first + 1).padStart(6, '0')}.jsonl`);
    await mkdir(blocker);
    await assert.rejects(wal.rotate());
    await wal.append(line(2));
    assert.equal(wal.currentSeq(), first, 'appends go on into the current segment');
    await rmdir(blocker);
    assert.equal(await wal.rotate(), first + 1);
    await wal.append(line(3));
    await wal.close();
    const segs = await listSegments(join(dirs.at(-1) as string, 'wal'));
    const text = await Promise.all(segs.map((x) => readFile(x.path, 'utf8')));
    assert.deepEqual(text, [line(1) + line(2), line(3)]);
  });

  it('takes appends into the current segment when a rotation by size cannot open the next one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fp-rotate-'));
    dirs.push(dir);
    const wal = await WalSegmentWriter.open({ dir: join(dir, 'wal'), maxSegmentBytes: 20, maxSegmentAgeMs: 3_600_000 });
    await wal.append(line(1));
    const first = wal.currentSeq();
    const [seg] = await listSegments(join(dir, 'wal'));
    const blocker = join(dirname((seg as { path: string }).path), `${String(first + 1).padStart(6, '0')}.jsonl`);
    await mkdir(blocker);
    const failures: unknown[] = [];
    wal.on('rotation-failed', (err) => failures.push(err));
    await wal.append(line(2));
    assert.equal(wal.currentSeq(), first);
    assert.equal(failures.length, 1, 'the failed rotation is reported');
    await rmdir(blocker);
    await wal.append(line(3));
    assert.equal(wal.currentSeq(), first + 1);
    await wal.close();
    const text = await Promise.all((await listSegments(join(dir, 'wal'))).map((x) => readFile(x.path, 'utf8')));
    assert.deepEqual(text, [line(1) + line(2), line(3)]);
  });

  it('keeps an empty segment as the current one instead of starting another', async () => {
    const wal = await open();
    const seq = wal.currentSeq();
    assert.equal(await wal.rotate(), seq);
    assert.equal(await wal.rotate(), seq);
    await wal.close();
    await assert.rejects(wal.rotate(), /closed/);
  });
});
