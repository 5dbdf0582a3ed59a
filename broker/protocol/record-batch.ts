/**
 * Record batch v2 (magic 2) headers: read, validate and patch them without touching the records.
 *
 * The broker stores produced batches opaque. It only reads the fixed 61-byte header, checks it the
 * way Kafka's broker does, and sets the base offset (which lies outside the CRC, so patching it
 * keeps the batch valid). Layout (kafka.apache.org/documentation, "Record Batch"):
 *
 *   baseOffset int64 @0 | batchLength int32 @8 | partitionLeaderEpoch int32 @12 | magic int8 @16
 *   crc uint32 @17 | attributes int16 @21 | lastOffsetDelta int32 @23 | baseTimestamp int64 @27
 *   maxTimestamp int64 @35 | producerId int64 @43 | producerEpoch int16 @51
 *   baseSequence int32 @53 | recordCount int32 @57 | records @61
 *
 * The CRC-32C covers attributes to the end of the batch.
 */
import { crc32c } from '@node-rs/crc32';
import { decompress } from './compression';
import { crc32cCombine } from './crc32c-combine';
import { ErrorCode, KafkaError } from './error-codes';
import { Reader, Writer } from './primitives';

export const BATCH_HEADER_BYTES = 61;
/** baseOffset + batchLength: the bytes that batchLength does not count. */
export const BATCH_LOG_OVERHEAD = 12;

const OFFSET = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
} as const;

const CRC_START = OFFSET.attributes;

export const enum BatchAttribute {
  CompressionMask = 0x07,
  LogAppendTime = 0x08,
  Transactional = 0x10,
  Control = 0x20,
}

export interface RecordBatchHeader {
  readonly baseOffset: bigint;
  /** Total size of the batch in bytes, header included. */
  readonly sizeInBytes: number;
  readonly partitionLeaderEpoch: number;
  readonly magic: number;
  readonly crc: number;
  readonly attributes: number;
  readonly lastOffsetDelta: number;
  readonly baseTimestamp: bigint;
  readonly maxTimestamp: bigint;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordCount: number;
}

/** Reads the header of the batch starting at `position`. The buffer must hold the whole header. */
export function readBatchHeader(buffer: Buffer, position = 0): RecordBatchHeader {
  const at = (field: number): number => position + field;
  return {
    baseOffset: buffer.readBigInt64BE(at(OFFSET.baseOffset)),
    sizeInBytes: buffer.readInt32BE(at(OFFSET.batchLength)) + BATCH_LOG_OVERHEAD,
    partitionLeaderEpoch: buffer.readInt32BE(at(OFFSET.partitionLeaderEpoch)),
    magic: buffer.readInt8(at(OFFSET.magic)),
    crc: buffer.readUInt32BE(at(OFFSET.crc)),
    attributes: buffer.readInt16BE(at(OFFSET.attributes)),
    lastOffsetDelta: buffer.readInt32BE(at(OFFSET.lastOffsetDelta)),
    baseTimestamp: buffer.readBigInt64BE(at(OFFSET.baseTimestamp)),
    maxTimestamp: buffer.readBigInt64BE(at(OFFSET.maxTimestamp)),
    producerId: buffer.readBigInt64BE(at(OFFSET.producerId)),
    producerEpoch: buffer.readInt16BE(at(OFFSET.producerEpoch)),
    baseSequence: buffer.readInt32BE(at(OFFSET.baseSequence)),
    recordCount: buffer.readInt32BE(at(OFFSET.recordCount)),
  };
}

/** The CRC-32C the batch at `position` (of `sizeInBytes` bytes) should carry. */
export function computeBatchCrc(buffer: Buffer, position: number, sizeInBytes: number): number {
  return crc32c(buffer.subarray(position + CRC_START, position + sizeInBytes));
}

