/**
 * The live state of one partition on this broker: the next offset to assign, the high watermark
 * (everything below it is durable in the WAL), the log start, the idempotent producers, and the
 * in-memory tail of WAL records (chunks) not yet dropped from memory.
 *
 * A chunk is one WAL data record: the batches of one append. It stays in the partition's tail
 * until it is both uploaded (committed to the object store) and evicted from the log cache; an
 * evicted chunk that is not uploaded yet keeps its place without its payload, which is then read
 * back from the WAL. So every offset of the partition is, in order of preference: in memory, in
 * the WAL, or in a committed object.
 */
import type { CacheEntry } from './log-cache';
import type { PartitionProducers, ProducerBatchWrite } from './producer-state';
import { Deque } from './deque';

export interface Chunk extends CacheEntry {
  readonly log: PartitionLog;
  readonly baseOffset: number;
  readonly nextOffset: number;
  readonly walPosition: number;
  /** The WAL record's length, header included. */
  readonly walLength: number;
  readonly payloadBytes: number;
  /** The payload's CRC-32C (see recordSetCrc32c): the upload's checksum is combined from these. */
  readonly payloadCrc: number;
  readonly maxTimestamp: number;
  readonly producerWrites: readonly ProducerBatchWrite[];
  /** When it entered the WAL queue (Date.now()), for the upload age threshold. */
  readonly placedAtMs: number;
  /**
   * The batches in the log cache's ring, or undefined once evicted (then read from the WAL or the
   * object store). A view: valid until the next append; copy before any await.
   */
  payload: Buffer | undefined;
  durable: boolean;
  uploaded: boolean;
}

export class PartitionLog {
  readonly topicIdBytes: Buffer;
  readonly chunks = new Deque<Chunk>();
  private readonly listeners = new Set<() => void>();
  /** Set when the topic is deleted: appends and fetches fail, pending chunks are skipped by the uploader. */
  deleted = false;

  constructor(
    readonly topic: string,
    readonly topicId: string,
    readonly partition: number,
    public nextOffset: number,
    public logStartOffset: number,
    public producers: PartitionProducers,
  ) {
    this.topicIdBytes = Buffer.from(topicId, 'hex');
    this.highWatermark = nextOffset;
  }

  /** Offsets below this are durable and visible to consumers. */
  highWatermark: number;

  /** Moves the high watermark up (never down) and wakes waiting fetches. */
  advanceHighWatermark(offset: number): void {
    if (offset <= this.highWatermark) return;
    this.highWatermark = offset;
    this.notify();
  }

  /** Calls `listener` on new data or a change of state (deletion); returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** The chunk holding `offset`, if it is still in the in-memory tail. */
  chunkHolding(offset: number): Chunk | undefined {
    const index = this.chunks.lastIndexWhere((chunk) => chunk.baseOffset <= offset);
    const chunk = this.chunks.at(index);
    return chunk !== undefined && chunk.nextOffset > offset ? chunk : undefined;
  }

  /** Forgets tail chunks that are uploaded and evicted: their data is served from objects now. */
  dropUploadedFront(): void {
    for (let front = this.chunks.peek(); front?.uploaded && front.payload === undefined; front = this.chunks.peek()) {
      this.chunks.shift();
    }
  }
}
