/**
 * The EventQueue contract, run by both implementations (MemoryQueue, DiskOutbox), then what
 * only the disk outbox promises: what was acknowledged stays acknowledged across a reopen,
 * a torn tail is cut, and a folder is never shared.
 */
import assert from 'node:assert/strict';
import { appendFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LineBlocks } from '../src/delivery/line-blocks.js';
import { DiskOutbox } from '../src/delivery/outbox.js';
import { type EventQueue, MemoryQueue, type QueuedBatch } from '../src/delivery/queue.js';
import { removeDir, tempDir } from './support/harness.js';

const line = (i: number, pad = 0): string => JSON.stringify({ type: 'log', messageId: `m${i}`, properties: { pad: 'x'.repeat(pad) } });
/** Lines as a stage hands them to a queue. */
const taken = (lines: string[]) => {
  const b = new LineBlocks(1e9, 1e12);
  for (const l of lines) b.push(l);
  return b.take();
};
const ids = (batch: QueuedBatch | undefined): string[] => (batch ? JSON.parse(`[${batch.payload}]`).map((e: any) => e.messageId) : []);
const idsOf = (lines: string[]) => lines.map((l) => JSON.parse(l).messageId);

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await removeDir(d);
});
async function outboxAt(dir?: string, maxBytes = 1024 * 1024, segmentBytes = 4096): Promise<DiskOutbox> {
  const where = dir ?? (await tempDir('fp-outbox-'));
  if (!dir) dirs.push(where);
  return DiskOutbox.open({ dir: where, maxBytes, segmentBytes, fsync: true });
}

function queueContract(name: string, make: (bound: { events: number; bytes: number }) => Promise<EventQueue>): void {
  describe(`${name} (EventQueue contract)`, () => {
    it('gives events back oldest first, and only ack removes them', async () => {
      const q = await make({ events: 1000, bytes: 1 << 20 });
      const lines = Array.from({ length: 10 }, (_, i) => line(i));
      assert.equal(await q.append(taken(lines)), 10);
      const a = await q.next(4, 1 << 20);
      const again = await q.next(4, 1 << 20);
      assert.deepEqual(ids(a), ['m0', 'm1', 'm2', 'm3']);
      assert.deepEqual(ids(again), ids(a), 'next does not remove');
      await q.ack(a as NonNullable<typeof a>);
      const b = await q.next(100, 1 << 20);
      assert.deepEqual(ids(b), ['m4', 'm5', 'm6', 'm7', 'm8', 'm9']);
      assert.deepEqual(q.pending(), { events: 6, bytes: q.pending().bytes });
      await q.ack(b as NonNullable<typeof b>);
      assert.equal(q.pending().events, 0);
      assert.equal(await q.next(10, 1 << 20), undefined);
      await q.close();
    });

    it('cuts a batch at maxBytes, but always gives at least one event', async () => {
      const q = await make({ events: 1000, bytes: 1 << 20 });
      const lines = [line(0, 3000), line(1, 3000), line(2, 10)];
      await q.append(taken(lines));
      const first = await q.next(10, 100);
      assert.deepEqual(ids(first), ['m0']);
      await q.ack(first as NonNullable<typeof first>);
      const rest = await q.next(10, 3300);
      assert.deepEqual(ids(rest), ['m1', 'm2']);
      assert.equal(rest?.bytes, Buffer.byteLength((lines[1] as string) + (lines[2] as string)));
      await q.close();
    });

    it('keeps what fits under its bound and says how many it kept', async () => {
      const q = await make({ events: 5, bytes: 5 * (line(0).length + 1) });
      const lines = Array.from({ length: 8 }, (_, i) => line(i));
      assert.equal(await q.append(taken(lines)), 5);
      assert.equal(q.pending().events, 5);
      await q.close();
    });
  });
}

queueContract('MemoryQueue', async (b) => new MemoryQueue(b.events, b.bytes));
queueContract('DiskOutbox', async (b) => outboxAt(undefined, b.bytes));

