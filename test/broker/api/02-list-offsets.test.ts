import { ListOffsetsRequest, ListOffsetsResponse } from '../../../broker/protocol/messages/list-offsets';
import { buildRecordBatch, validateProducedRecords } from '../../../broker/protocol/record-batch';
import { useBroker } from './harness';

const query = (timestamp: bigint, partition = 0, topic = 'clock') => ({
  replicaId: -1,
  topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp }] }],
});

describe('ListOffsets', () => {
  const t = useBroker();

  beforeAll(async () => {
    await t.storage.createTopic('clock', 1, {});
    for (const timestamp of [1000n, 2000n, 3000n]) {
      const records = buildRecordBatch([{ value: 'x', timestamp }, { value: 'y', timestamp }]);
      await t.storage.append({ topic: 'clock', partition: 0 }, records, validateProducedRecords(records, 1 << 20), { timeoutMs: 100 });
    }
  });

  const ask = async (version: number, timestamp: bigint, partition = 0, topic = 'clock') =>
    (await t.client.request(ListOffsetsRequest, ListOffsetsResponse, version, query(timestamp, partition, topic))).topics[0].partitions[0];

  test.each([1, 2, 4, 5])('v%d: latest, earliest and by timestamp', async (version) => {
    expect(await ask(version, -1n)).toMatchObject({ errorCode: 0, offset: 6n });
    expect(await ask(version, -2n)).toMatchObject({ errorCode: 0, offset: 0n });
    expect(await ask(version, 1500n)).toMatchObject({ errorCode: 0, offset: 2n, timestamp: 2000n });
    expect(await ask(version, 9999n)).toMatchObject({ errorCode: 0, offset: -1n });
  });

  test('v0 answers with a list of offsets', async () => {
    expect((await ask(0, -1n)).oldStyleOffsets).toEqual([6n]);
    expect((await ask(0, 9999n)).oldStyleOffsets).toEqual([]);
  });

  test('unknown partitions and partitions owned elsewhere are refused', async () => {
    expect((await ask(1, -1n, 3)).errorCode).toBe(3);
    expect((await ask(1, -1n, 0, 'missing')).errorCode).toBe(3);
    t.cluster.owners.set('clock/0', 3);
    expect((await ask(1, -1n)).errorCode).toBe(6);
    t.cluster.owners.clear();
  });
});
