/** InitProducerId (key 22), versions 0-1 (2+ are flexible and add producer id/epoch fencing). */
import { int16, int32, int64, message, string } from '../schema';

export const InitProducerIdRequest = message({
  name: 'InitProducerIdRequest',
  apiKey: 22,
  validVersions: '0-1',
  flexibleVersions: '2+',
  fields: {
    transactionalId: string('0+', { nullableVersions: '0+' }),
    transactionTimeoutMs: int32('0+'),
  },
});

export const InitProducerIdResponse = message({
  name: 'InitProducerIdResponse',
  apiKey: 22,
  validVersions: '0-1',
  flexibleVersions: '2+',
  fields: {
    throttleTimeMs: int32('0+', { default: 0 }),
    errorCode: int16('0+'),
    producerId: int64('0+', { default: -1n }),
    producerEpoch: int16('0+', { default: -1 }),
  },
});
