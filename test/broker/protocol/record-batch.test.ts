import { crc32c } from '@node-rs/crc32';
import { CorruptCompressedDataError } from '../../../broker/protocol/compression';
import {
  BatchAttribute,
  buildRecordBatch,
  readBatchHeader,
  readRecords,
  recordSetCrc32c,
  setBaseOffset,
  setCreateTime,
  setLogAppendTime,
  validateProducedRecords,
} from '../../../broker/protocol/record-batch';

describe('buildRecordBatch', () => {
  const records = [
    { key: 'k1', value: 'v1', timestamp: 1000n, headers: [{ key: 'h', value: 'x' }, { key: 'n', value: null }] },
    { key: null, value: null, timestamp: 1005n },
    { value: Buffer.alloc(300, 7), timestamp: 999n },
  ];

  test('builds a batch the broker accepts, with a valid CRC-32C', () => {
    const batch = buildRecordBatch(records);
    const [header] = validateProducedRecords(batch, 1_000_000);
    expect(header).toMatchObject({ magic: 2, recordCount: 3, lastOffsetDelta: 2, baseTimestamp: 1000n, maxTimestamp: 1005n });
    expect(header.sizeInBytes).toBe(batch.length);
    expect(header.crc).toBe(crc32c(batch.subarray(21)));
  });

  test('records read back with keys, null values, headers and absolute offsets', () => {
    const batch = buildRecordBatch(records, { baseOffset: 0n });
    setBaseOffset(batch, 40n);
    const read = readRecords(batch);
    expect(read.map((r) => r.offset)).toEqual([40n, 41n, 42n]);
    expect(read.map((r) => r.timestamp)).toEqual([1000n, 1005n, 999n]);
    expect(read[0].key?.toString()).toBe('k1');
    expect(read[0].value?.toString()).toBe('v1');
    expect(read[0].headers.map((h) => [h.key, h.value?.toString() ?? null])).toEqual([['h', 'x'], ['n', null]]);
    expect(read[1].key).toBeNull();
    expect(read[1].value).toBeNull();
    expect(read[2].value).toEqual(Buffer.alloc(300, 7));
  });

  test('carries producer id, epoch and sequence for idempotent batches', () => {
    const header = readBatchHeader(buildRecordBatch(records, { producerId: 77n, producerEpoch: 2, baseSequence: 10 }));
    expect([header.producerId, header.producerEpoch, header.baseSequence]).toEqual([77n, 2, 10]);
  });

  test('refuses what it cannot build', () => {
    expect(() => buildRecordBatch([])).toThrow('a record batch holds at least one record');
    expect(() => buildRecordBatch(records, { attributes: 1 })).toThrow('uncompressed batches only');
  });

  test('readRecords refuses a batch whose records do not decompress in its codec, or an unknown codec', () => {
    const batch = buildRecordBatch(records);
    batch.writeInt16BE(3, 21); // lz4, but the records are plain
    expect(() => readRecords(batch)).toThrow(CorruptCompressedDataError);
    batch.writeInt16BE(6, 21);
    expect(() => readRecords(batch)).toThrow('compression codec 6 cannot be decompressed here');
  });

  test('readRecords gives LogAppendTime batches the append time', () => {
    const batch = buildRecordBatch(records, { attributes: BatchAttribute.LogAppendTime });
    batch.writeBigInt64BE(5000n, 35);
    expect(readRecords(batch).map((r) => r.timestamp)).toEqual([5000n, 5000n, 5000n]);
  });
});

test('recordSetCrc32c is the CRC-32C of the whole record set, after the broker patches offsets and append times', () => {
  const batches = [1, 7, 300].map((count, b) =>
    buildRecordBatch(Array.from({ length: count }, (_, i) => ({ key: `k${b}-${i}`, value: 'v'.repeat((i * 13) % 200) }))),
  );
  const records = Buffer.concat(batches);
  expect(recordSetCrc32c(records)).toBe(crc32c(records));
  setBaseOffset(records, 1_000_000n, 0);
  setBaseOffset(records, 1_000_001n, batches[0].length);
  setLogAppendTime(records, 1_700_000_000_000n, batches[0].length + batches[1].length);
  expect(recordSetCrc32c(records)).toBe(crc32c(records));
  expect(recordSetCrc32c(Buffer.alloc(0))).toBe(crc32c(Buffer.alloc(0)));
});

test('setCreateTime sets the timestamps of a batch at one time and seals its changed records with a new CRC', () => {
  const batch = buildRecordBatch(Array.from({ length: 3 }, () => ({ key: Buffer.alloc(8), value: 'v' })), { baseTimestamp: 5n });
  const stored = Buffer.concat([Buffer.from('ahead'), batch]);
  const position = 5;
  stored.writeDoubleBE(1234.5, stored.indexOf(Buffer.alloc(8), position + 61));
  expect(() => validateProducedRecords(stored.subarray(position), 1 << 20)).toThrow(/CRC/);
  setCreateTime(stored, 1_700_000_000_123n, position);
  const [header] = validateProducedRecords(stored.subarray(position), 1 << 20);
  expect([header.baseTimestamp, header.maxTimestamp]).toEqual([1_700_000_000_123n, 1_700_000_000_123n]);
  const records = readRecords(stored, position);
  expect(records.map((r) => r.timestamp)).toEqual([1_700_000_000_123n, 1_700_000_000_123n, 1_700_000_000_123n]);
  expect(records[0].key!.readDoubleBE(0)).toBe(1234.5);
  expect(stored.subarray(0, position).toString()).toBe('ahead');
});

test('readRecords reads only the first `limit` records when asked', () => {
  const batch = buildRecordBatch(Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
  setBaseOffset(batch, 100n);
  expect(readRecords(batch, 0, 2).map((r) => [r.offset, r.value?.toString()])).toEqual([
    [100n, 'v0'],
    [101n, 'v1'],
  ]);
  expect(readRecords(batch)).toHaveLength(5);
});