/** Sets the CRC of the batch at `position` (of `sizeInBytes` bytes) after its covered bytes changed. */
function resealBatch(buffer: Buffer, position: number, sizeInBytes: number): void {
  buffer.writeUInt32BE(computeBatchCrc(buffer, position, sizeInBytes), position + OFFSET.crc);
}

/**
 * The CRC-32C of a whole record set, from each batch's own CRC field (which covers all but the
 * batch's first 21 bytes) and a CRC of those 21 bytes: no pass over the records. Valid for batches
 * whose CRC field the broker has checked or set (produced and validated, or written by it).
 */
export function recordSetCrc32c(records: Buffer): number {
  let crc = 0;
  let position = 0;
  while (position < records.length) {
    const size = records.readInt32BE(position + OFFSET.batchLength) + BATCH_LOG_OVERHEAD;
    const batchCrc = crc32cCombine(crc32c(records.subarray(position, position + CRC_START)), records.readUInt32BE(position + OFFSET.crc), size - CRC_START);
    crc = crc32cCombine(crc, batchCrc, size);
    position += size;
  }
  return crc;
}

/**
 * Splits a produce request's record set into its batches and validates each one as Kafka's broker
 * does. Throws KafkaError with the code Kafka would return: CORRUPT_MESSAGE for a truncated batch,
 * a bad CRC or an inconsistent record count; UNSUPPORTED_FOR_MESSAGE_FORMAT for magic other than 2;
 * MESSAGE_TOO_LARGE above `maxBatchBytes`; INVALID_REQUEST for control batches or a nonzero base
 * offset.
 */
