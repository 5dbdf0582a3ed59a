import { ProduceRequest, ProduceResponse } from '../../../broker/protocol/messages/produce';
import { buildRecordBatch, readRecords } from '../../../broker/protocol/record-batch';
import type { Encodable } from '../../../broker/protocol/schema';
import { useBroker } from './harness';

type Produce = Encodable<typeof ProduceRequest>;

const produce = (partitions: { topic: string; partition: number; records: Buffer | null }[], acks = -1): Produce => ({
  transactionalId: null,
  acks,
  timeoutMs: 200,
  topicData: partitions.map(({ topic, partition, records }) => ({ name: topic, partitionData: [{ index: partition, records }] })),
});

const batch = (...values: string[]): Buffer => buildRecordBatch(values.map((value) => ({ value })));

describe('Produce', () => {
  const t = useBroker({ messageMaxBytes: 4096 });

  beforeAll(async () => {
    await t.storage.createTopic('events', 2, {});
    await t.storage.createTopic('small', 1, { 'max.message.bytes': '200' });
  });

  const send = async (request: Produce, version = 8) =>
    (await t.client.request(ProduceRequest, ProduceResponse, version, request)).responses.flatMap((r) =>
      r.partitionResponses.map((p) => ({ topic: r.name, ...p })),
    );

  test.each([0, 2, 3, 5, 8])('v%d appends and answers with the base offset', async (version) => {
    const [first] = await send(produce([{ topic: 'events', partition: 0, records: batch('a', 'b') }]), version);
    const [second] = await send(produce([{ topic: 'events', partition: 0, records: batch('c') }]), version);
    expect(first.errorCode).toBe(0);
    expect(second.baseOffset).toBe(first.baseOffset + 2n);
    if (version >= 5) expect(second.logStartOffset).toBe(0n);
  });

  test('stored batches carry the assigned offsets', async () => {
    const [answer] = await send(produce([{ topic: 'events', partition: 1, records: batch('x', 'y') }]));
    const [fetched] = await t.storage.fetch([{ topic: 'events', partition: 1, fetchOffset: answer.baseOffset, maxBytes: 1 << 20 }], {
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
    });
    expect(readRecords(fetched.records).map((r) => [r.offset, r.value?.toString()])).toEqual([
      [answer.baseOffset, 'x'],
      [answer.baseOffset + 1n, 'y'],
    ]);
  });

  test('several partitions in one request are answered per partition', async () => {
    const answers = await send(
      produce([
        { topic: 'events', partition: 0, records: batch('p0') },
        { topic: 'events', partition: 5, records: batch('nope') },
        { topic: 'unknown', partition: 0, records: batch('nope') },
      ]),
    );
    expect(answers.map((a) => [a.topic, a.index, a.errorCode])).toEqual([
      ['events', 0, 0],
      ['events', 5, 3],
      ['unknown', 0, 3],
    ]);
  });

  test.each([2, 5, -2])('acks=%d is INVALID_REQUIRED_ACKS and nothing is written', async (acks) => {
    const calls = t.storage.appendCalls.length;
    const [answer] = await send(produce([{ topic: 'events', partition: 0, records: batch('a') }], acks));
    expect(answer.errorCode).toBe(21);
    expect(t.storage.appendCalls.length).toBe(calls);
  });

  test('a corrupted batch is CORRUPT_MESSAGE, with the reason in v8', async () => {
    const corrupted = batch('a');
    corrupted[corrupted.length - 1] ^= 0xff;
    const [answer] = await send(produce([{ topic: 'events', partition: 0, records: corrupted }]));
    expect(answer.errorCode).toBe(2);
    expect(answer.errorMessage).toContain('CRC mismatch');
  });

  test('old message formats (magic 0 and 1) are UNSUPPORTED_FOR_MESSAGE_FORMAT', async () => {
    const magic1 = batch('a');
    magic1.writeInt8(1, 16);
    const [answer] = await send(produce([{ topic: 'events', partition: 0, records: magic1 }]), 2);
    expect(answer.errorCode).toBe(43);
  });

  test('internal topics refuse client records with INVALID_TOPIC_EXCEPTION and store nothing', async () => {
    await t.storage.createTopic('__internal', 1, {}, { internal: true });
    const [answer] = await send(produce([{ topic: '__internal', partition: 0, records: batch('stray') }]));
    expect(answer.errorCode).toBe(17);
    const [fetched] = await t.storage.fetch([{ topic: '__internal', partition: 0, fetchOffset: 0n, maxBytes: 1 << 20 }], {
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
    });
    expect(fetched.records.length).toBe(0);
  });

  test('null records are CORRUPT_MESSAGE', async () => {
    const [answer] = await send(produce([{ topic: 'events', partition: 0, records: null }]));
    expect(answer.errorCode).toBe(2);
  });

  test('a batch above --message-max-bytes is MESSAGE_TOO_LARGE', async () => {
    const [answer] = await send(produce([{ topic: 'events', partition: 0, records: batch('x'.repeat(5000)) }]));
    expect(answer.errorCode).toBe(10);
  });

  test("a topic's max.message.bytes wins over the broker's", async () => {
    const [answer] = await send(produce([{ topic: 'small', partition: 0, records: batch('x'.repeat(300)) }]));
    expect(answer.errorCode).toBe(10);
  });

  test('partitions owned by another broker are NOT_LEADER_OR_FOLLOWER; unowned ones LEADER_NOT_AVAILABLE', async () => {
    t.cluster.owners.set('events/0', 2);
    t.cluster.owners.set('events/1', undefined);
    const answers = await send(
      produce([
        { topic: 'events', partition: 0, records: batch('a') },
        { topic: 'events', partition: 1, records: batch('a') },
      ]),
    );
    t.cluster.owners.clear();
    expect(answers.map((a) => a.errorCode)).toEqual([6, 5]);
  });

  test('a full WAL makes the produce wait and then fail with REQUEST_TIMED_OUT', async () => {
    t.storage.stalled = new Promise(() => undefined);
    const [answer] = await send(produce([{ topic: 'events', partition: 0, records: batch('late') }]));
    t.storage.stalled = undefined;
    expect(answer.errorCode).toBe(7);
  });

  test('a failed produce with acks=0 closes the connection instead of answering', async () => {
    t.client.send(ProduceRequest, 8, produce([{ topic: 'unknown', partition: 0, records: batch('a') }], 0));
    await t.client.closed;
    expect(await t.client.nextFrame()).toBeUndefined();
  });

  test('pipelined produces to one partition are appended in the order sent', async () => {
    await t.storage.createTopic('ordered', 1, {});
    const ids = Array.from({ length: 20 }, (_, i) => t.client.send(ProduceRequest, 8, produce([{ topic: 'ordered', partition: 0, records: batch(`m${i}`) }])));
    const offsets: bigint[] = [];
    for (const id of ids) {
      const { correlationId, body } = await t.client.receive(ProduceResponse, 8);
      expect(correlationId).toBe(id);
      offsets.push(body.responses[0].partitionResponses[0].baseOffset);
    }
    expect(offsets).toEqual(ids.map((_, i) => BigInt(i)));
  });
});
