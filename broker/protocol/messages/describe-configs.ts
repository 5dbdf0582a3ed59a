/**
 * DescribeConfigs (key 32), versions 0-2. v1 adds the config source and synonyms; v0 has
 * IsDefault instead of the source.
 */
import { array, bool, int16, int32, int8, message, string, structs, types } from '../schema';

/** Kafka's ConfigResource.Type codes. */
export const ConfigResourceType = { Topic: 2, Broker: 4, BrokerLogger: 8 } as const;

/** Kafka's DescribeConfigsResponse.ConfigSource codes. */
export const ConfigSource = { DynamicTopicConfig: 1, StaticBrokerConfig: 4, DefaultConfig: 5 } as const;
export type ConfigSource = (typeof ConfigSource)[keyof typeof ConfigSource];

export const DescribeConfigsRequest = message({
  name: 'DescribeConfigsRequest',
  apiKey: 32,
  validVersions: '0-2',
  flexibleVersions: '4+',
  fields: {
    resources: structs('0+', {
      resourceType: int8('0+'),
      resourceName: string('0+'),
      configurationKeys: array('0+', types.string, { nullableVersions: '0+' }),
    }),
    includeSynonyms: bool('1+', { default: false }),
  },
});

export const DescribeConfigsResponse = message({
  name: 'DescribeConfigsResponse',
  apiKey: 32,
  validVersions: '0-2',
  flexibleVersions: '4+',
  fields: {
    throttleTimeMs: int32('0+', { default: 0 }),
    results: structs('0+', {
      errorCode: int16('0+'),
      errorMessage: string('0+', { nullableVersions: '0+', default: null }),
      resourceType: int8('0+'),
      resourceName: string('0+'),
      configs: structs('0+', {
        name: string('0+'),
        value: string('0+', { nullableVersions: '0+' }),
        readOnly: bool('0+'),
        isDefault: bool('0', { default: false }),
        configSource: int8('1+', { default: -1 }),
        isSensitive: bool('0+'),
        synonyms: structs(
          '1+',
          {
            name: string('1+'),
            value: string('1+', { nullableVersions: '0+' }),
            source: int8('1+'),
          },
          { default: [] },
        ),
      }),
    }),
  },
});
