/**
 * Data objects: what the uploader writes to `data/...` in the object store. One object holds the
 * WAL data of many partitions, each partition's batches contiguous (so a consumer of one partition
 * reads one range), followed by an index and a footer that make the object self-describing (the
 * metadata log holds the same positions; the index serves tools and audits).
 *
 *   [partition data ...] [index: INDEX_ENTRY_BYTES per part] [footer: FOOTER_BYTES]
 *   index entry: topic id (16) | partition i32 | base offset i64 | next offset i64 | position u64 |
 *                size u32 | max timestamp i64                                      (big-endian)
 *   footer: magic 'DKO1' | version u32 | index position u64 | part count u32 | index CRC-32C u32 | reserved u64
 */
import { crc32c } from '@node-rs/crc32';
import type { CommittedPart } from '../../metadata';

const MAGIC = 0x444b4f31; // 'DKO1'
const VERSION = 1;
export const INDEX_ENTRY_BYTES = 56;
export const FOOTER_BYTES = 32;

/** Where a partition's data lies in the object: the fields of a committed part without producers. */
export type DataObjectPart = Omit<CommittedPart, 'producers'>;

/** A partition's share of an object, before it is laid out. */
export interface PartitionExtent {
  readonly topicId: string;
  readonly partition: number;
  readonly baseOffset: number;
  readonly nextOffset: number;
  readonly maxTimestamp: number;
  /** Bytes of the partition's batches. */
  readonly size: number;
}

/**
 * Lays out an object for the extents, in order: where each partition's batches go, and the
 * object's trailer (index and footer), which follows the batches. The object is the batches in
 * order, then the trailer; a writer can gather it from the batches where they are.
 */
export function layOutDataObject(extents: readonly PartitionExtent[]): { parts: DataObjectPart[]; trailer: Buffer } {
  const parts: DataObjectPart[] = [];
  let position = 0;
  for (const extent of extents) {
    parts.push({
      topicId: extent.topicId,
      partition: extent.partition,
      baseOffset: extent.baseOffset,
      nextOffset: extent.nextOffset,
      position,
      size: extent.size,
      maxTimestamp: extent.maxTimestamp,
    });
    position += extent.size;
  }
  const trailer = Buffer.alloc(parts.length * INDEX_ENTRY_BYTES + FOOTER_BYTES);
  const index = trailer.subarray(0, parts.length * INDEX_ENTRY_BYTES);
  parts.forEach((part, i) => {
    const at = i * INDEX_ENTRY_BYTES;
    Buffer.from(part.topicId, 'hex').copy(index, at);
    index.writeInt32BE(part.partition, at + 16);
    index.writeBigInt64BE(BigInt(part.baseOffset), at + 20);
    index.writeBigInt64BE(BigInt(part.nextOffset), at + 28);
    index.writeBigUInt64BE(BigInt(part.position), at + 36);
    index.writeUInt32BE(part.size, at + 44);
    index.writeBigInt64BE(BigInt(part.maxTimestamp), at + 48);
  });
  const footer = trailer.subarray(index.length);
  footer.writeUInt32BE(MAGIC, 0);
  footer.writeUInt32BE(VERSION, 4);
  footer.writeBigUInt64BE(BigInt(position), 8);
  footer.writeUInt32BE(parts.length, 16);
  footer.writeUInt32BE(crc32c(index), 20);
  return { parts, trailer };
}

/** A whole object from each partition's batches (in memory already). */
export function encodeDataObject(
  partitions: readonly (Omit<PartitionExtent, 'size'> & { readonly payloads: readonly Buffer[] })[],
): { body: Buffer; parts: DataObjectPart[] } {
  const { parts, trailer } = layOutDataObject(
    partitions.map((data) => ({ ...data, size: data.payloads.reduce((sum, payload) => sum + payload.length, 0) })),
  );
  return { body: Buffer.concat([...partitions.flatMap((data) => data.payloads), trailer]), parts };
}

/** Reads the index of a whole data object; throws when the footer or index is damaged. */
export function decodeDataObjectIndex(body: Buffer): DataObjectPart[] {
  if (body.length < FOOTER_BYTES) throw new Error(`data object of ${body.length} bytes has no footer`);
  const footer = body.subarray(body.length - FOOTER_BYTES);
  if (footer.readUInt32BE(0) !== MAGIC || footer.readUInt32BE(4) !== VERSION) throw new Error('not a data object (bad magic)');
  const indexPosition = Number(footer.readBigUInt64BE(8));
  const count = footer.readUInt32BE(16);
  const index = body.subarray(indexPosition, indexPosition + count * INDEX_ENTRY_BYTES);
  if (index.length !== count * INDEX_ENTRY_BYTES || crc32c(index) !== footer.readUInt32BE(20)) {
    throw new Error('data object index is damaged');
  }
  return Array.from({ length: count }, (_, i) => {
    const at = i * INDEX_ENTRY_BYTES;
    return {
      topicId: index.subarray(at, at + 16).toString('hex'),
      partition: index.readInt32BE(at + 16),
      baseOffset: Number(index.readBigInt64BE(at + 20)),
      nextOffset: Number(index.readBigInt64BE(at + 28)),
      position: Number(index.readBigUInt64BE(at + 36)),
      size: index.readUInt32BE(at + 44),
      maxTimestamp: Number(index.readBigInt64BE(at + 48)),
    };
  });
}
