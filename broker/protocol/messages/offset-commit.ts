/** OffsetCommit (key 8), versions 0-7 (8+ are flexible). */
import { int16, int32, int64, message, string, structs } from '../schema';

export const OffsetCommitRequest = message({
  name: 'OffsetCommitRequest',
  apiKey: 8,
  validVersions: '0-7',
  flexibleVersions: '8+',
  fields: {
    groupId: string('0+'),
    generationId: int32('1+', { default: -1 }),
    memberId: string('1+'),
    groupInstanceId: string('7+', { nullableVersions: '7+', default: null }),
    retentionTimeMs: int64('2-4', { default: -1n }),
    topics: structs('0+', {
      name: string('0+'),
      partitions: structs('0+', {
        partitionIndex: int32('0+'),
        committedOffset: int64('0+'),
        committedLeaderEpoch: int32('6+', { default: -1 }),
        commitTimestamp: int64('1', { default: -1n }),
        committedMetadata: string('0+', { nullableVersions: '0+' }),
      }),
    }),
  },
});

export const OffsetCommitResponse = message({
  name: 'OffsetCommitResponse',
  apiKey: 8,
  validVersions: '0-7',
  flexibleVersions: '8+',
  fields: {
    throttleTimeMs: int32('3+', { default: 0 }),
    topics: structs('0+', {
      name: string('0+'),
      partitions: structs('0+', {
        partitionIndex: int32('0+'),
        errorCode: int16('0+'),
      }),
    }),
  },
});
