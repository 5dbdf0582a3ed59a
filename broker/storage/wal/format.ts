/**
 * The on-disk format of the write-ahead log: records in preallocated segment files reused in a
 * circle, and a header file holding the geometry and the trim point.
 *
 * Positions are logical: a record at logical position P lives in segment (P / segmentBytes) mod
 * segmentCount at byte P mod segmentBytes. Every record stores its own logical position, so a
 * record left over from an earlier lap (a smaller position) is never mistaken for a new one.
 * Records never span segments: when a record does not fit in the rest of a segment, a padding
 * record fills it; when fewer than RECORD_HEADER_BYTES remain, the reader skips to the next
 * segment without a record.
 *
 * Record (big-endian), RECORD_HEADER_BYTES then the payload:
 *   0 u32 length (header + payload)   4 u32 CRC-32C of bytes [8, length) (padding: [8, 64))
 *   8 u8 type   9 u8 version   10 u16 reserved   12 u32 record count (Kafka records in the payload)
 *   16 u64 logical position   24 i64 writer epoch   32 topic id (16 bytes)   48 i32 partition
 *   52 i64 base offset   60 u32 reserved
 * The payload of a data record is whole Kafka record batches with their offsets assigned.
 *
 * Epochs: each broker incarnation starts by writing an EPOCH_START record with its (higher) epoch;
 * every later record carries it. A reader follows the epoch through the log and stops at a record
 * whose epoch is not the current one: that is how stale bytes beyond a torn write, which an earlier
 * incarnation may have left after the point where recovery resumed writing, are told apart from
 * new records.
 *
 * Header file (`wal.header`): two HEADER_SLOT_BYTES slots written alternately (pwrite + fdatasync),
 * the valid one with the higher sequence wins, so a torn header write loses nothing:
 *   0 u32 magic 'DKWL'   4 u32 version   8 u64 header sequence   16 u64 segment bytes
 *   24 u32 segment count   28 u32 node id   32 u64 trim position   40 i64 epoch of the last opener
 *   48 u32 CRC-32C of [0, 48)
 */
import { crc32c } from '@node-rs/crc32';
import { crc32cCombine } from '../../protocol/crc32c-combine';

export const RECORD_HEADER_BYTES = 64;
export const RECORD_VERSION = 1;
export const HEADER_SLOT_BYTES = 4096;
export const HEADER_FILE = 'wal.header';
const HEADER_MAGIC = 0x444b574c; // 'DKWL'
const HEADER_VERSION = 1;
const HEADER_CRC_AT = 48;

export const enum RecordType {
  Data = 1,
  Padding = 2,
  EpochStart = 3,
}

export interface WalGeometry {
  readonly segmentBytes: number;
  readonly segmentCount: number;
}

export interface WalHeader extends WalGeometry {
  readonly sequence: number;
  readonly nodeId: number;
  /** Everything below this logical position is uploaded and may be overwritten. */
  readonly trim: number;
  readonly epoch: number;
}

/** The fields of a data record besides its position. */
export interface DataRecordFields {
  readonly epoch: number;
  /** 16 bytes. */
  readonly topicId: Buffer;
  readonly partition: number;
  readonly baseOffset: number;
  readonly recordCount: number;
}

export interface WalRecord extends DataRecordFields {
  readonly type: RecordType;
  readonly position: number;
  /** Header plus payload. */
  readonly length: number;
  readonly payload: Buffer;
}

export function segmentFileName(index: number): string {
  return `wal-${index.toString().padStart(4, '0')}.seg`;
}

export function capacityOf(geometry: WalGeometry): number {
  return geometry.segmentBytes * geometry.segmentCount;
}

export function locate(geometry: WalGeometry, position: number): { segment: number; offset: number } {
  return {
    segment: Math.floor(position / geometry.segmentBytes) % geometry.segmentCount,
    offset: position % geometry.segmentBytes,
  };
}

/** Where the next record starts when one of `length` bytes is to be placed at `position`. */
export function placement(
  geometry: WalGeometry,
  position: number,
  length: number,
): { start: number; paddingBytes: number } {
  const remaining = geometry.segmentBytes - (position % geometry.segmentBytes);
  if (length <= remaining) return { start: position, paddingBytes: 0 };
  return { start: position + remaining, paddingBytes: remaining };
}

/**
 * Encodes a record as its header (with the CRC over the rest of the header and the payload) and the
 * payload itself, which is written as is: no copy of the data on the hot path. `payloadCrc`, the
 * payload's CRC-32C when the caller has it already, spares reading the payload again.
 */
export function encodeRecord(
  type: RecordType,
  position: number,
  fields: DataRecordFields,
  payload: Buffer = EMPTY,
  payloadCrc?: number,
): [header: Buffer, payload: Buffer] {
  const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
  writeRecordHeader(header, type, position, RECORD_HEADER_BYTES + payload.length, fields);
  const headerCrc = crc32c(header.subarray(8));
  const crc = payloadCrc === undefined ? crc32c(payload, headerCrc) : crc32cCombine(headerCrc, payloadCrc, payload.length);
  header.writeUInt32BE(crc, 4);
  return [header, payload];
}

