import { crc32c } from '@node-rs/crc32';
import {
  BatchAttribute,
  buildRecordBatch,
  readBatchHeader,
  readRecords,
  setBaseOffset,
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

  test('readRecords refuses compressed batches', () => {
    const batch = buildRecordBatch(records);
    batch.writeInt16BE(2, 21); // snappy
    expect(() => readRecords(batch)).toThrow('is compressed (codec 2)');
  });

  test('readRecords gives LogAppendTime batches the append time', () => {
    const batch = buildRecordBatch(records, { attributes: BatchAttribute.LogAppendTime });
    batch.writeBigInt64BE(5000n, 35);
    expect(readRecords(batch).map((r) => r.timestamp)).toEqual([5000n, 5000n, 5000n]);
  });
});
