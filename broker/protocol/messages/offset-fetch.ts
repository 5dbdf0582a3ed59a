/** OffsetFetch (key 9), versions 0-5 (6+ are flexible; v0 read offsets from ZooKeeper). */
import { array, int16, int32, int64, message, string, structs, types } from '../schema';

export const OffsetFetchRequest = message({
  name: 'OffsetFetchRequest',
  apiKey: 9,
  validVersions: '0-5',
  flexibleVersions: '6+',
  fields: {
    groupId: string('0+'),
    /** Null (v2+) asks for every committed offset of the group. */
    topics: structs(
      '0+',
      {
        name: string('0+'),
        partitionIndexes: array('0+', types.int32),
      },
      { nullableVersions: '2+' },
    ),
  },
});

export const OffsetFetchResponse = message({
  name: 'OffsetFetchResponse',
  apiKey: 9,
  validVersions: '0-5',
  flexibleVersions: '6+',
  fields: {
    throttleTimeMs: int32('3+', { default: 0 }),
    topics: structs('0+', {
      name: string('0+'),
      partitions: structs('0+', {
        partitionIndex: int32('0+'),
        committedOffset: int64('0+'),
        committedLeaderEpoch: int32('5+', { default: -1 }),
        metadata: string('0+', { nullableVersions: '0+' }),
        errorCode: int16('0+'),
      }),
    }),
    errorCode: int16('2+', { default: 0 }),
  },
});
