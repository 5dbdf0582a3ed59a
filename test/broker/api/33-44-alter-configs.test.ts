import { AlterConfigsRequest, AlterConfigsResponse } from '../../../broker/protocol/messages/alter-configs';
import { DescribeConfigsRequest, DescribeConfigsResponse } from '../../../broker/protocol/messages/describe-configs';
import { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '../../../broker/protocol/messages/incremental-alter-configs';
import { useBroker } from './harness';

const TOPIC = 2;
const BROKER = 4;

describe('AlterConfigs and IncrementalAlterConfigs', () => {
  const t = useBroker();

  beforeAll(async () => {
    await t.storage.createTopic('tuned', 1, { 'retention.ms': '60000' });
  });

  const alter = async (resources: { resourceType: number; resourceName: string; configs: { name: string; value: string | null }[] }[], validateOnly = false, version = 1) =>
    (await t.client.request(AlterConfigsRequest, AlterConfigsResponse, version, { resources, validateOnly })).responses;

  const topicConfigs = async (): Promise<Record<string, [string | null, boolean]>> => {
    const { results } = await t.client.request(DescribeConfigsRequest, DescribeConfigsResponse, 0, {
      resources: [{ resourceType: TOPIC, resourceName: 'tuned', configurationKeys: ['retention.ms', 'retention.bytes'] }],
      includeSynonyms: false,
    });
    return Object.fromEntries(results[0].configs.map((c) => [c.name, [c.value, c.isDefault]]));
  };

  test.each([0, 1])('v%d: the given configs replace the topic\'s; one left out or null returns to its default', async (version) => {
    const [result] = await alter([{ resourceType: TOPIC, resourceName: 'tuned', configs: [{ name: 'retention.bytes', value: '1000' }, { name: 'cleanup.policy', value: null }] }], false, version);
    expect(result).toEqual({ errorCode: 0, errorMessage: null, resourceType: TOPIC, resourceName: 'tuned' });
    expect(await topicConfigs()).toEqual({ 'retention.ms': ['604800000', true], 'retention.bytes': ['1000', false] });
    await alter([{ resourceType: TOPIC, resourceName: 'tuned', configs: [{ name: 'retention.ms', value: '60000' }] }]);
  });

  test('validateOnly changes nothing', async () => {
    const [result] = await alter([{ resourceType: TOPIC, resourceName: 'tuned', configs: [{ name: 'retention.ms', value: '1' }] }], true);
    expect(result.errorCode).toBe(0);
    expect((await topicConfigs())['retention.ms']).toEqual(['60000', false]);
  });

  test('each resource succeeds or fails on its own: unknown topic, broker settings, unknown resource type', async () => {
    const results = await alter([
      { resourceType: TOPIC, resourceName: 'missing', configs: [] },
      { resourceType: BROKER, resourceName: '1', configs: [{ name: 'message.max.bytes', value: '1' }] },
      { resourceType: 8, resourceName: 'x', configs: [] },
      { resourceType: TOPIC, resourceName: 'tuned', configs: [{ name: 'retention.ms', value: '120000' }] },
    ]);
    expect(results.map((r) => [r.resourceName, r.errorCode])).toEqual([['missing', 3], ['1', 40], ['x', 42], ['tuned', 0]]);
    expect(results[1].errorMessage).toBe('INVALID_CONFIG: broker settings are command-line flags (DK_* variables) and cannot be altered at run time');
    expect((await topicConfigs())['retention.ms']).toEqual(['120000', false]);
  });

  describe('IncrementalAlterConfigs', () => {
    const SET = 0;
    const DELETE = 1;
    const APPEND = 2;
    const incremental = async (configs: { name: string; configOperation: number; value: string | null }[], validateOnly = false) =>
      (await t.client.request(IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse, 0, {
        resources: [{ resourceType: TOPIC, resourceName: 'tuned', configs }],
        validateOnly,
      })).responses[0];

    test('SET and DELETE change only the configs they name', async () => {
      await alter([{ resourceType: TOPIC, resourceName: 'tuned', configs: [{ name: 'retention.ms', value: '60000' }] }]);
      expect((await incremental([{ name: 'retention.bytes', configOperation: SET, value: '4096' }])).errorCode).toBe(0);
      expect(await topicConfigs()).toEqual({ 'retention.ms': ['60000', false], 'retention.bytes': ['4096', false] });
      expect((await incremental([{ name: 'retention.ms', configOperation: DELETE, value: null }])).errorCode).toBe(0);
      expect(await topicConfigs()).toEqual({ 'retention.ms': ['604800000', true], 'retention.bytes': ['4096', false] });
      expect((await incremental([{ name: 'retention.bytes', configOperation: SET, value: '1' }], true)).errorCode).toBe(0);
      expect((await topicConfigs())['retention.bytes']).toEqual(['4096', false]);
    });

    test('APPEND to a config that is no list, SET without a value, an unknown operation: refused, nothing changed', async () => {
      const before = await topicConfigs();
      expect(await incremental([{ name: 'retention.ms', configOperation: APPEND, value: '1' }])).toMatchObject({
        errorCode: 40,
        errorMessage: 'INVALID_CONFIG: retention.ms is not a list config: APPEND and SUBTRACT do not apply',
      });
      expect((await incremental([{ name: 'retention.ms', configOperation: SET, value: null }])).errorCode).toBe(42);
      expect((await incremental([{ name: 'retention.ms', configOperation: 9, value: '1' }])).errorCode).toBe(42);
      expect(await topicConfigs()).toEqual(before);
    });
  });
});
