import { InitProducerIdRequest, InitProducerIdResponse } from '../../../broker/protocol/messages/init-producer-id';
import { useBroker } from './harness';

describe('InitProducerId', () => {
  const t = useBroker();

  test.each([0, 1])('v%d hands out a new producer id with epoch 0 each time', async (version) => {
    const ask = () => t.client.request(InitProducerIdRequest, InitProducerIdResponse, version, { transactionalId: null, transactionTimeoutMs: 60000 });
    const first = await ask();
    const second = await ask();
    expect(first).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    expect(second.producerId).not.toBe(first.producerId);
  });

  test('transactional producers are refused with INVALID_REQUEST', async () => {
    const answer = await t.client.request(InitProducerIdRequest, InitProducerIdResponse, 1, { transactionalId: 'tx', transactionTimeoutMs: 60000 });
    expect(answer).toMatchObject({ errorCode: 42, producerId: -1n, producerEpoch: -1 });
  });
});
