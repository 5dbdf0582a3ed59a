/** LeaveGroup (key 13), versions 0-3 (v3 removes several members at once; 4+ are flexible). */
import { int16, int32, message, string, structs } from '../schema';

export const LeaveGroupRequest = message({
  name: 'LeaveGroupRequest',
  apiKey: 13,
  validVersions: '0-3',
  flexibleVersions: '4+',
  fields: {
    groupId: string('0+'),
    memberId: string('0-2'),
    members: structs('3+', {
      memberId: string('3+'),
      groupInstanceId: string('3+', { nullableVersions: '3+' }),
    }),
  },
});

export const LeaveGroupResponse = message({
  name: 'LeaveGroupResponse',
  apiKey: 13,
  validVersions: '0-3',
  flexibleVersions: '4+',
  fields: {
    throttleTimeMs: int32('1+', { default: 0 }),
    errorCode: int16('0+'),
    members: structs('3+', {
      memberId: string('3+'),
      groupInstanceId: string('3+', { nullableVersions: '3+' }),
      errorCode: int16('3+'),
    }),
  },
});
