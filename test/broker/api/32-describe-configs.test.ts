import { DescribeConfigsRequest, DescribeConfigsResponse } from '../../../broker/protocol/messages/describe-configs';
import { useBroker } from './harness';

const TOPIC = 2;
const BROKER = 4;

describe('DescribeConfigs', () => {
  const t = useBroker({ messageMaxBytes: 5000 });

  beforeAll(async () => {
    await t.storage.createTopic('tuned', 1, { 'retention.ms': '60000' });
  });

  const describe_ = async (resources: { resourceType: number; resourceName: string; configurationKeys: string[] | null }[], version = 2, includeSynonyms = false) =>
    (await t.client.request(DescribeConfigsRequest, DescribeConfigsResponse, version, { resources, includeSynonyms })).results;

  test('v1+: topic configs with their source (set on the topic or default)', async () => {
    const [result] = await describe_([{ resourceType: TOPIC, resourceName: 'tuned', configurationKeys: null }]);
    expect(result.errorCode).toBe(0);
    const byName = Object.fromEntries(result.configs.map((c) => [c.name, c]));
    expect(byName['retention.ms']).toMatchObject({ value: '60000', configSource: 1, readOnly: false, isSensitive: false });
    expect(byName['max.message.bytes']).toMatchObject({ value: '1048588', configSource: 5 });
  });

  test('v0 reports is_default instead of a source', async () => {
    const [result] = await describe_([{ resourceType: TOPIC, resourceName: 'tuned', configurationKeys: ['retention.ms', 'max.message.bytes'] }], 0);
    expect(result.configs.map((c) => [c.name, c.isDefault])).toEqual([
      ['retention.ms', false],
      ['max.message.bytes', true],
    ]);
  });

  test('requested keys filter the answer; synonyms come when asked for', async () => {
    const [result] = await describe_([{ resourceType: TOPIC, resourceName: 'tuned', configurationKeys: ['retention.ms'] }], 1, true);
    expect(result.configs).toHaveLength(1);
    expect(result.configs[0].synonyms).toEqual([{ name: 'retention.ms', value: '60000', source: 1 }]);
  });

  test("the broker's own settings, by its id or an empty name", async () => {
    for (const resourceName of ['1', '']) {
      const [result] = await describe_([{ resourceType: BROKER, resourceName, configurationKeys: ['message.max.bytes'] }]);
      expect(result.configs).toEqual([
        expect.objectContaining({ name: 'message.max.bytes', value: '5000', readOnly: true, configSource: 4 }),
      ]);
    }
  });

  test.each([
    ['an unknown topic', TOPIC, 'ghost', 3],
    ['another broker', BROKER, '2', 42],
    ['a broker logger', 8, '1', 42],
  ])('%s is an error for that resource only', async (_case, resourceType, resourceName, errorCode) => {
    const results = await describe_([
      { resourceType, resourceName, configurationKeys: null },
      { resourceType: TOPIC, resourceName: 'tuned', configurationKeys: null },
    ]);
    expect(results.map((r) => r.errorCode)).toEqual([errorCode, 0]);
    expect(results[0].errorMessage).toBeTruthy();
  });
});
