/**
 * CreateTopics (key 19), versions 0-4.
 *
 * Any broker may create topics (the metadata log in the object store orders concurrent changes),
 * so there is no NOT_CONTROLLER redirect. Creation is durable when Storage.createTopic resolves,
 * so timeout_ms has nothing to wait for. validate_only (v1+) checks without creating.
 *
 * Deviations from Kafka, because data is not replicated by brokers (S3 keeps it):
 * - any replication factor >= 1 (or -1, the default) is accepted and ignored;
 * - a manual replica assignment only sets the partition count (with num_partitions -1, as Kafka
 *   requires); the broker ids in it are ignored, ownership is the cluster's business;
 * - num_partitions -1 means --default-partitions in every version, not only v4+.
 */
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode, KafkaError } from '../protocol/error-codes';
import { CreateTopicsRequest, CreateTopicsResponse } from '../protocol/messages/create-topics';
import type { Decoded } from '../protocol/schema';
import { defineApi, type RequestContext } from './api';
import { errorCodeOf, errorMessageOf } from './errors';

type TopicRequest = Decoded<typeof CreateTopicsRequest>['topics'][number];

const DEFAULT = -1;

/** The partition count and configs of a valid request; throws KafkaError otherwise. */
function validate(topic: TopicRequest, context: RequestContext): { partitions: number; configs: Record<string, string> } {
  const { numPartitions, replicationFactor, assignments } = topic;
  if (replicationFactor === 0 || replicationFactor < DEFAULT) {
    throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${replicationFactor}: must be -1 or at least 1`);
  }
  let partitions = numPartitions === DEFAULT ? context.services.settings.defaultPartitions : numPartitions;
  if (assignments.length > 0) {
    if (numPartitions !== DEFAULT) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, 'give either num_partitions or a replica assignment, not both');
    }
    partitions = assignments.length;
  }
  if (partitions < 1) {
    throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `${numPartitions} partitions: must be -1 or at least 1`);
  }
  const configs: Record<string, string> = {};
  for (const { name, value } of topic.configs) {
    if (value === null) throw new KafkaError(ErrorCode.INVALID_CONFIG, `config ${name} has a null value`);
    configs[name] = value;
  }
  return { partitions, configs };
}

export const createTopicsApi = defineApi({
  key: ApiKey.CreateTopics,
  name: 'CreateTopics',
  minVersion: 0,
  maxVersion: 4,
  request: CreateTopicsRequest,
  response: CreateTopicsResponse,
  async handle(request, context) {
    const { storage } = context.services;
    const counts = new Map<string, number>();
    for (const { name } of request.topics) counts.set(name, (counts.get(name) ?? 0) + 1);
    const topics = request.topics.map(async (topic) => {
      try {
        if (counts.get(topic.name)! > 1) {
          throw new KafkaError(ErrorCode.INVALID_REQUEST, `topic ${topic.name} appears more than once in the request`);
        }
        const { partitions, configs } = validate(topic, context);
        await storage.createTopic(topic.name, partitions, configs, { validateOnly: request.validateOnly });
        if (!request.validateOnly) context.log.info({ topic: topic.name, partitions }, 'topic created');
        return { name: topic.name, errorCode: ErrorCode.NONE, errorMessage: null };
      } catch (error) {
        const errorCode = errorCodeOf(error, context.log, { topic: topic.name });
        return { name: topic.name, errorCode, errorMessage: errorMessageOf(error) };
      }
    });
    return { throttleTimeMs: 0, topics: await Promise.all(topics) };
  },
});
