/**
 * CreateTopics (key 19), versions 0-4. v1 adds validateOnly and error messages, v4 allows -1
 * (broker default) for the partition count and replication factor.
 */
import { array, bool, int16, int32, message, string, structs, types } from '../schema';

export const CreateTopicsRequest = message({
  name: 'CreateTopicsRequest',
  apiKey: 19,
  validVersions: '0-4',
  flexibleVersions: '5+',
  fields: {
    topics: structs('0+', {
      name: string('0+'),
      numPartitions: int32('0+'),
      replicationFactor: int16('0+'),
      assignments: structs('0+', {
        partitionIndex: int32('0+'),
        brokerIds: array('0+', types.int32),
      }),
      configs: structs('0+', {
        name: string('0+'),
        value: string('0+', { nullableVersions: '0+' }),
      }),
    }),
    timeoutMs: int32('0+', { default: 60000 }),
    validateOnly: bool('1+', { default: false }),
  },
});

export const CreateTopicsResponse = message({
  name: 'CreateTopicsResponse',
  apiKey: 19,
  validVersions: '0-4',
  flexibleVersions: '5+',
  fields: {
    throttleTimeMs: int32('2+', { default: 0 }),
    topics: structs('0+', {
      name: string('0+'),
      errorCode: int16('0+'),
      errorMessage: string('1+', { nullableVersions: '0+', default: null }),
    }),
  },
});
