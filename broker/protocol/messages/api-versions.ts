/**
 * ApiVersions (key 18), versions 0-3; v3 is flexible (KIP-511 adds the client software name and
 * version). The response's v3 tagged fields (supported features) are not sent.
 */
import { int16, int32, message, string, structs } from '../schema';

export const ApiVersionsRequest = message({
  name: 'ApiVersionsRequest',
  apiKey: 18,
  validVersions: '0-3',
  flexibleVersions: '3+',
  fields: {
    clientSoftwareName: string('3+', { default: '' }),
    clientSoftwareVersion: string('3+', { default: '' }),
  },
});

export const ApiVersionsResponse = message({
  name: 'ApiVersionsResponse',
  apiKey: 18,
  validVersions: '0-3',
  flexibleVersions: '3+',
  fields: {
    errorCode: int16('0+'),
    apiKeys: structs('0+', {
      apiKey: int16('0+'),
      minVersion: int16('0+'),
      maxVersion: int16('0+'),
    }),
    throttleTimeMs: int32('1+', { default: 0 }),
  },
});
