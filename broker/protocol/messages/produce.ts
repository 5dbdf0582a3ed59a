/**
 * Produce (key 0), versions 0-8 (9+ are flexible). v1 adds the throttle time, v2 the log append
 * time, v3 the transactional id (and record batch v2), v5 the log start offset, v8 the per-batch
 * record errors.
 */
import { int16, int32, int64, message, records, string, structs } from '../schema';

export const ProduceRequest = message({
  name: 'ProduceRequest',
  apiKey: 0,
  validVersions: '0-8',
  flexibleVersions: '9+',
  fields: {
    transactionalId: string('3+', { nullableVersions: '3+', default: null }),
    acks: int16('0+'),
    timeoutMs: int32('0+'),
    topicData: structs('0+', {
      name: string('0+'),
      partitionData: structs('0+', {
        index: int32('0+'),
        records: records('0+', { nullableVersions: '0+' }),
      }),
    }),
  },
});

export const ProduceResponse = message({
  name: 'ProduceResponse',
  apiKey: 0,
  validVersions: '0-8',
  flexibleVersions: '9+',
  fields: {
    responses: structs('0+', {
      name: string('0+'),
      partitionResponses: structs('0+', {
        index: int32('0+'),
        errorCode: int16('0+'),
        baseOffset: int64('0+'),
        logAppendTimeMs: int64('2+', { default: -1n }),
        logStartOffset: int64('5+', { default: -1n }),
        recordErrors: structs(
          '8+',
          {
            batchIndex: int32('8+'),
            batchIndexErrorMessage: string('8+', { nullableVersions: '8+', default: null }),
          },
          { default: [] },
        ),
        errorMessage: string('8+', { nullableVersions: '8+', default: null }),
      }),
    }),
    throttleTimeMs: int32('1+', { default: 0 }),
  },
});
