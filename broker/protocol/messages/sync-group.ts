/** SyncGroup (key 14), versions 0-3 (4+ are flexible, 5+ add the protocol type and name). */
import { bytes, int16, int32, message, string, structs } from '../schema';

export const SyncGroupRequest = message({
  name: 'SyncGroupRequest',
  apiKey: 14,
  validVersions: '0-3',
  flexibleVersions: '4+',
  fields: {
    groupId: string('0+'),
    generationId: int32('0+'),
    memberId: string('0+'),
    groupInstanceId: string('3+', { nullableVersions: '3+', default: null }),
    assignments: structs('0+', {
      memberId: string('0+'),
      assignment: bytes('0+'),
    }),
  },
});

export const SyncGroupResponse = message({
  name: 'SyncGroupResponse',
  apiKey: 14,
  validVersions: '0-3',
  flexibleVersions: '4+',
  fields: {
    throttleTimeMs: int32('1+', { default: 0 }),
    errorCode: int16('0+'),
    assignment: bytes('0+'),
  },
});
