/** IncrementalAlterConfigs (key 44), version 0 (1+ are flexible). */
import { bool, int16, int32, int8, message, string, structs } from '../schema';

/** Kafka's AlterConfigOp.OpType codes. */
export const ConfigOperation = { Set: 0, Delete: 1, Append: 2, Subtract: 3 } as const;

export const IncrementalAlterConfigsRequest = message({
  name: 'IncrementalAlterConfigsRequest',
  apiKey: 44,
  validVersions: '0',
  flexibleVersions: '1+',
  fields: {
    resources: structs('0+', {
      resourceType: int8('0+'),
      resourceName: string('0+'),
      configs: structs('0+', {
        name: string('0+'),
        configOperation: int8('0+'),
        value: string('0+', { nullableVersions: '0+' }),
      }),
    }),
    validateOnly: bool('0+'),
  },
});

export const IncrementalAlterConfigsResponse = message({
  name: 'IncrementalAlterConfigsResponse',
  apiKey: 44,
  validVersions: '0',
  flexibleVersions: '1+',
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
