/**
 * Serialized events packed into 64 KB buffers as they arrive, one per line, exactly as the
 * outbox stores them on disk. Each event is UTF-8 encoded once, here, and nothing keeps its
 * string alive: a busy server queues tens of thousands of events a second, and holding them
 * as strings until the next send would make the garbage collector copy and promote each one.
 *
 * Used twice: as the memory stage in front of the outbox (`take` hands the buffers over in
 * one piece) and as the MemoryQueue (`read` / `consume` walk the lines in order).
 */

const BLOCK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;
const COMMA = 0x2c;

export interface TakenLines {
  buffers: Buffer[];
  events: number;
  /** Bytes in `buffers` (event texts plus one newline each). */
  bytes: number;
}

export interface ReadLines {
  count: number;
  /** The lines joined by commas (newlines replaced), ready to go between `[` and `]`. */
  payload: Buffer;
  /** Bytes of the event texts, without separators. */
  jsonBytes: number;
  /** Bytes to consume, newlines included. */
  consumed: number;
}

export class LineBlocks {
  private blocks: Buffer[] = [];
  /** Bytes written in each block. */
  private used: number[] = [];
  /** Read position in blocks[0]. */
  private offset = 0;
  events = 0;
  /** Bytes held, newlines included. */
  bytes = 0;

  constructor(
    private readonly maxEvents: number,
    private readonly maxBytes: number,
  ) {}

  /** Appends one event's JSON text; false (nothing kept) when a bound would be passed. Returns its UTF-8 size otherwise. */
  push(line: string): number | false {
    if (this.events >= this.maxEvents) return false;
    const worst = line.length * 3 + 1;
    let i = this.blocks.length - 1;
    let block = this.blocks[i];
    if (!block || block.length - (this.used[i] as number) < worst) {
      block = Buffer.allocUnsafe(Math.max(BLOCK_BYTES, worst));
      this.blocks.push(block);
      this.used.push(0);
      i++;
    }
    const at = this.used[i] as number;
    const n = block.write(line, at);
    if (this.bytes + n + 1 > this.maxBytes) return false;
    block[at + n] = NEWLINE;
    this.used[i] = at + n + 1;
    this.events++;
    this.bytes += n + 1;
    return n;
  }

  /**
   * Everything held, handed over (the stage's path to the outbox). The last block stays the
   * one written next, after what was handed over, so a busy stage does not allocate a new
   * block for every group.
   */
  take(): TakenLines {
    const buffers: Buffer[] = [];
    for (let i = 0; i < this.blocks.length; i++) {
      const from = i === 0 ? this.offset : 0;
      const to = this.used[i] as number;
      if (to > from) buffers.push((this.blocks[i] as Buffer).subarray(from, to));
    }
    const taken = { buffers, events: this.events, bytes: this.bytes };
    const last = this.blocks.length - 1;
    if (last >= 0) {
      this.blocks = [this.blocks[last] as Buffer];
      this.used = [this.used[last] as number];
      this.offset = this.used[0] as number;
    }
    this.events = 0;
    this.bytes = 0;
    return taken;
  }

  /** The oldest lines, at most `maxEvents` and `maxBytes` of text (at least one line); nothing is removed. */
  read(maxEvents: number, maxBytes: number): ReadLines | undefined {
    if (this.events === 0) return undefined;
    const parts: Buffer[] = [];
    let count = 0;
    let jsonBytes = 0;
    let consumed = 0;
    for (let i = 0; i < this.blocks.length && count < maxEvents; i++) {
      const block = this.blocks[i] as Buffer;
      const end = this.used[i] as number;
      let from = i === 0 ? this.offset : 0;
      const start = from;
      while (count < maxEvents && from < end) {
        const nl = block.indexOf(NEWLINE, from);
        const len = nl - from;
        if (count > 0 && jsonBytes + len > maxBytes) {
          maxEvents = count;
          break;
        }
        jsonBytes += len;
        count++;
        from = nl + 1;
      }
      if (from > start) parts.push(block.subarray(start, from));
      consumed += from - start;
    }
    const joined = parts.length === 1 ? Buffer.from(parts[0] as Buffer) : Buffer.concat(parts, consumed);
    for (let p = joined.indexOf(NEWLINE); p !== -1 && p < consumed - 1; p = joined.indexOf(NEWLINE, p + 1)) joined[p] = COMMA;
    return { count, payload: joined.subarray(0, consumed - 1), jsonBytes, consumed };
  }

  /** Removes what a `read` returned. */
  consume(count: number, consumed: number): void {
    this.events -= count;
    this.bytes -= consumed;
    let left = consumed;
    while (left > 0 && this.blocks.length > 0) {
      const avail = (this.used[0] as number) - this.offset;
      if (left < avail || (left === avail && this.blocks.length === 1)) {
        this.offset += left;
        left = 0;
      } else {
        left -= avail;
        this.blocks.shift();
        this.used.shift();
        this.offset = 0;
      }
    }
    if (this.events === 0) {
      this.blocks = [];
      this.used = [];
      this.offset = 0;
    }
  }
}