/** A padding record's header, claiming `length` bytes (only the header is written). */
export function encodePadding(position: number, length: number, epoch: number): Buffer {
  const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
  writeRecordHeader(header, RecordType.Padding, position, length, { ...NO_DATA, epoch });
  header.writeUInt32BE(crc32c(header.subarray(8)), 4);
  return header;
}

const EMPTY = Buffer.alloc(0);
const NO_TOPIC = Buffer.alloc(16);
export const NO_DATA: DataRecordFields = { epoch: 0, topicId: NO_TOPIC, partition: -1, baseOffset: -1, recordCount: 0 };

function writeRecordHeader(target: Buffer, type: RecordType, position: number, length: number, fields: DataRecordFields): void {
  target.writeUInt32BE(length, 0);
  target.writeUInt32BE(0, 4);
  target.writeUInt8(type, 8);
  target.writeUInt8(RECORD_VERSION, 9);
  target.writeUInt16BE(0, 10);
  target.writeUInt32BE(fields.recordCount, 12);
  target.writeBigUInt64BE(BigInt(position), 16);
  target.writeBigInt64BE(BigInt(fields.epoch), 24);
  fields.topicId.copy(target, 32, 0, 16);
  target.writeInt32BE(fields.partition, 48);
  target.writeBigInt64BE(BigInt(fields.baseOffset), 52);
  target.writeUInt32BE(0, 60);
}

/**
 * The header of the record expected at `position`, read from `source` at `at`, or undefined when
 * the bytes there are not a valid record header for that position (the end of the log).
 */
export function decodeRecordHeader(
  source: Buffer,
  at: number,
  position: number,
  maxLength: number,
): { type: RecordType; length: number; fields: DataRecordFields } | undefined {
  if (source.length - at < RECORD_HEADER_BYTES) return undefined;
  const length = source.readUInt32BE(at);
  const type = source.readUInt8(at + 8) as RecordType;
  if (length < RECORD_HEADER_BYTES || length > maxLength) return undefined;
  if (source.readUInt8(at + 9) !== RECORD_VERSION) return undefined;
  if (type !== RecordType.Data && type !== RecordType.Padding && type !== RecordType.EpochStart) return undefined;
  if (source.readBigUInt64BE(at + 16) !== BigInt(position)) return undefined;
  return {
    type,
    length,
    fields: {
      recordCount: source.readUInt32BE(at + 12),
      epoch: Number(source.readBigInt64BE(at + 24)),
      topicId: Buffer.from(source.subarray(at + 32, at + 48)),
      partition: source.readInt32BE(at + 48),
      baseOffset: Number(source.readBigInt64BE(at + 52)),
    },
  };
}

/** Whether the record's CRC matches: `bytes` is the whole record, or only its header for padding. */
export function recordCrcMatches(bytes: Buffer, type: RecordType): boolean {
  const covered = type === RecordType.Padding ? bytes.subarray(8, RECORD_HEADER_BYTES) : bytes.subarray(8);
  return crc32c(covered) === bytes.readUInt32BE(4);
}

export function encodeHeader(header: WalHeader): Buffer {
  const slot = Buffer.alloc(HEADER_SLOT_BYTES);
  slot.writeUInt32BE(HEADER_MAGIC, 0);
  slot.writeUInt32BE(HEADER_VERSION, 4);
  slot.writeBigUInt64BE(BigInt(header.sequence), 8);
  slot.writeBigUInt64BE(BigInt(header.segmentBytes), 16);
  slot.writeUInt32BE(header.segmentCount, 24);
  slot.writeUInt32BE(header.nodeId, 28);
  slot.writeBigUInt64BE(BigInt(header.trim), 32);
  slot.writeBigInt64BE(BigInt(header.epoch), 40);
  slot.writeUInt32BE(crc32c(slot.subarray(0, HEADER_CRC_AT)), HEADER_CRC_AT);
  return slot;
}

/** The newer valid slot of a header file's contents, or undefined when neither is valid. */
export function decodeHeader(file: Buffer): WalHeader | undefined {
  let best: WalHeader | undefined;
  for (let at = 0; at + HEADER_SLOT_BYTES <= file.length && at < 2 * HEADER_SLOT_BYTES; at += HEADER_SLOT_BYTES) {
    const slot = file.subarray(at, at + HEADER_SLOT_BYTES);
    if (slot.readUInt32BE(0) !== HEADER_MAGIC || slot.readUInt32BE(4) !== HEADER_VERSION) continue;
    if (crc32c(slot.subarray(0, HEADER_CRC_AT)) !== slot.readUInt32BE(HEADER_CRC_AT)) continue;
    const header: WalHeader = {
      sequence: Number(slot.readBigUInt64BE(8)),
      segmentBytes: Number(slot.readBigUInt64BE(16)),
      segmentCount: slot.readUInt32BE(24),
      nodeId: slot.readUInt32BE(28),
      trim: Number(slot.readBigUInt64BE(32)),
      epoch: Number(slot.readBigInt64BE(40)),
    };
    if (best === undefined || header.sequence > best.sequence) best = header;
  }
  return best;
}
