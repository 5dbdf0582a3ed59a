import { CreateTopicsRequest, CreateTopicsResponse } from '../../../broker/protocol/messages/create-topics';
import { useBroker } from './harness';

interface TopicSpec {
  name: string;
  numPartitions?: number;
  replicationFactor?: number;
  assignments?: { partitionIndex: number; brokerIds: number[] }[];
  configs?: { name: string; value: string | null }[];
}

const request = (topics: TopicSpec[], validateOnly = false) => ({
  topics: topics.map((topic) => ({ numPartitions: -1, replicationFactor: -1, assignments: [], configs: [], ...topic })),
  timeoutMs: 1000,
  validateOnly,
});

describe('CreateTopics', () => {
  const t = useBroker({ defaultPartitions: 4 });

  const create = async (topics: TopicSpec[], version = 4, validateOnly = false) =>
    (await t.client.request(CreateTopicsRequest, CreateTopicsResponse, version, request(topics, validateOnly))).topics;

  test.each([0, 1, 2, 3, 4])('v%d creates topics with their partitions and configs', async (version) => {
    const name = `created-v${version}`;
    const [answer] = await create([{ name, numPartitions: 2, replicationFactor: 3, configs: [{ name: 'retention.ms', value: '1000' }] }], version);
    expect(answer).toMatchObject({ name, errorCode: 0 });
    expect(t.storage.describeTopic(name)).toMatchObject({ partitionCount: 2, configs: { 'retention.ms': '1000' } });
  });

  test('-1 partitions means the default', async () => {
    await create([{ name: 'defaulted' }]);
    expect(t.storage.describeTopic('defaulted')?.partitionCount).toBe(4);
  });

  test('a replica assignment sets the partition count', async () => {
    await create([{ name: 'assigned', assignments: [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 1, brokerIds: [2] }] }]);
    expect(t.storage.describeTopic('assigned')?.partitionCount).toBe(2);
  });

  test('validate_only checks without creating', async () => {
    const [answer] = await create([{ name: 'dry-run', numPartitions: 1 }], 1, true);
    expect(answer.errorCode).toBe(0);
    expect(t.storage.describeTopic('dry-run')).toBeUndefined();
  });

  test.each<[string, TopicSpec, number, string]>([
    ['zero partitions', { name: 'a', numPartitions: 0 }, 37, '0 partitions: must be -1 or at least 1'],
    ['replication factor 0', { name: 'b', replicationFactor: 0 }, 38, 'replication factor 0'],
    ['partitions and an assignment', { name: 'c', numPartitions: 2, assignments: [{ partitionIndex: 0, brokerIds: [1] }] }, 42, 'not both'],
    ['a null config value', { name: 'd', configs: [{ name: 'retention.ms', value: null }] }, 40, 'config retention.ms has a null value'],
    ['an illegal name', { name: 'bad/name' }, 17, 'illegal topic name'],
  ])('%s is refused with a reason (v1+)', async (_case, spec, errorCode, message) => {
    const [answer] = await create([spec], 1);
    expect(answer.errorCode).toBe(errorCode);
    expect(answer.errorMessage).toContain(message);
    expect(t.storage.describeTopic(spec.name)).toBeUndefined();
  });

  test('an existing topic is TOPIC_ALREADY_EXISTS', async () => {
    await create([{ name: 'once' }]);
    expect((await create([{ name: 'once' }]))[0].errorCode).toBe(36);
  });

  test('a name given twice is INVALID_REQUEST for both, and nothing is created', async () => {
    const answers = await create([{ name: 'dup' }, { name: 'dup' }]);
    expect(answers.map((a) => a.errorCode)).toEqual([42, 42]);
    expect(t.storage.describeTopic('dup')).toBeUndefined();
  });
});
