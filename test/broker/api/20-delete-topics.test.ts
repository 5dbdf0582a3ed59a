import { DeleteTopicsRequest, DeleteTopicsResponse } from '../../../broker/protocol/messages/delete-topics';
import { useBroker } from './harness';

describe('DeleteTopics', () => {
  const t = useBroker();

  const remove = async (topicNames: string[], version = 3) =>
    (await t.client.request(DeleteTopicsRequest, DeleteTopicsResponse, version, { topicNames, timeoutMs: 1000 })).responses;

  test.each([0, 1, 2, 3])('v%d deletes topics and reports unknown ones', async (version) => {
    await t.storage.createTopic(`doomed-${version}`, 1, {});
    expect(await remove([`doomed-${version}`, 'ghost'], version)).toEqual([
      { name: `doomed-${version}`, errorCode: 0 },
      { name: 'ghost', errorCode: 3 },
    ]);
    expect(t.storage.describeTopic(`doomed-${version}`)).toBeUndefined();
  });

  test('internal topics cannot be deleted', async () => {
    await t.storage.createTopic('__consumer_offsets', 1, {}, { internal: true });
    expect((await remove(['__consumer_offsets']))[0].errorCode).toBe(42);
    expect(t.storage.describeTopic('__consumer_offsets')).toBeDefined();
  });

  test('a name given twice is INVALID_REQUEST', async () => {
    await t.storage.createTopic('twice', 1, {});
    expect((await remove(['twice', 'twice'])).map((r) => r.errorCode)).toEqual([42, 42]);
    expect(t.storage.describeTopic('twice')).toBeDefined();
  });
});
