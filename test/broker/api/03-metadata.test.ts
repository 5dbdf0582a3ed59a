import { MetadataRequest, MetadataResponse } from '../../../broker/protocol/messages/metadata';
import { useBroker } from './harness';

const names = (body: { topics: { name: string }[] }): string[] => body.topics.map((t) => t.name).sort();

describe('Metadata', () => {
  const t = useBroker({ defaultPartitions: 3 });

  beforeAll(async () => {
    await t.storage.createTopic('orders', 2, {});
    await t.storage.createTopic('__consumer_offsets', 1, {}, { internal: true });
  });

  test('describes brokers (rack = zone), cluster id and controller', async () => {
    const body = await t.client.request(MetadataRequest, MetadataResponse, 8, { topics: [] });
    expect(body.brokers).toContainEqual({ nodeId: 1, host: '127.0.0.1', port: t.broker.port, rack: 'zone-1' });
    expect(body.brokers).toHaveLength(3);
    expect(body.clusterId).toBe('test-cluster');
    expect(body.controllerId).toBe(2);
  });

  test('v0: an empty list means all topics; internal topics are left out', async () => {
    const body = await t.client.request(MetadataRequest, MetadataResponse, 0, { topics: [] });
    expect(names(body)).toContain('orders');
    expect(names(body)).not.toContain('__consumer_offsets');
  });

  test('v1+: null means all topics, an empty list none', async () => {
    expect(names(await t.client.request(MetadataRequest, MetadataResponse, 1, { topics: null }))).toContain('orders');
    expect((await t.client.request(MetadataRequest, MetadataResponse, 1, { topics: [] })).topics).toEqual([]);
  });

  test('an internal topic asked for by name is described as internal', async () => {
    const body = await t.client.request(MetadataRequest, MetadataResponse, 1, { topics: [{ name: '__consumer_offsets' }] });
    expect(body.topics[0]).toMatchObject({ name: '__consumer_offsets', isInternal: true, errorCode: 0 });
  });

  test('partitions name their owner as leader, replica and in-sync replica', async () => {
    t.cluster.owners.set('orders/1', 3);
    const body = await t.client.request(MetadataRequest, MetadataResponse, 5, { topics: [{ name: 'orders' }] });
    expect(body.topics[0].partitions).toEqual([
      { errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: -1, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] },
      { errorCode: 0, partitionIndex: 1, leaderId: 3, leaderEpoch: -1, replicaNodes: [3], isrNodes: [3], offlineReplicas: [] },
    ]);
    t.cluster.owners.clear();
  });

  test('a partition without an owner is LEADER_NOT_AVAILABLE with leader -1', async () => {
    t.cluster.owners.set('orders/0', undefined);
    const body = await t.client.request(MetadataRequest, MetadataResponse, 1, { topics: [{ name: 'orders' }] });
    expect(body.topics[0].partitions[0]).toMatchObject({ errorCode: 5, leaderId: -1, replicaNodes: [] });
    t.cluster.owners.clear();
  });

  test('auto-creates a requested topic with the default partition count', async () => {
    const body = await t.client.request(MetadataRequest, MetadataResponse, 4, { topics: [{ name: 'fresh' }], allowAutoTopicCreation: true });
    expect(body.topics[0]).toMatchObject({ name: 'fresh', errorCode: 0 });
    expect(body.topics[0].partitions).toHaveLength(3);
    expect(t.storage.describeTopic('fresh')?.partitionCount).toBe(3);
  });

  test('v4+: a request that forbids auto-creation gets UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const body = await t.client.request(MetadataRequest, MetadataResponse, 4, { topics: [{ name: 'never' }], allowAutoTopicCreation: false });
    expect(body.topics[0]).toMatchObject({ name: 'never', errorCode: 3, partitions: [] });
    expect(t.storage.describeTopic('never')).toBeUndefined();
  });

  test('an illegal topic name is INVALID_TOPIC_EXCEPTION', async () => {
    const body = await t.client.request(MetadataRequest, MetadataResponse, 1, { topics: [{ name: 'no spaces' }] });
    expect(body.topics[0].errorCode).toBe(17);
  });

  test('the same new topic asked for twice at once is created once', async () => {
    const body = await t.client.request(MetadataRequest, MetadataResponse, 1, { topics: [{ name: 'twice' }, { name: 'twice' }] });
    expect(body.topics.map((topic) => topic.errorCode)).toEqual([0, 0]);
  });
});

describe('Metadata without auto-creation', () => {
  const t = useBroker({ autoCreateTopics: false });

  test('unknown topics are not created', async () => {
    const body = await t.client.request(MetadataRequest, MetadataResponse, 0, { topics: [{ name: 'missing' }] });
    expect(body.topics[0].errorCode).toBe(3);
    expect(t.storage.describeTopic('missing')).toBeUndefined();
  });
});
