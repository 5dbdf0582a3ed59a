/**
 * The log cache: the recent tail of every partition, in one preallocated ring of memory.
 *
 * Each chunk's payload is copied into the ring when it is appended (or replayed), in WAL order;
 * making room evicts the oldest chunks (their payload becomes undefined: they are read from the
 * WAL or the object store from then on). Memory is exactly the configured size, whatever the
 * traffic, and the cache holds no per-chunk buffers: the request buffers die young, so the
 * garbage collector never has to mark tens of megabytes of live buffers (with per-chunk buffers,
 * old-space collections every few hundred milliseconds were the produce path's worst tail).
 *
 * Views into the ring are valid only until the next `store`: readers copy what they keep across
 * an await (see PartitionReader) and the uploader copies synchronously.
 */
import { Deque } from './deque';

export interface CacheEntry {
  /** The cached bytes, or undefined once evicted. */
  payload: Buffer | undefined;
}

interface Slot {
  readonly entry: CacheEntry;
  readonly start: number;
  readonly end: number;
}

export class LogCache {
  private readonly ring: Buffer;
  private readonly slots = new Deque<Slot>();
  /** Where the next payload goes. */
  private head = 0;
  private usedBytes = 0;

  constructor(
    readonly capacityBytes: number,
    private readonly onEvict: (entry: CacheEntry) => void,
  ) {
    this.ring = Buffer.allocUnsafeSlow(Math.max(0, capacityBytes));
  }

  /** Bytes of live payloads in the ring. */
  get cachedBytes(): number {
    return this.usedBytes;
  }

  /**
   * Copies `payload` into the ring, evicting the oldest entries in its way, and sets
   * `entry.payload` to the copy. A payload larger than the ring is not cached.
   */
  store(entry: CacheEntry, payload: Buffer): void {
    const size = payload.length;
    if (size === 0 || size > this.capacityBytes) {
      entry.payload = undefined;
      return;
    }
    let start = this.head;
    if (start + size > this.capacityBytes) {
      // Skip the end of the ring: the entries still there are the oldest of all.
      for (let oldest = this.slots.peek(); oldest !== undefined && oldest.start >= this.head; oldest = this.slots.peek()) {
        this.evictOldest();
      }
      start = 0;
    }
    for (let oldest = this.slots.peek(); oldest !== undefined && oldest.start < start + size && oldest.end > start; oldest = this.slots.peek()) {
      this.evictOldest();
    }
    payload.copy(this.ring, start);
    entry.payload = this.ring.subarray(start, start + size);
    this.slots.push({ entry, start, end: start + size });
    this.usedBytes += size;
    this.head = start + size;
  }

  private evictOldest(): void {
    const slot = this.slots.shift()!;
    this.usedBytes -= slot.end - slot.start;
    slot.entry.payload = undefined;
    this.onEvict(slot.entry);
  }
}
