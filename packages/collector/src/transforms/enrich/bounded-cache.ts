/**
 * BoundedCache: memoises a pure function of a string (a user agent, a URL). Cleared whole
 * when full: cheaper than LRU bookkeeping, and hostile unique inputs cannot grow it.
 */
export class BoundedCache<V> {
  private readonly map = new Map<string, V>();

  constructor(
    private readonly limit: number,
    private readonly compute: (key: string) => V,
  ) {}

  get(key: string): V {
    const hit = this.map.get(key);
    if (hit !== undefined) return hit;
    const value = this.compute(key);
    if (this.map.size >= this.limit) this.map.clear();
    this.map.set(key, value);
    return value;
  }
}
