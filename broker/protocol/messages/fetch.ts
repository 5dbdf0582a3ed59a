/**
 * Fetch (key 1), versions 4-11: record batch v2 (v4+) up to the last non-flexible version.
 * v5 adds log start offsets, v7 fetch sessions (KIP-227), v9 the current leader epoch, v11 the
 * rack id and preferred read replica.
 */
import { array, int16, int32, int64, int8, message, records, string, structs, types } from '../schema';

export const FetchRequest = message({
  name: 'FetchRequest',
  apiKey: 1,
  validVersions: '4-11',
  flexibleVersions: '12+',
  fields: {
    replicaId: int32('0+'),
    maxWaitMs: int32('0+'),
    minBytes: int32('0+'),
    maxBytes: int32('3+', { default: 0x7fffffff }),
    isolationLevel: int8('4+', { default: 0 }),
    sessionId: int32('7+', { default: 0 }),
    sessionEpoch: int32('7+', { default: -1 }),
    topics: structs('0+', {
      topic: string('0+'),
      partitions: structs('0+', {
        partition: int32('0+'),
        currentLeaderEpoch: int32('9+', { default: -1 }),
        fetchOffset: int64('0+'),
        logStartOffset: int64('5+', { default: -1n }),
        partitionMaxBytes: int32('0+'),
      }),
    }),
    forgottenTopicsData: structs(
      '7+',
      {
        topic: string('7+'),
        partitions: array('7+', types.int32),
      },
      { default: [] },
    ),
    rackId: string('11+', { default: '' }),
  },
});

export const FetchResponse = message({
  name: 'FetchResponse',
  apiKey: 1,
  validVersions: '4-11',
  flexibleVersions: '12+',
  fields: {
    throttleTimeMs: int32('1+', { default: 0 }),
    errorCode: int16('7+', { default: 0 }),
    sessionId: int32('7+', { default: 0 }),
    responses: structs('0+', {
      topic: string('0+'),
      partitions: structs('0+', {
        partitionIndex: int32('0+'),
        errorCode: int16('0+'),
        highWatermark: int64('0+'),
        lastStableOffset: int64('4+', { default: -1n }),
        logStartOffset: int64('5+', { default: -1n }),
        abortedTransactions: structs(
          '4+',
          {
            producerId: int64('4+'),
            firstOffset: int64('4+'),
          },
          { nullableVersions: '4+', default: null },
        ),
        preferredReadReplica: int32('11+', { default: -1 }),
        records: records('0+', { nullableVersions: '0+' }),
      }),
    }),
  },
});
