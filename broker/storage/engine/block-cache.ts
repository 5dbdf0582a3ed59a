/**
 * The block cache for cold reads: data objects are read in fixed-size blocks by ranged GETs, and
 * the most recently used blocks are kept up to a byte budget (least recently used evicted first).
 * Concurrent reads of the same block share one GET. Memory is bounded by the budget, plus the
 * blocks of reads in progress.
 */
import type { ObjectStore } from '../object-store';

export const DEFAULT_BLOCK_BYTES = 1024 * 1024;

export class BlockCache {
  private readonly blocks = new Map<string, Buffer>();
  private readonly loading = new Map<string, Promise<Buffer>>();
  private cachedBytes = 0;
  private readonly stats = { hits: 0, misses: 0 };

  constructor(
    private readonly store: ObjectStore,
    private readonly capacityBytes: number,
    private readonly blockBytes = DEFAULT_BLOCK_BYTES,
  ) {}

  get statistics(): { hits: number; misses: number; cachedBytes: number } {
    return { ...this.stats, cachedBytes: this.cachedBytes };
  }

  /** Bytes [start, end) of the object (of `objectSize` bytes), from cached blocks where possible. */
  async read(key: string, objectSize: number, start: number, end: number): Promise<Buffer> {
    const last = Math.min(end, objectSize);
    if (last <= start) return Buffer.alloc(0);
    const firstBlock = Math.floor(start / this.blockBytes);
    const lastBlock = Math.floor((last - 1) / this.blockBytes);
    if (firstBlock === lastBlock) {
      const block = await this.block(key, firstBlock, objectSize);
      const base = firstBlock * this.blockBytes;
      return block.subarray(start - base, last - base);
    }
    const pieces: Buffer[] = [];
    for (let index = firstBlock; index <= lastBlock; index++) {
      const block = await this.block(key, index, objectSize);
      const base = index * this.blockBytes;
      pieces.push(block.subarray(Math.max(start, base) - base, Math.min(last, base + block.length) - base));
    }
    return Buffer.concat(pieces);
  }

  /** Forgets the blocks of a deleted object. */
  evictObject(key: string): void {
    for (const id of [...this.blocks.keys()]) if (id.startsWith(`${key}#`)) this.remove(id);
  }

  private block(key: string, index: number, objectSize: number): Promise<Buffer> {
    const id = `${key}#${index}`;
    const cached = this.blocks.get(id);
    if (cached) {
      this.stats.hits++;
      // Re-insert: a Map iterates in insertion order, so the first entry is the least recently used.
      this.blocks.delete(id);
      this.blocks.set(id, cached);
      return Promise.resolve(cached);
    }
    const inFlight = this.loading.get(id);
    if (inFlight) return inFlight;
    this.stats.misses++;
    const start = index * this.blockBytes;
    const load = this.store
      .get(key, { start, end: Math.min(objectSize, start + this.blockBytes) })
      .then((block) => {
        this.insert(id, block);
        return block;
      })
      .finally(() => this.loading.delete(id));
    this.loading.set(id, load);
    return load;
  }

  private insert(id: string, block: Buffer): void {
    if (block.length > this.capacityBytes) return;
    this.blocks.set(id, block);
    this.cachedBytes += block.length;
    while (this.cachedBytes > this.capacityBytes) {
      const oldest = this.blocks.keys().next().value as string;
      this.remove(oldest);
    }
  }

  private remove(id: string): void {
    const block = this.blocks.get(id);
    if (block === undefined) return;
    this.blocks.delete(id);
    this.cachedBytes -= block.length;
  }
}
