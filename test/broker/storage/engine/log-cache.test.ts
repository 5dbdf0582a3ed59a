/**
 * The log cache's ring: whatever is still cached holds exactly the bytes stored, the oldest go
 * first, and the cache never holds more than its size.
 */
import { LogCache, type CacheEntry } from '../../../../broker/storage/engine/log-cache';

interface Stored extends CacheEntry {
  readonly id: number;
  readonly bytes: Buffer;
}

test('entries survive until the ring needs their space, oldest first, with their bytes intact', () => {
  const evicted: number[] = [];
  const cache = new LogCache(10_000, (entry) => evicted.push((entry as Stored).id));
  const live: Stored[] = [];
  let seed = 1;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let id = 0; id < 5000; id++) {
    const bytes = Buffer.alloc(1 + Math.floor(random() * 3000), id % 251);
    const entry: Stored = { id, bytes, payload: undefined };
    cache.store(entry, bytes);
    live.push(entry);
    expect(cache.cachedBytes).toBeLessThanOrEqual(10_000);
    // Every entry still cached has exactly its bytes; evicted ones have none.
    for (const candidate of live) {
      if (candidate.payload !== undefined) expect(candidate.payload.equals(candidate.bytes)).toBe(true);
    }
    while (live.length > 0 && live[0].payload === undefined) live.shift();
  }
  // Evictions happen in the order of storing.
  expect(evicted).toEqual([...evicted].sort((a, b) => a - b));
  expect(evicted.length).toBeGreaterThan(4000);
});

test('a payload larger than the ring is not cached, and evicts nothing', () => {
  const evicted: CacheEntry[] = [];
  const cache = new LogCache(100, (entry) => evicted.push(entry));
  const small: CacheEntry = { payload: undefined };
  cache.store(small, Buffer.alloc(50, 1));
  const big: CacheEntry = { payload: undefined };
  cache.store(big, Buffer.alloc(101, 2));
  expect(big.payload).toBeUndefined();
  expect(small.payload?.equals(Buffer.alloc(50, 1))).toBe(true);
  expect(evicted).toEqual([]);
});
