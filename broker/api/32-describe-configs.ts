/**
 * DescribeConfigs (key 32), versions 0-2.
 *
 * Topics: every config from Storage.effectiveConfigs, defaults included (source DEFAULT_CONFIG,
 * or DYNAMIC_TOPIC_CONFIG for values set on the topic), filtered by the requested keys.
 * Brokers: this broker's settings under Kafka's names (source STATIC_BROKER_CONFIG, read-only);
 * the resource name must be this broker's id, or empty for "the broker answering", as in Kafka.
 * Other resource types (broker loggers) are INVALID_REQUEST. v1+ synonyms hold the entry itself
 * when asked for.
 */
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode, KafkaError } from '../protocol/error-codes';
import {
  ConfigResourceType,
  ConfigSource,
  DescribeConfigsRequest,
  DescribeConfigsResponse,
} from '../protocol/messages/describe-configs';
import type { ConfigEntry } from '../storage/storage';
import { type BrokerServices, defineApi } from './api';
import { errorCodeOf, errorMessageOf } from './errors';

/** The broker settings clients may look at, under Kafka's config names. */
function brokerConfigs(services: BrokerServices, resourceName: string): ConfigEntry[] {
  const nodeId = String(services.cluster.localNodeId);
  if (resourceName !== '' && resourceName !== nodeId) {
    throw new KafkaError(ErrorCode.INVALID_REQUEST, `broker ${resourceName} was asked for, this is broker ${nodeId}`);
  }
  const { settings } = services;
  const entry = (name: string, value: string | number | boolean): ConfigEntry => ({
    name,
    value: String(value),
    isDefault: false,
    readOnly: true,
    sensitive: false,
  });
  return [
    entry('broker.id', nodeId),
    entry('message.max.bytes', settings.messageMaxBytes),
    entry('socket.request.max.bytes', settings.maxRequestBytes),
    entry('num.partitions', settings.defaultPartitions),
    entry('auto.create.topics.enable', settings.autoCreateTopics),
  ];
}

function topicConfigs(services: BrokerServices, name: string): readonly ConfigEntry[] {
  if (!services.storage.describeTopic(name)) {
    throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${name} does not exist`);
  }
  return services.storage.effectiveConfigs(name);
}

export const describeConfigsApi = defineApi({
  key: ApiKey.DescribeConfigs,
  name: 'DescribeConfigs',
  minVersion: 0,
  maxVersion: 2,
  request: DescribeConfigsRequest,
  response: DescribeConfigsResponse,
  handle(request, context) {
    const results = request.resources.map(({ resourceType, resourceName, configurationKeys }) => {
      try {
        let entries: readonly ConfigEntry[];
        let sourceOf: (entry: ConfigEntry) => ConfigSource;
        if (resourceType === ConfigResourceType.Topic) {
          entries = topicConfigs(context.services, resourceName);
          sourceOf = (entry) => (entry.isDefault ? ConfigSource.DefaultConfig : ConfigSource.DynamicTopicConfig);
        } else if (resourceType === ConfigResourceType.Broker) {
          entries = brokerConfigs(context.services, resourceName);
          sourceOf = () => ConfigSource.StaticBrokerConfig;
        } else {
          throw new KafkaError(ErrorCode.INVALID_REQUEST, `resource type ${resourceType} is not supported (topics 2, brokers 4)`);
        }
        const wanted = configurationKeys === null ? undefined : new Set(configurationKeys);
        const configs = entries
          .filter((entry) => !wanted || wanted.has(entry.name))
          .map((entry) => ({
            name: entry.name,
            value: entry.sensitive ? null : entry.value,
            readOnly: entry.readOnly,
            isDefault: entry.isDefault,
            configSource: sourceOf(entry),
            isSensitive: entry.sensitive,
            synonyms: request.includeSynonyms
              ? [{ name: entry.name, value: entry.sensitive ? null : entry.value, source: sourceOf(entry) }]
              : [],
          }));
        return { errorCode: ErrorCode.NONE, errorMessage: null, resourceType, resourceName, configs };
      } catch (error) {
        const errorCode = errorCodeOf(error, context.log, { resourceType, resourceName });
        return { errorCode, errorMessage: errorMessageOf(error), resourceType, resourceName, configs: [] };
      }
    });
    return { throttleTimeMs: 0, results };
  },
});
