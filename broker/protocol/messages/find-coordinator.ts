/** FindCoordinator (key 10), versions 0-2 (3+ are flexible, 4+ batch several keys). */
import { int16, int32, int8, message, string } from '../schema';

export const FindCoordinatorRequest = message({
  name: 'FindCoordinatorRequest',
  apiKey: 10,
  validVersions: '0-2',
  flexibleVersions: '3+',
  fields: {
    key: string('0+'),
    /** 0 = group, 1 = transaction. */
    keyType: int8('1+', { default: 0 }),
  },
});

export const FindCoordinatorResponse = message({
  name: 'FindCoordinatorResponse',
  apiKey: 10,
  validVersions: '0-2',
  flexibleVersions: '3+',
  fields: {
    throttleTimeMs: int32('1+', { default: 0 }),
    errorCode: int16('0+'),
    errorMessage: string('1+', { nullableVersions: '1+', default: null }),
    nodeId: int32('0+'),
    host: string('0+'),
    port: int32('0+'),
  },
});
