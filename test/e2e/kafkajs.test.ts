/**
 * kafkajs 2.2.4 against a real broker process: admin create/delete topics and configs, a producer
 * and an idempotent producer (acks=all), and the offsets it reads back (latest, earliest, by
 * timestamp). What was produced is read back with kcat. Records deleted with deleteTopicRecords
 * are skipped by a consumer reading from the beginning. admin.alterConfigs changes a topic's
 * retention, and the broker applies it.
 */
import { CompressionTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { BrokerProcess } from '../support/broker-process';
import { kcatConsume } from './clients';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

describe('kafkajs', () => {
  let broker: BrokerProcess;
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    broker = await BrokerProcess.start({ args: ['--auto-create-topics', 'false', '--retention-check-interval-ms', '200', '--object-delete-delay-ms', '0'] });
    kafka = new Kafka({ clientId: 'e2e', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.disconnect();
    await broker?.stop();
    broker?.removeDataDir();
  });

  test('admin creates topics with configs, lists, describes and deletes them', async () => {
    expect(
      await admin.createTopics({
        topics: [
          { topic: 'admin-a', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
          { topic: 'admin-b', numPartitions: 1 },
        ],
      }),
    ).toBe(true);
    expect(await admin.listTopics()).toEqual(expect.arrayContaining(['admin-a', 'admin-b']));
    const metadata = await admin.fetchTopicMetadata({ topics: ['admin-a'] });
    expect(metadata.topics[0].partitions.map((p) => [p.partitionId, p.leader])).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
    ]);
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'admin-a', configNames: ['retention.ms'] }], includeSynonyms: false });
    expect(configs.resources[0].configEntries).toEqual([expect.objectContaining({ configName: 'retention.ms', configValue: '3600000' })]);
    // Creating an existing topic: kafkajs reports TOPIC_ALREADY_EXISTS as "not created".
    expect(await admin.createTopics({ topics: [{ topic: 'admin-b' }] })).toBe(false);

    await admin.deleteTopics({ topics: ['admin-b'] });
    expect(await admin.listTopics()).not.toContain('admin-b');
  });

  test('a producer writes (acks=all, gzip), and its offsets come back from ListOffsets', async () => {
    await admin.createTopics({ topics: [{ topic: 'plain', numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    const before = Date.now();
    const results = await producer.send({
      topic: 'plain',
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 2, headers: { i: String(i) } })),
    });
    await producer.disconnect();
    expect(results.map((r) => [r.partition, r.errorCode, r.baseOffset])).toEqual([
      [0, 0, '0'],
      [1, 0, '0'],
    ]);

    expect(await admin.fetchTopicOffsets('plain')).toEqual([
      { partition: 0, offset: '25', high: '25', low: '0' },
      { partition: 1, offset: '25', high: '25', low: '0' },
    ]);
    const byTime = await admin.fetchTopicOffsetsByTimestamp('plain', before - 60_000);
    expect(byTime.map((p) => p.offset)).toEqual(['0', '0']);

    const messages = await kcatConsume(broker.bootstrap, 'plain');
    expect(messages.filter((m) => m.partition === 0).map((m) => m.payload)).toEqual(Array.from({ length: 25 }, (_, i) => `v${i * 2}`));
  });

  test('an idempotent producer gets a producer id and its batches are written once, in order', async () => {
    await admin.createTopics({ topics: [{ topic: 'idempotent', numPartitions: 1 }] });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let batch = 0; batch < 10; batch++) {
      await producer.send({
        topic: 'idempotent',
        acks: -1,
        messages: Array.from({ length: 10 }, (_, i) => ({ value: `b${batch}-m${i}` })),
      });
    }
    await producer.disconnect();
    const messages = await kcatConsume(broker.bootstrap, 'idempotent');
    expect(messages.map((m) => m.offset)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(messages.map((m) => m.payload)).toEqual(
      Array.from({ length: 100 }, (_, i) => `b${Math.floor(i / 10)}-m${i % 10}`),
    );
  });

  test('admin.deleteTopicRecords moves the start: consumers from the beginning and ListOffsets earliest begin there', async () => {
    await admin.createTopics({ topics: [{ topic: 'trimmed', numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'trimmed', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ value: `t${i}` })) });
    await producer.disconnect();

    // kafkajs looks the leader up in its metadata cache before loading the topic into it: the
    // first fetchTopicOffsets does that (and shows the start before).
    expect(await admin.fetchTopicOffsets('trimmed')).toEqual([{ partition: 0, offset: '10', high: '10', low: '0' }]);
    // Just acknowledged, so probably still only in the WAL: the broker waits for the upload.
    await admin.deleteTopicRecords({ topic: 'trimmed', partitions: [{ partition: 0, offset: '6' }] });
    expect(await admin.fetchTopicOffsets('trimmed')).toEqual([{ partition: 0, offset: '10', high: '10', low: '6' }]);

    const consumer = kafka.consumer({ groupId: 'trimmed-reader', maxWaitTimeInMs: 200 });
    const received: [string, string][] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: 'trimmed', fromBeginning: true });
      await consumer.run({
        eachMessage: ({ message }) => {
          received.push([message.offset, message.value?.toString() ?? '']);
          return Promise.resolve();
        },
      });
      const deadline = Date.now() + 30_000;
      while (received.length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await consumer.disconnect();
    }
    expect(received).toEqual([6, 7, 8, 9].map((i) => [String(i), `t${i}`]));
  });

  test('admin.alterConfigs replaces a topic\'s configs, and retention applies the new ones', async () => {
    await admin.createTopics({ topics: [{ topic: 'altered', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
    const producer = kafka.producer();
    await producer.connect();
    // Two sends far enough apart (uploads are cut after 250 ms) to land in two objects.
    for (const values of [['a0', 'a1'], ['b0', 'b1']]) {
      await producer.send({ topic: 'altered', acks: -1, messages: values.map((value) => ({ value })) });
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    await producer.disconnect();
    expect(await admin.fetchTopicOffsets('altered')).toEqual([{ partition: 0, offset: '4', high: '4', low: '0' }]);

    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'altered', configEntries: [{ name: 'retention.bytes', value: '1' }] }] });
    const described = await admin.describeConfigs({ resources: [{ type: 2, name: 'altered', configNames: ['retention.ms', 'retention.bytes'] }], includeSynonyms: false });
    const entries = described.resources[0].configEntries.map((entry) => [entry.configName, entry.configValue, entry.isDefault]);
    expect(entries.sort()).toEqual([
      ['retention.bytes', '1', false],
      ['retention.ms', '604800000', true],
    ]);
    // Retention keeps the newest object only: the log now starts at the second send.
    let low = '0';
    for (const deadline = Date.now() + 15_000; low === '0' && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      [{ low }] = await admin.fetchTopicOffsets('altered');
    }
    expect(low).toBe('2');
  });

  test('producing to a topic that does not exist fails when auto-creation is off', async () => {
    const producer = kafka.producer({ retry: { retries: 1, initialRetryTime: 50 } });
    await producer.connect();
    await expect(producer.send({ topic: 'never-created', messages: [{ value: 'x' }] })).rejects.toThrow(
      /does not host this topic-partition|This server does not host/,
    );
    await producer.disconnect();
    expect(await admin.listTopics()).not.toContain('never-created');
  });
});
