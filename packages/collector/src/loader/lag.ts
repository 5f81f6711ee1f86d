/**
 * LoaderLag: how far the loader trails the WAL, in seconds. The writer records when each
 * durable position was reached; the lag is the age of the oldest one not yet loaded.
 */
import type { WalPosition } from '../wal/segments.js';

const before = (a: WalPosition, b: WalPosition): boolean => a.seq < b.seq || (a.seq === b.seq && a.offset <= b.offset);

export class LoaderLag {
  private marks: Array<{ pos: WalPosition; at: number }> = [];

  /** Called on each durable write. Keeps one mark per 100 ms at most, so memory stays small. */
  record(pos: WalPosition, at = Date.now()): void {
    const last = this.marks.at(-1);
    if (last && at - last.at < 100) {
      last.pos = pos;
      return;
    }
    this.marks.push({ pos, at });
  }

  /** Seconds since the oldest durable write beyond `loaded`; 0 when caught up. */
  seconds(loaded: WalPosition | undefined, now = Date.now()): number {
    if (loaded) {
      let drop = 0;
      while (drop < this.marks.length && before((this.marks[drop] as { pos: WalPosition }).pos, loaded)) drop++;
      if (drop > 0) this.marks.splice(0, drop);
    }
    const first = this.marks[0];
    return first ? Math.max(0, (now - first.at) / 1000) : 0;
  }
}
