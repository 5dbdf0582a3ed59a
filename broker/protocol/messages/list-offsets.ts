/**
 * ListOffsets (key 2), versions 0-5. v0 answers with a list of "old style" offsets; v1+ with one
 * offset and its timestamp; v2 adds the isolation level, v4 the leader epochs.
 */
import { array, int16, int32, int64, int8, message, string, structs, types } from '../schema';

export const ListOffsetsRequest = message({
  name: 'ListOffsetsRequest',
  apiKey: 2,
  validVersions: '0-5',
  flexibleVersions: '6+',
  fields: {
    replicaId: int32('0+'),
    isolationLevel: int8('2+', { default: 0 }),
    topics: structs('0+', {
      name: string('0+'),
      partitions: structs('0+', {
        partitionIndex: int32('0+'),
        currentLeaderEpoch: int32('4+', { default: -1 }),
        timestamp: int64('0+'),
        maxNumOffsets: int32('0', { default: 1 }),
      }),
    }),
  },
});

export const ListOffsetsResponse = message({
  name: 'ListOffsetsResponse',
  apiKey: 2,
  validVersions: '0-5',
  flexibleVersions: '6+',
  fields: {
    throttleTimeMs: int32('2+', { default: 0 }),
    topics: structs('0+', {
      name: string('0+'),
      partitions: structs('0+', {
        partitionIndex: int32('0+'),
        errorCode: int16('0+'),
        oldStyleOffsets: array('0', types.int64, { default: [] }),
        timestamp: int64('1+', { default: -1n }),
        offset: int64('1+', { default: -1n }),
        leaderEpoch: int32('4+', { default: -1 }),
      }),
    }),
  },
});
