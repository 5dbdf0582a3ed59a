/** AlterConfigs (key 33), versions 0-1 (2+ are flexible). v1 is v0 with throttling behaviour changed. */
import { bool, int16, int32, int8, message, string, structs } from '../schema';

export const AlterConfigsRequest = message({
  name: 'AlterConfigsRequest',
  apiKey: 33,
  validVersions: '0-1',
  flexibleVersions: '2+',
  fields: {
    resources: structs('0+', {
      resourceType: int8('0+'),
      resourceName: string('0+'),
      configs: structs('0+', {
        name: string('0+'),
        value: string('0+', { nullableVersions: '0+' }),
      }),
    }),
    validateOnly: bool('0+'),
  },
});

export const AlterConfigsResponse = message({
  name: 'AlterConfigsResponse',
  apiKey: 33,
  validVersions: '0-1',
  flexibleVersions: '2+',
  fields: {
    throttleTimeMs: int32('0+', { default: 0 }),
    responses: structs('0+', {
      errorCode: int16('0+'),
      errorMessage: string('0+', { nullableVersions: '0+' }),
      resourceType: int8('0+'),
      resourceName: string('0+'),
    }),
  },
});
