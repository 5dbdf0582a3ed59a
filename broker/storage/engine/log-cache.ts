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
 * Views into the ring are valid only until the next `store`, unless pinned: readers copy what they
 * keep across an await (see PartitionReader); the uploader pins the views it writes an object from
 * until the object is written. A payload whose place in the ring is pinned is not cached (it is
 * read from the WAL when needed): the ring never waits, and a pinned byte is never written over.
 */
import { Deque } from './deque';

export interface CacheEntry {
  /** The cached bytes, or undefined once evicted. */
  payload: Buffer | undefined;
}

/** Ring ranges a holder keeps from being written over: [start, end) each. */
type Pin = readonly { readonly start: number; readonly end: number }[];

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
  private readonly pins = new Set<Pin>();
  private skippedWhilePinned = 0;

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

  /** Payloads not cached because their place in the ring was pinned. */
  get uncachedBecausePinned(): number {
    return this.skippedWhilePinned;
  }

  /**
   * Keeps the ring's bytes under `views` (payloads this cache gave out; others are ignored) from
   * being written over until the returned release is called.
   */
  pin(views: readonly Buffer[]): () => void {
    const ranges: { start: number; end: number }[] = [];
    for (const view of views) {
      if (view.buffer !== this.ring.buffer || view.length === 0) continue;
      const start = view.byteOffset - this.ring.byteOffset;
      const end = start + view.length;
      const last = ranges[ranges.length - 1];
      // Views come in ring order but for the wrap: one range per lap, covering the gaps between them.
      if (last !== undefined && start >= last.start) last.end = Math.max(last.end, end);
      else ranges.push({ start, end });
    }
    if (ranges.length === 0) return () => {};
    this.pins.add(ranges);
    return () => void this.pins.delete(ranges);
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
    // The end of the ring is skipped when the payload does not fit there.
    const wraps = this.head + size > this.capacityBytes;
    const start = wraps ? 0 : this.head;
    if (this.isPinned(start, start + size)) {
      entry.payload = undefined;
      this.skippedWhilePinned++;
      return;
    }
    if (wraps) {
      // The entries still at the end are the oldest of all.
      for (let oldest = this.slots.peek(); oldest !== undefined && oldest.start >= this.head; oldest = this.slots.peek()) {
        this.evictOldest();
      }
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

  private isPinned(start: number, end: number): boolean {
    for (const pin of this.pins) {
      for (const range of pin) if (range.start < end && range.end > start) return true;
    }
    return false;
  }

  private evictOldest(): void {
    const slot = this.slots.shift()!;
    this.usedBytes -= slot.end - slot.start;
    slot.entry.payload = undefined;
    this.onEvict(slot.entry);
  }
}
