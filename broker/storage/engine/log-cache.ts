/**
 * The log cache: the recent tail of every partition, in one preallocated ring of memory.
 *
 * The ring is cut into regions in the order they are placed; making room evicts the oldest
 * regions and every chunk cached in them (their payload becomes undefined: they are read from the
 * WAL or the object store from then on). Memory is exactly the configured size, whatever the
 * traffic, and the cache holds no per-chunk buffers: the garbage collector never has to mark tens
 * of megabytes of live buffers (with per-chunk buffers, old-space collections every few hundred
 * milliseconds were the produce path's worst tail).
 *
 * A chunk's payload gets into the ring one of two ways:
 * - produce requests are read into the ring in the first place (`allocateFrame`): their records
 *   are cached where the socket read them (broker/server/direct-reads.ts), with no copy;
 * - any other payload (replayed from the WAL, or a request that had to take a buffer of its own)
 *   is copied in by `store`.
 *
 * Nothing is written over while someone relies on it, and the ring never waits: a frame's region
 * is held from its allocation until its request is done (`releaseFrame`), and the uploader pins the
 * payloads it writes an object from until the object is written (`pin`). A frame or payload whose
 * place is held or pinned is not put in the ring (the frame gets a buffer of its own; the payload
 * is read from the WAL when needed). Readers copy what they keep across an await (PartitionReader).
 */
import { Deque } from './deque';

export interface CacheEntry {
  /** The cached bytes, or undefined once evicted. */
  payload: Buffer | undefined;
}

/** Ring ranges a holder keeps from being written over: [start, end) each. */
type Pin = readonly { readonly start: number; readonly end: number }[];

/** A stretch of the ring [start, end): a frame read into it, or a payload copied in. */
interface Region {
  readonly start: number;
  readonly end: number;
  /** The chunks whose payloads lie in it. */
  readonly entries: CacheEntry[];
}

export class LogCache {
  private readonly ring: Buffer;
  private readonly regions = new Deque<Region>();
  /** Frames whose requests are not done: never evicted, never written over. */
  private readonly heldFrames = new Set<Region>();
  private readonly pins = new Set<Pin>();
  /** Where the next region goes. */
  private head = 0;
  private usedBytes = 0;
  private readonly counts = { framesInRing: 0, framesRefused: 0, payloadsRefused: 0 };

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
   * Frames read into the ring; frames and payloads refused a place because it was held or pinned
   * (those larger than the ring are not counted); frames held now (their requests in progress).
   */
  get statistics(): { framesInRing: number; framesRefused: number; payloadsRefused: number; framesHeld: number } {
    return { ...this.counts, framesHeld: this.heldFrames.size };
  }

  /**
   * A place in the ring for a request frame of `bytes`, held until `releaseFrame`; undefined when
   * there is none without writing over something held or pinned (or the frame is larger than the
   * ring).
   */
  allocateFrame(bytes: number): Buffer | undefined {
    const region = this.place(bytes);
    if (region === undefined) {
      if (bytes > 0 && bytes <= this.capacityBytes) this.counts.framesRefused++;
      return undefined;
    }
    this.heldFrames.add(region);
    this.counts.framesInRing++;
    return this.ring.subarray(region.start, region.end);
  }

  /** The request read into `frame` is done: its region may be evicted and reused. Other buffers are ignored. */
  releaseFrame(frame: Buffer): void {
    const region = this.heldRegionOf(frame);
    if (region !== undefined) this.heldFrames.delete(region);
  }

  /**
   * Caches `payload` for `entry` (sets `entry.payload`): where it lies when it is part of a held
   * frame, else as a copy, evicting the oldest regions in its way. A payload larger than the ring,
   * or whose place is held or pinned, is not cached.
   */
  store(entry: CacheEntry, payload: Buffer): void {
    let region = this.heldRegionOf(payload);
    if (region === undefined) {
      region = this.place(payload.length);
      if (region === undefined) {
        if (payload.length > 0 && payload.length <= this.capacityBytes) this.counts.payloadsRefused++;
        entry.payload = undefined;
        return;
      }
      payload.copy(this.ring, region.start);
      payload = this.ring.subarray(region.start, region.end);
    }
    entry.payload = payload;
    region.entries.push(entry);
    this.usedBytes += payload.length;
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

  /** A new region of `bytes` at the head, the oldest regions in its way evicted; undefined if it cannot be placed. */
  private place(bytes: number): Region | undefined {
    if (bytes === 0 || bytes > this.capacityBytes) return undefined;
    // The end of the ring is skipped when the region does not fit there; the regions still there
    // are the oldest of all and go first.
    const wraps = this.head + bytes > this.capacityBytes;
    const start = wraps ? 0 : this.head;
    if (this.isHeldOrPinned(start, start + bytes) || (wraps && this.isHeld(this.head, this.capacityBytes))) return undefined;
    if (wraps) {
      for (let oldest = this.regions.peek(); oldest !== undefined && oldest.start >= this.head; oldest = this.regions.peek()) {
        this.evictOldest();
      }
    }
    for (let oldest = this.regions.peek(); oldest !== undefined && oldest.start < start + bytes && oldest.end > start; oldest = this.regions.peek()) {
      this.evictOldest();
    }
    const region: Region = { start, end: start + bytes, entries: [] };
    this.regions.push(region);
    this.head = region.end;
    return region;
  }

  /** The held frame `view` lies in, if any. */
  private heldRegionOf(view: Buffer): Region | undefined {
    if (view.buffer !== this.ring.buffer || this.heldFrames.size === 0) return undefined;
    const start = view.byteOffset - this.ring.byteOffset;
    for (const region of this.heldFrames) {
      if (region.start <= start && start + view.length <= region.end) return region;
    }
    return undefined;
  }

  private isHeld(start: number, end: number): boolean {
    for (const region of this.heldFrames) if (region.start < end && region.end > start) return true;
    return false;
  }

  private isHeldOrPinned(start: number, end: number): boolean {
    if (this.isHeld(start, end)) return true;
    for (const pin of this.pins) {
      for (const range of pin) if (range.start < end && range.end > start) return true;
    }
    return false;
  }

  private evictOldest(): void {
    const region = this.regions.shift()!;
    for (const entry of region.entries) {
      this.usedBytes -= entry.payload?.length ?? 0;
      entry.payload = undefined;
      this.onEvict(entry);
    }
  }
}
