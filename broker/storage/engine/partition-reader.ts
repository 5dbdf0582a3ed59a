/**
 * Reads a partition's batches from wherever they are: the in-memory tail, the WAL (a chunk evicted
 * before upload), or committed objects through the block cache. Reads return whole batches
 * starting with the one that holds the requested offset, as Kafka does.
 */
import {
  BATCH_HEADER_BYTES,
  BatchAttribute,
  readBatchHeader,
  readRecords,
  type DecodedRecord,
  type RecordBatchHeader,
} from '../../protocol/record-batch';
import { canDecompress } from '../../protocol/compression';
import type { Segment } from '../../metadata';
import type { BlockCache } from './block-cache';
import type { Chunk, PartitionLog } from './partition-log';

/** Batches laid out in [start, end) of some bytes. */
interface BatchSource {
  readonly start: number;
  readonly end: number;
  headerAt(position: number): Promise<RecordBatchHeader>;
  bytes(start: number, end: number): Promise<Buffer>;
}

export interface ReadLimits {
  readonly maxBytes: number;
  /** Return the first batch even if it is larger than maxBytes (Kafka does for the first partition with data). */
  readonly atLeastOneBatch: boolean;
}

export interface ReaderDependencies {
  /** The committed segments of the partition, in offset order. */
  segmentsOf(log: PartitionLog): readonly Segment[];
  objectSize(key: string): number | undefined;
  readonly blocks: BlockCache;
  /** A chunk's payload read back from the WAL. */
  readWal(chunk: Chunk): Promise<Buffer>;
}

/** Where a sequential consumer's last read ended inside an object, so the next read need not scan. */
interface ReadHint {
  readonly nextOffset: number;
  readonly position: number;
}

export class PartitionReader {
  private readonly hints = new Map<string, ReadHint>();

  constructor(private readonly dependencies: ReaderDependencies) {}

  /** Whole batches from `fromOffset` up to the high watermark within the limits (possibly none). */
  async read(log: PartitionLog, fromOffset: number, limits: ReadLimits): Promise<Buffer[]> {
    const pieces: Buffer[] = [];
    let bytes = 0;
    let offset = fromOffset;
    const highWatermark = log.highWatermark;
    while (offset < highWatermark) {
      const room = limits.maxBytes - bytes;
      const oversizeAllowed = limits.atLeastOneBatch && bytes === 0;
      if (room <= 0 && !oversizeAllowed) break;
      const piece = await this.readFrom(log, offset, highWatermark, room, oversizeAllowed);
      if (piece === undefined || piece.bytes.length === 0) break;
      pieces.push(piece.bytes);
      bytes += piece.bytes.length;
      offset = piece.nextOffset;
    }
    return pieces;
  }

  /** The first offset at or after `timestamp` (ms) and its timestamp, or undefined when none is. */
  async offsetForTimestamp(log: PartitionLog, timestamp: number): Promise<{ offset: number; timestamp: number } | undefined> {
    // Committed segments first, then the in-memory tail above them, in offset order.
    const sources: { source: BatchSource; maxTimestamp: number }[] = [];
    const segments = this.dependencies.segmentsOf(log);
    for (const segment of segments) {
      if (segment.nextOffset <= log.logStartOffset) continue;
      const source = this.segmentSource(segment);
      if (source) sources.push({ source, maxTimestamp: segment.maxTimestamp });
    }
    const committedEnd = segments.length > 0 ? segments[segments.length - 1].nextOffset : 0;
    for (const chunk of log.chunks) {
      if (chunk.nextOffset > log.highWatermark) break;
      if (chunk.nextOffset <= committedEnd) continue;
      sources.push({ source: this.chunkSource(chunk), maxTimestamp: chunk.maxTimestamp });
    }
    for (const { source, maxTimestamp } of sources) {
      if (maxTimestamp < timestamp) continue;
      for (let position = source.start; position < source.end; ) {
        const header = await source.headerAt(position);
        const lastOffset = Number(header.baseOffset) + header.lastOffsetDelta;
        if (Number(header.maxTimestamp) >= timestamp && lastOffset >= log.logStartOffset) {
          const found = await this.firstRecordAtOrAfter(source, position, header, timestamp, log.logStartOffset);
          if (found) return found;
        }
        position += header.sizeInBytes;
      }
    }
    return undefined;
  }

  /** Forgets read hints of a deleted object. */
  forgetObject(key: string): void {
    for (const hintKey of this.hints.keys()) if (hintKey.startsWith(`${key}|`)) this.hints.delete(hintKey);
  }