describe('DiskOutbox across restarts', () => {
  it('does not give back what was acknowledged before a reopen, and gives back all the rest', async () => {
    const dir = await tempDir('fp-outbox-');
    dirs.push(dir);
    const first = await outboxAt(dir);
    const lines = Array.from({ length: 300 }, (_, i) => line(i, 20));
    await first.append(taken(lines));
    const batch = await first.next(120, 1 << 20);
    await first.ack(batch as NonNullable<typeof batch>);
    await first.close();

    const second = await outboxAt(dir);
    assert.equal(second.recovered, 180);
    const got: string[] = [];
    for (let b = await second.next(50, 1 << 20); b; b = await second.next(50, 1 << 20)) {
      got.push(...ids(b));
      await second.ack(b);
    }
    assert.deepEqual(got, idsOf(lines.slice(120)));
    await second.close();
    const left = (await readdir(dir)).filter((f) => f.endsWith('.jsonl'));
    assert.equal(left.length, 0, 'delivered segments are deleted');
  });

  it('saves the delivered position within a second of the last acknowledgement, even when no more come', async () => {
    const dir = await tempDir('fp-outbox-');
    dirs.push(dir);
    const q = await outboxAt(dir, 1024 * 1024, 1024 * 1024);
    await q.append(taken(Array.from({ length: 300 }, (_, i) => line(i, 20))));
    const first = await q.next(100, 1 << 20);
    await q.ack(first as NonNullable<typeof first>);
    const savedFirst = JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8'));
    const second = await q.next(100, 1 << 20);
    await q.ack(second as NonNullable<typeof second>);
    // Right after the second acknowledgement the saved position is still the first one...
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8')), savedFirst);
    // ...and a little over a second later it is the second one, with nothing else happening.
    await new Promise((r) => setTimeout(r, 1_400));
    const savedLater = JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8'));
    assert.equal(savedLater.seq, savedFirst.seq);
    assert.ok(savedLater.offset > savedFirst.offset, `${JSON.stringify(savedLater)} is past ${JSON.stringify(savedFirst)}`);
    await q.close();
    const reopened = await outboxAt(dir);
    assert.equal(reopened.recovered, 100);
    await reopened.close();
  });

  it('cuts a line torn by a crash and delivers the complete events before it', async () => {
    const dir = await tempDir('fp-outbox-');
    dirs.push(dir);
    const lines = [line(1), line(2), line(3)];
    await writeFile(join(dir, '00000001.jsonl'), `${lines.join('\n')}\n`);
    await appendFile(join(dir, '00000001.jsonl'), '{"type":"log","messageId":"m4","prop');
    const q = await outboxAt(dir);
    assert.equal(q.recovered, 3);
    const b = await q.next(10, 1 << 20);
    assert.deepEqual(ids(b), ['m1', 'm2', 'm3']);
    assert.equal((await stat(join(dir, '00000001.jsonl'))).size, Buffer.byteLength(`${lines.join('\n')}\n`));
    await q.close();
  });

  it('rotates segments at segmentBytes and reads across them in order', async () => {
    const q = await outboxAt(undefined, 1 << 20, 1000);
    for (let i = 0; i < 20; i++) {
      const l = [line(i, 100)];
      await q.append(taken(l));
    }
    const files = (await readdir(q.dir)).filter((f) => f.endsWith('.jsonl'));
    assert.ok(files.length > 2, `several segments (${files.length})`);
    const got: string[] = [];
    for (let b = await q.next(7, 1 << 20); b; b = await q.next(7, 1 << 20)) {
      got.push(...ids(b));
      await q.ack(b);
    }
    assert.deepEqual(
      got,
      Array.from({ length: 20 }, (_, i) => `m${i}`),
    );
    await q.close();
  });

  it('gives a second owner in the same process the next folder, never the same one', async () => {
    const dir = await tempDir('fp-outbox-');
    dirs.push(dir, `${dir}.1`);
    const a = await outboxAt(dir);
    const b = await outboxAt(dir);
    assert.equal(a.dir, dir);
    assert.equal(b.dir, `${dir}.1`);
    assert.equal((await readFile(join(dir, 'lock'), 'utf8')).trim(), String(process.pid));
    await a.close();
    await b.close();
  });

  it('takes over the folder of a process that died (a lock naming a dead pid)', async () => {
    const dir = await tempDir('fp-outbox-');
    dirs.push(dir);
    await writeFile(join(dir, 'lock'), '2147483646');
    const q = await outboxAt(dir);
    assert.equal(q.dir, dir);
    await q.close();
  });
});
