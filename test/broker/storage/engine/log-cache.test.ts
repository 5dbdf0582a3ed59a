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

test('pinned bytes are never written over: payloads that would land there are not cached until the release', () => {
  const cache = new LogCache(1000, () => {});
  const first: CacheEntry = { payload: undefined };
  cache.store(first, Buffer.alloc(400, 1));
  const second: CacheEntry = { payload: undefined };
  cache.store(second, Buffer.alloc(400, 2));
  // A view from elsewhere is ignored; the first payload is pinned.
  const release = cache.pin([Buffer.alloc(10), first.payload!]);
  const pinned = first.payload!;
  const refused: CacheEntry = { payload: undefined };
  cache.store(refused, Buffer.alloc(300, 3)); // would wrap onto the first payload
  expect(refused.payload).toBeUndefined();
  expect(cache.statistics.payloadsRefused).toBe(1);
  expect(pinned.equals(Buffer.alloc(400, 1))).toBe(true);
  expect(second.payload?.equals(Buffer.alloc(400, 2))).toBe(true);
  release();
  const after: CacheEntry = { payload: undefined };
  cache.store(after, Buffer.alloc(300, 4));
  expect(after.payload?.equals(Buffer.alloc(300, 4))).toBe(true);
  expect(first.payload).toBeUndefined();
  expect(cache.statistics.payloadsRefused).toBe(1);
});

test('a pin over a wrapped run of payloads covers both laps and the gaps between its views', () => {
  const cache = new LogCache(1000, () => {});
  const entries = Array.from({ length: 5 }, (): CacheEntry => ({ payload: undefined }));
  // 0..300, 300..600, 600..900, then the ring wraps: 0..300, 300..600 (evicting the first two).
  entries.forEach((entry, i) => cache.store(entry, Buffer.alloc(300, i + 1)));
  // Pin the payloads at 600..900 and 0..300 and 300..600 (WAL order), leaving none of the ring free.
  const release = cache.pin([entries[2].payload!, entries[3].payload!, entries[4].payload!]);
  const refused: CacheEntry = { payload: undefined };
  cache.store(refused, Buffer.alloc(100, 9)); // 600..700 would overwrite the third payload
  expect(refused.payload).toBeUndefined();
  expect(entries[2].payload?.equals(Buffer.alloc(300, 3))).toBe(true);
  release();
  cache.store(refused, Buffer.alloc(100, 9));
  expect(refused.payload?.equals(Buffer.alloc(100, 9))).toBe(true);
});

test('a payload inside a held frame is cached where it lies; the frame is never written over until released', () => {
  const evicted: CacheEntry[] = [];
  const cache = new LogCache(1000, (entry) => evicted.push(entry));
  const frame = cache.allocateFrame(400)!;
  frame.fill(7);
  const records = frame.subarray(100, 300);
  const entry: CacheEntry = { payload: undefined };
  cache.store(entry, records);
  // No copy: the entry's payload is the frame's own bytes.
  expect(entry.payload).toBe(records);
  expect(cache.cachedBytes).toBe(200);
  // Traffic that would wrap onto the frame is refused, frames and payloads alike.
  const others = Array.from({ length: 5 }, (): CacheEntry => ({ payload: undefined }));
  for (const other of others) cache.store(other, Buffer.alloc(250, 1));
  expect(cache.allocateFrame(300)).toBeUndefined();
  expect(frame.equals(Buffer.alloc(400, 7))).toBe(true);
  expect(entry.payload).toBe(records);
  expect(cache.statistics).toEqual({ framesInRing: 1, framesRefused: 1, payloadsRefused: 3, framesHeld: 1 });
  cache.releaseFrame(Buffer.alloc(10)); // not from the cache: ignored
  expect(cache.statistics.framesHeld).toBe(1);
  cache.releaseFrame(frame);
  expect(cache.statistics.framesHeld).toBe(0);
  // Released, the frame's region is the oldest and goes first, with the entry cached in it.
  const next = cache.allocateFrame(300);
  expect(next).toBeDefined();
  expect(entry.payload).toBeUndefined();
  expect(evicted).toContain(entry);
});

test('frames and payloads share the ring oldest-first, and every cached payload keeps its bytes', () => {
  const cache = new LogCache(10_000, () => {});
  const live: { entry: CacheEntry; bytes: Buffer }[] = [];
  const held: Buffer[] = [];
  let seed = 7;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let id = 0; id < 3000; id++) {
    const size = 1 + Math.floor(random() * 1500);
    const bytes = Buffer.alloc(size, id % 251);
    const entry: CacheEntry = { payload: undefined };
    if (random() < 0.5) {
      const frame = cache.allocateFrame(size + 20);
      if (frame !== undefined) {
        frame.fill(0xff);
        bytes.copy(frame, 10);
        held.push(frame);
        cache.store(entry, frame.subarray(10, 10 + size));
      }
    } else {
      cache.store(entry, bytes);
    }
    live.push({ entry, bytes });
    // Requests finish a little later, out of order.
    if (held.length > 0 && random() < 0.4) cache.releaseFrame(held.splice(Math.floor(random() * held.length), 1)[0]);
    expect(cache.cachedBytes).toBeLessThanOrEqual(10_000);
    for (const { entry: candidate, bytes: expected } of live) {
      if (candidate.payload !== undefined) expect(candidate.payload.equals(expected)).toBe(true);
    }
    while (live.length > 0 && live[0].entry.payload === undefined) live.shift();
  }
    expect(cache.statistics.framesInRing).toBeGreaterThan(1000);
  expect(cache.statistics.framesRefused).toBeGreaterThan(0);
});
