import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineBlocks } from './line-blocks.js';

const drain = (b: LineBlocks, maxEvents: number, maxBytes: number): unknown[] => {
  const out: unknown[] = [];
  for (let r = b.read(maxEvents, maxBytes); r; r = b.read(maxEvents, maxBytes)) {
    out.push(...JSON.parse(`[${r.payload}]`));
    b.consume(r.count, r.consumed);
  }
  return out;
};

describe('LineBlocks', () => {
  it('gives back every line in order across 64 KB blocks, with multi-byte text', () => {
    const b = new LineBlocks(1e9, 1e12);
    const events = Array.from({ length: 3000 }, (_, i) => ({ i, text: 'é한😀'.repeat(i % 40) }));
    for (const e of events) b.push(JSON.stringify(e));
    assert.deepEqual(drain(b, 257, 30_000), events);
    assert.deepEqual([b.events, b.bytes], [0, 0]);
  });

  it('counts UTF-8 bytes and refuses a line past its event or byte bound', () => {
    const b = new LineBlocks(2, 100);
    assert.equal(b.push('"é"'), 4);
    assert.equal(b.push('x'.repeat(200)), false);
    assert.equal(b.push('"a"'), 3);
    assert.equal(b.push('"b"'), false);
    assert.deepEqual([b.events, b.bytes], [2, 9]);
  });

  it('hands everything over with take, and starts empty again', () => {
    const b = new LineBlocks(1e9, 1e12);
    for (let i = 0; i < 5; i++) b.push(String(i));
    const t = b.take();
    assert.equal(Buffer.concat(t.buffers).toString(), '0\n1\n2\n3\n4\n');
    assert.deepEqual([t.events, t.bytes, b.events, b.read(10, 10)], [5, 10, 0, undefined]);
  });

  it('takes a line larger than a block in a block of its own', () => {
    const b = new LineBlocks(1e9, 1e12);
    const big = JSON.stringify('y'.repeat(100_000));
    b.push('1');
    b.push(big);
    b.push('2');
    assert.deepEqual(drain(b, 10, 1e9), [1, 'y'.repeat(100_000), 2]);
  });
});
