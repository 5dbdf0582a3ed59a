/** The latency run's requests: copies of a template, stamped at each send (produce) or given their offset (fetch). */
import { fetchRequests, StampedProduceRequests } from '../../bench/workloads';
import { FetchRequest } from '../../broker/protocol/messages/fetch';
import { RequestHeader } from '../../broker/protocol/messages/header';
import { ProduceRequest } from '../../broker/protocol/messages/produce';
import { Reader } from '../../broker/protocol/primitives';
import { readRecords, validateProducedRecords } from '../../broker/protocol/record-batch';
import { decodeMessage } from '../../broker/protocol/schema';

/** The header and the reader at the body of a whole request frame (size prefix, header v1). */
function openFrame(frame: Buffer) {
  expect(frame.readInt32BE(0)).toBe(frame.length - 4);
  const reader = new Reader(frame.subarray(4));
  return { header: decodeMessage(RequestHeader, 1, reader), reader };
}

function decodeFrame(frame: Buffer) {
  const { header, reader } = openFrame(frame);
  return { header, body: decodeMessage(ProduceRequest, 8, reader) };
}

test('each request is a valid produce request whose first record carries its send time, whatever the record count', () => {
  const value = Buffer.alloc(1000, 0x61);
  const requests = new StampedProduceRequests('latency', value);
  const sentAt = 1_700_000_000_123.25;
  const first = requests.frame(13, sentAt);
  const firstCopy = Buffer.from(first);
  for (const [count, at] of [
    [13, sentAt + 1.5],
    [1, sentAt + 2],
    [200, sentAt + 3.75],
  ]) {
    const { header, body } = decodeFrame(requests.frame(count, at));
    expect([header.requestApiKey, header.requestApiVersion]).toEqual([0, 8]);
    expect(body.acks).toBe(-1);
    expect(body.topicData).toHaveLength(1);
    expect(body.topicData[0].name).toBe('latency');
    const [partition] = body.topicData[0].partitionData;
    expect(partition.index).toBe(0);
    // The broker's own validation: magic, CRC-32C, record count.
    const [batch] = validateProducedRecords(partition.records!, 1 << 20);
    expect(batch.recordCount).toBe(count);
    expect(batch.baseTimestamp).toBe(BigInt(Math.floor(at)));
    expect(batch.maxTimestamp).toBe(BigInt(Math.floor(at)));
    expect(requests.batchBytes(count)).toBe(partition.records!.length);
    const records = readRecords(partition.records!);
    expect(records[0].key!.readDoubleBE(0)).toBe(at);
    expect(records.every((r) => r.value!.equals(value) && r.timestamp === BigInt(Math.floor(at)))).toBe(true);
  }
  // A request is a copy: making the next ones changed nothing in it.
  expect(first.equals(firstCopy)).toBe(true);
  expect(readRecords(decodeFrame(first).body.topicData[0].partitionData[0].records!)[0].key!.readDoubleBE(0)).toBe(sentAt);
});

test('each fetch is the same long-polling request of partition 0 at its own offset', () => {
  const fetchAt = fetchRequests('latency');
  const first = fetchAt(0n);
  for (const offset of [0n, 1n, 123_456_789_012n]) {
    const { header, reader } = openFrame(fetchAt(offset));
    expect([header.requestApiKey, header.requestApiVersion]).toEqual([1, 11]);
    const body = decodeMessage(FetchRequest, 11, reader);
    expect([body.replicaId, body.maxWaitMs, body.minBytes]).toEqual([-1, 500, 1]);
    expect(body.topics).toEqual([
      { topic: 'latency', partitions: [expect.objectContaining({ partition: 0, fetchOffset: offset, partitionMaxBytes: 16 << 20 })] },
    ]);
  }
  expect(decodeMessage(FetchRequest, 11, openFrame(first).reader).topics[0].partitions[0].fetchOffset).toBe(0n);
});
