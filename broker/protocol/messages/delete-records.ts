/** DeleteRecords (key 21), versions 0-1 (2+ are flexible). v1 is v0 unchanged (throttling only). */
import { int16, int32, int64, message, string, structs } from '../schema';

export const DeleteRecordsRequest = message({
  name: 'DeleteRecordsRequest',
  apiKey: 21,
  validVersions: '0-1',
  flexibleVersions: '2+',
  fields: {
    topics: structs('0+', {
      name: string('0+'),
      partitions: structs('0+', {
        partitionIndex: int32('0+'),
        /** Records below this offset are deleted; -1 means the high watermark. */
        offset: int64('0+'),
      }),
    }),
    timeoutMs: int32('0+'),
  },
});

export const DeleteRecordsResponse = message({
  name: 'DeleteRecordsResponse',
  apiKey: 21,
  validVersions: '0-1',
  flexibleVersions: '2+',
  fields: {
    throttleTimeMs: int32('0+', { default: 0 }),
    topics: structs('0+', {
      name: string('0+'),
      partitions: structs('0+', {
        partitionIndex: int32('0+'),
        /** The partition's log start after the deletion, or -1 on error. */
        lowWatermark: int64('0+'),
        errorCode: int16('0+'),
      }),
    }),
  },
});
