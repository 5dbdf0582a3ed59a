import { FetchRequest, FetchResponse } from '../../../broker/protocol/messages/fetch';
import { buildRecordBatch, readRecords, validateProducedRecords } from '../../../broker/protocol/record-batch';
import type { Encodable } from '../../../broker/protocol/schema';
import { startInProcessBroker } from '../../support/in-process-broker';
import { WireClient } from '../../support/wire-client';
import { useBroker } from './harness';

type Fetch = Encodable<typeof FetchRequest>;

const fetchOf = (partitions: { topic: string; partition: number; offset: bigint }[], maxWaitMs = 0, minBytes = 0): Fetch => ({
  replicaId: -1,
  maxWaitMs,
  minBytes,
  maxBytes: 1 << 20,
  topics: partitions.map(({ topic, partition, offset }) => ({
    topic,
    partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20 }],
  })),
});

describe('Fetch', () => {
  const t = useBroker();

  beforeAll(async () => {
    await t.storage.createTopic('logs', 2, {});
  });

  const append = async (partition: number, ...values: string[]) => {
    const records = buildRecordBatch(values.map((value) => ({ value })));
    return t.storage.append({ topic: 'logs', partition }, records, validateProducedRecords(records, 1 << 20), { timeoutMs: 1000 });
  };

  test.each([4, 7, 11])('v%d returns whole batches with the partition state', async (version) => {
    const { baseOffset } = await append(1, 'a', 'b');
    const body = await t.client.request(FetchRequest, FetchResponse, version, fetchOf([{ topic: 'logs', partition: 1, offset: baseOffset + 1n }]));
    const [partition] = body.responses[0].partitions;
    expect(partition).toMatchObject({ partitionIndex: 1, errorCode: 0, highWatermark: baseOffset + 2n, lastStableOffset: baseOffset + 2n });
    if (version >= 5) expect(partition.logStartOffset).toBe(0n);
    if (version >= 7) expect([body.errorCode, body.sessionId]).toEqual([0, 0]);
    // The whole batch comes back, starting before the fetch offset.
    const records = readRecords(partition.records!);
    expect(records.map((r) => r.value?.toString())).toEqual(['a', 'b']);
    expect(records[0].offset).toBe(baseOffset);
  });

  test('long polling: a fetch waits for data and returns when it arrives', async () => {
    const state = await t.client.request(FetchRequest, FetchResponse, 11, fetchOf([{ topic: 'logs', partition: 1, offset: 0n }]));
    const end = state.responses[0].partitions[0].highWatermark;
    const id = t.client.send(FetchRequest, 11, fetchOf([{ topic: 'logs', partition: 1, offset: end }], 60_000, 1));
    const answer = t.client.receive(FetchResponse, 11);
    let answered = false;
    void answer.then(() => (answered = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(answered).toBe(false);
    await append(1, 'late');
    const { correlationId, body } = await answer;
    expect(correlationId).toBe(id);
    expect(readRecords(body.responses[0].partitions[0].records!).map((r) => r.value?.toString())).toEqual(['late']);
  });

  test('a partition error answers at once instead of waiting', async () => {
    t.cluster.owners.set('logs/0', 2);
    const body = await t.client.request(
      FetchRequest,
      FetchResponse,
      11,
      fetchOf(
        [
          { topic: 'logs', partition: 0, offset: 0n },
          { topic: 'logs', partition: 1, offset: 1000n },
          { topic: 'nothing', partition: 0, offset: 0n },
        ],
        60_000,
        1,
      ),
    );
    t.cluster.owners.clear();
    expect(body.responses.map((r) => r.partitions[0].errorCode)).toEqual([6, 1, 3]);
  });

  test('an incremental fetch session we never created is FETCH_SESSION_ID_NOT_FOUND', async () => {
    const body = await t.client.request(FetchRequest, FetchResponse, 7, { ...fetchOf([]), sessionId: 123, sessionEpoch: 1 });
    expect(body.errorCode).toBe(70);
  });

  test('a held fetch is answered when the broker stops', async () => {
    const broker = await startInProcessBroker();
    await broker.storage.createTopic('idle', 1, {});
    const client = await WireClient.connect(broker.port);
    client.send(FetchRequest, 11, fetchOf([{ topic: 'idle', partition: 0, offset: 0n }], 600_000, 1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stopped = broker.stop();
    const { body } = await client.receive(FetchResponse, 11);
    expect(body.responses[0].partitions[0]).toMatchObject({ errorCode: 0, highWatermark: 0n });
    await stopped;
    client.close();
  });
});
