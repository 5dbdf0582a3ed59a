/** Heartbeat (key 12), versions 0-3 (4+ are flexible). */
import { int16, int32, message, string } from '../schema';

export const HeartbeatRequest = message({
  name: 'HeartbeatRequest',
  apiKey: 12,
  validVersions: '0-3',
  flexibleVersions: '4+',
  fields: {
    groupId: string('0+'),
    generationId: int32('0+'),
    memberId: string('0+'),
    groupInstanceId: string('3+', { nullableVersions: '3+', default: null }),
  },
});

export const HeartbeatResponse = message({
  name: 'HeartbeatResponse',
  apiKey: 12,
  validVersions: '0-3',
  flexibleVersions: '4+',
  fields: {
    throttleTimeMs: int32('1+', { default: 0 }),
    errorCode: int16('0+'),
  },
});