export function validateProducedRecords(records: Buffer, maxBatchBytes: number): RecordBatchHeader[] {
  const headers: RecordBatchHeader[] = [];
  let position = 0;
  while (position < records.length) {
    if (records.length - position < BATCH_HEADER_BYTES) {
      throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `truncated batch header at byte ${position}`);
    }
    const header = readBatchHeader(records, position);
    if (header.magic !== 2) {
      throw new KafkaError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `magic ${header.magic}; only magic 2 is supported`);
    }
    if (header.sizeInBytes < BATCH_HEADER_BYTES || position + header.sizeInBytes > records.length) {
      throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `batch at byte ${position} claims ${header.sizeInBytes} bytes`);
    }
    if (header.sizeInBytes > maxBatchBytes) {
      throw new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${header.sizeInBytes} bytes exceeds ${maxBatchBytes}`);
    }
    if (computeBatchCrc(records, position, header.sizeInBytes) !== header.crc) {
      throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `CRC mismatch in batch at byte ${position}`);
    }
    if (header.recordCount <= 0 || header.lastOffsetDelta + 1 !== header.recordCount) {
      throw new KafkaError(
        ErrorCode.CORRUPT_MESSAGE,
        `record count ${header.recordCount} does not match last offset delta ${header.lastOffsetDelta}`,
      );
    }
    if ((header.attributes & BatchAttribute.Control) !== 0) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, 'clients may not produce control batches');
    }
    if (header.baseOffset !== 0n) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `client batches carry base offset 0, got ${header.baseOffset}`);
    }
    headers.push(header);
    position += header.sizeInBytes;
  }
  if (headers.length === 0) {
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'empty record set');
  }
  return headers;
}

/** Sets the base offset of the batch at `position`; the CRC stays valid (the field is outside it). */
export function setBaseOffset(buffer: Buffer, baseOffset: bigint, position = 0): void {
  buffer.writeBigInt64BE(baseOffset, position + OFFSET.baseOffset);
}

/** Sets the partition leader epoch of the batch at `position` (also outside the CRC). */
export function setPartitionLeaderEpoch(buffer: Buffer, epoch: number, position = 0): void {
  buffer.writeInt32BE(epoch, position + OFFSET.partitionLeaderEpoch);
}

/**
 * Rewrites maxTimestamp for LogAppendTime topics and recomputes the CRC, which covers that field.
 */
export function setLogAppendTime(buffer: Buffer, timestampMs: bigint, position = 0): void {
  const header = readBatchHeader(buffer, position);
  buffer.writeInt16BE(header.attributes | BatchAttribute.LogAppendTime, position + OFFSET.attributes);
  buffer.writeBigInt64BE(timestampMs, position + OFFSET.maxTimestamp);
  resealBatch(buffer, position, header.sizeInBytes);
}

/**
 * Sets the create time of the batch at `position` whose records all carry its base timestamp
 * (timestamp deltas of 0): its base and max timestamps, then its CRC, which covers them and any
 * other change the caller made to the batch's records.
 */
export function setCreateTime(buffer: Buffer, timestampMs: bigint, position = 0): void {
  const sizeInBytes = BATCH_LOG_OVERHEAD + buffer.readInt32BE(position + OFFSET.batchLength);
  buffer.writeBigInt64BE(timestampMs, position + OFFSET.baseTimestamp);
  buffer.writeBigInt64BE(timestampMs, position + OFFSET.maxTimestamp);
  resealBatch(buffer, position, sizeInBytes);
}

/** Iterates the whole batches of a stored record set (which holds only whole batches). */
export function* batchesOf(records: Buffer): Generator<{ position: number; header: RecordBatchHeader }> {
  let position = 0;
  while (position + BATCH_HEADER_BYTES <= records.length) {
    const header = readBatchHeader(records, position);
    if (position + header.sizeInBytes > records.length) return;
    yield { position, header };
    position += header.sizeInBytes;
  }
}

// ---------------------------------------------------------------------------------------------
// Building and reading records (uncompressed batches): for tests, and for the broker's own
// internal records (e.g. the group coordinator's offsets in __consumer_offsets). Client batches
// are never rebuilt: they are stored as they came.
//
// Record layout (varints are zig-zag): length varint | attributes int8 | timestampDelta varlong |
// offsetDelta varint | keyLength varint | key | valueLength varint | value | headerCount varint |
// headers (keyLength varint | key | valueLength varint | value); length -1 means null.

export interface RecordHeaderInput {
  readonly key: string;
  readonly value: Buffer | string | null;
}

export interface RecordInput {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: readonly RecordHeaderInput[];
  /** Milliseconds since the epoch; defaults to the batch's base timestamp. */
  readonly timestamp?: bigint;
}

export interface RecordBatchOptions {
  readonly baseOffset?: bigint;
  /** Defaults to the first record's timestamp, else now. */
  readonly baseTimestamp?: bigint;
  /** Idempotent producers set these; -1 means none. */
  readonly producerId?: bigint;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  readonly partitionLeaderEpoch?: number;
  /** BatchAttribute flags (no compression: the builder writes records uncompressed). */
  readonly attributes?: number;
}

export interface DecodedRecord {
  readonly offset: bigint;
  readonly timestamp: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly { readonly key: string; readonly value: Buffer | null }[];
}

const toBytes = (value: Buffer | string | null | undefined): Buffer | null =>
  value === null || value === undefined ? null : typeof value === 'string' ? Buffer.from(value) : value;

function writeNullableBytes(writer: Writer, bytes: Buffer | null): void {
  if (bytes === null) writer.varint(-1);
  else writer.varint(bytes.length).raw(bytes);
}

/** Builds a valid record batch v2 (correct lengths, counts and CRC-32C) from records. */
export function buildRecordBatch(records: readonly RecordInput[], options: RecordBatchOptions = {}): Buffer {
  if (records.length === 0) throw new RangeError('a record batch holds at least one record');
  if (((options.attributes ?? 0) & BatchAttribute.CompressionMask) !== 0) {
    throw new RangeError('buildRecordBatch writes uncompressed batches only');
  }
  const baseTimestamp = options.baseTimestamp ?? records[0].timestamp ?? BigInt(Date.now());
  let maxTimestamp = baseTimestamp;
  const body = new Writer();
  records.forEach((record, offsetDelta) => {
    const timestamp = record.timestamp ?? baseTimestamp;
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    const fields = new Writer().int8(0).varlong(timestamp - baseTimestamp).varint(offsetDelta);
    writeNullableBytes(fields, toBytes(record.key));
    writeNullableBytes(fields, toBytes(record.value));
    const headers = record.headers ?? [];
    fields.varint(headers.length);
    for (const header of headers) {
      writeNullableBytes(fields, Buffer.from(header.key));
      writeNullableBytes(fields, toBytes(header.value));
    }
    body.varint(fields.length);
    for (const chunk of fields.toChunks()) body.raw(chunk);
  });
  const recordBytes = body.toBuffer();
  const batch = Buffer.alloc(BATCH_HEADER_BYTES + recordBytes.length);
  batch.writeBigInt64BE(options.baseOffset ?? 0n, OFFSET.baseOffset);
  batch.writeInt32BE(batch.length - BATCH_LOG_OVERHEAD, OFFSET.batchLength);
  batch.writeInt32BE(options.partitionLeaderEpoch ?? -1, OFFSET.partitionLeaderEpoch);
  batch.writeInt8(2, OFFSET.magic);
  batch.writeInt16BE(options.attributes ?? 0, OFFSET.attributes);
  batch.writeInt32BE(records.length - 1, OFFSET.lastOffsetDelta);
  batch.writeBigInt64BE(baseTimestamp, OFFSET.baseTimestamp);
  batch.writeBigInt64BE(maxTimestamp, OFFSET.maxTimestamp);
  batch.writeBigInt64BE(options.producerId ?? -1n, OFFSET.producerId);
  batch.writeInt16BE(options.producerEpoch ?? -1, OFFSET.producerEpoch);
  batch.writeInt32BE(options.baseSequence ?? -1, OFFSET.baseSequence);
  batch.writeInt32BE(records.length, OFFSET.recordCount);
  recordBytes.copy(batch, BATCH_HEADER_BYTES);
  resealBatch(batch, 0, batch.length);
  return batch;
}

function readNullableBytes(reader: Reader): Buffer | null {
  const length = reader.varint();
  return length < 0 ? null : reader.raw(length);
}

/** The most a compressed batch's records may decompress to before readRecords refuses it. */
export const DECOMPRESSED_RECORDS_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The records of the batch at `position` (the first `limit` of them), with absolute offsets and
 * timestamps. A compressed batch is decompressed first (compression.ts: CorruptCompressedDataError
 * for bad data, RangeError for a codec this runtime cannot decompress).
 */
export function readRecords(buffer: Buffer, position = 0, limit = Number.POSITIVE_INFINITY): DecodedRecord[] {
  const header = readBatchHeader(buffer, position);
  const codec = header.attributes & BatchAttribute.CompressionMask;
  const section = buffer.subarray(position + BATCH_HEADER_BYTES, position + header.sizeInBytes);
  const reader = new Reader(codec === 0 ? section : decompress(codec, section, DECOMPRESSED_RECORDS_MAX_BYTES));
  const records: DecodedRecord[] = [];
  for (let i = 0; i < Math.min(header.recordCount, limit); i++) {
    const length = reader.varint();
    const record = new Reader(reader.raw(length));
    record.int8(); // attributes: unused in v2
    const createTime = header.baseTimestamp + record.varlong();
    // With LogAppendTime every record carries the broker's append time, kept in maxTimestamp.
    const timestamp = (header.attributes & BatchAttribute.LogAppendTime) !== 0 ? header.maxTimestamp : createTime;
    const offset = header.baseOffset + BigInt(record.varint());
    const key = readNullableBytes(record);
    const value = readNullableBytes(record);
    const headers = Array.from({ length: record.varint() }, () => ({
      key: readNullableBytes(record)?.toString('utf8') ?? '',
      value: readNullableBytes(record),
    }));
    records.push({ offset, timestamp, key, value, headers });
  }
  return records;
}