  private async readFrom(
    log: PartitionLog,
    offset: number,
    highWatermark: number,
    room: number,
    oversizeAllowed: boolean,
  ): Promise<{ bytes: Buffer; nextOffset: number } | undefined> {
    const chunk = log.chunkHolding(offset);
    if (chunk !== undefined) {
      if (chunk.nextOffset > highWatermark) return undefined;
      return takeBatches(this.chunkSource(chunk), undefined, offset, room, oversizeAllowed);
    }
    const segments = this.dependencies.segmentsOf(log);
    const segment = segmentHolding(segments, offset);
    if (segment === undefined) return undefined;
    const source = this.segmentSource(segment);
    if (source === undefined) return undefined;
    const hintKey = `${segment.objectKey}|${log.topicId}:${log.partition}`;
    const hint = this.hints.get(hintKey);
    const taken = await takeBatches(source, hint?.nextOffset === offset ? hint.position : undefined, offset, room, oversizeAllowed);
    if (taken.bytes.length > 0) this.hints.set(hintKey, { nextOffset: taken.nextOffset, position: taken.endPosition });
    return taken;
  }

  private chunkSource(chunk: Chunk): BatchSource {
    let payload: Promise<Buffer> | undefined;
    // The cached payload is a view into the log cache's ring, which the next append may overwrite: copy it.
    const load = (): Promise<Buffer> =>
      (payload ??= chunk.payload ? Promise.resolve(Buffer.from(chunk.payload)) : this.dependencies.readWal(chunk));
    return {
      start: 0,
      end: chunk.payloadBytes,
      headerAt: async (position) => readBatchHeader(await load(), position),
      bytes: async (start, end) => (await load()).subarray(start, end),
    };
  }

  private segmentSource(segment: Segment): BatchSource | undefined {
    const objectSize = this.dependencies.objectSize(segment.objectKey);
    if (objectSize === undefined) return undefined;
    const { blocks } = this.dependencies;
    return {
      start: segment.position,
      end: segment.position + segment.size,
      headerAt: async (position) =>
        readBatchHeader(await blocks.read(segment.objectKey, objectSize, position, position + BATCH_HEADER_BYTES)),
      bytes: (start, end) => blocks.read(segment.objectKey, objectSize, start, end),
    };
  }

  private async firstRecordAtOrAfter(
    source: BatchSource,
    position: number,
    header: RecordBatchHeader,
    timestamp: number,
    logStartOffset: number,
  ): Promise<{ offset: number; timestamp: number } | undefined> {
    // Where the records cannot be read: the batch's first offset and its max timestamp.
    const batchStart = { offset: Math.max(Number(header.baseOffset), logStartOffset), timestamp: Number(header.maxTimestamp) };
    if (!canDecompress(header.attributes & BatchAttribute.CompressionMask)) return batchStart; // zstd before Node.js 22.15
    // As Kafka does, the exact record, decompressing the batch if need be (only this one batch).
    const batch = await source.bytes(position, position + header.sizeInBytes);
    let records: DecodedRecord[];
    try {
      records = readRecords(batch);
    } catch {
      // Produce checks a batch's CRC and header, not that its records decode (nor decompress):
      // a client's malformed batch must not fail ListOffsets for everyone else.
      return batchStart;
    }
    for (const record of records) {
      if (Number(record.timestamp) >= timestamp && Number(record.offset) >= logStartOffset) {
        return { offset: Number(record.offset), timestamp: Number(record.timestamp) };
      }
    }
    return undefined;
  }
}

/**
 * Whole batches of `source` from the one holding `offset` (scanning from `startHint` or the
 * start), within `room` bytes (or one larger batch when allowed).
 */
async function takeBatches(
  source: BatchSource,
  startHint: number | undefined,
  offset: number,
  room: number,
  oversizeAllowed: boolean,
): Promise<{ bytes: Buffer; nextOffset: number; endPosition: number }> {
  let start = startHint ?? source.start;
  let nextOffset = offset;
  for (; start < source.end; ) {
    const header = await source.headerAt(start);
    if (Number(header.baseOffset) + header.lastOffsetDelta >= offset) break;
    start += header.sizeInBytes;
  }
  let end = start;
  while (end < source.end) {
    const header = await source.headerAt(end);
    const taken = end - start;
    if (taken + header.sizeInBytes > room && !(taken === 0 && oversizeAllowed)) break;
    end += header.sizeInBytes;
    nextOffset = Number(header.baseOffset) + header.lastOffsetDelta + 1;
  }
  const bytes = end > start ? await source.bytes(start, end) : Buffer.alloc(0);
  return { bytes, nextOffset, endPosition: end };
}

function segmentHolding(segments: readonly Segment[], offset: number): Segment | undefined {
  let low = 0;
  let high = segments.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const segment = segments[middle];
    if (offset < segment.baseOffset) high = middle - 1;
    else if (offset >= segment.nextOffset) low = middle + 1;
    else return segment;
  }
  return undefined;
}
