/** JoinGroup (key 11), versions 0-5 (6+ are flexible). */
import { bytes, int16, int32, message, string, structs } from '../schema';

export const JoinGroupRequest = message({
  name: 'JoinGroupRequest',
  apiKey: 11,
  validVersions: '0-5',
  flexibleVersions: '6+',
  fields: {
    groupId: string('0+'),
    sessionTimeoutMs: int32('0+'),
    /** Absent in v0, where the session timeout serves as the rebalance timeout. */
    rebalanceTimeoutMs: int32('1+', { default: -1 }),
    memberId: string('0+'),
    groupInstanceId: string('5+', { nullableVersions: '5+', default: null }),
    protocolType: string('0+'),
    protocols: structs('0+', {
      name: string('0+'),
      metadata: bytes('0+'),
    }),
  },
});

export const JoinGroupResponse = message({
  name: 'JoinGroupResponse',
  apiKey: 11,
  validVersions: '0-5',
  flexibleVersions: '6+',
  fields: {
    throttleTimeMs: int32('2+', { default: 0 }),
    errorCode: int16('0+'),
    generationId: int32('0+', { default: -1 }),
    protocolName: string('0+'),
    leader: string('0+'),
    memberId: string('0+'),
    members: structs('0+', {
      memberId: string('0+'),
      groupInstanceId: string('5+', { nullableVersions: '5+', default: null }),
      metadata: bytes('0+'),
    }),
  },
});
