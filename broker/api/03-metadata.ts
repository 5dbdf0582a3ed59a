/**
 * Metadata (key 3), versions 0-8.
 *
 * Brokers, controller and partition owners come from the ClusterView; the rack is the broker's
 * availability zone. A partition without an owner (moving between brokers) is reported with
 * leader -1 and LEADER_NOT_AVAILABLE, which makes clients retry.
 *
 * Topic selection: v0 lists all topics for an empty list; v1+ for a null list (an empty list asks
 * for none). Listing all topics leaves out internal ones (__consumer_offsets), which are described
 * only when asked for by name, with is_internal set.
 *
 * Auto-creation: a requested topic that does not exist is created with --default-partitions when
 * --auto-create-topics is true and the request allows it (always for v0-3, the flag from v4).
 * Creation is durable before the answer, so unlike Kafka the new topic is described at once
 * instead of answering LEADER_NOT_AVAILABLE first. Topic and cluster authorized operations (v8)
 * are not computed: they are reported as "not requested".
 */
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode, KafkaError } from '../protocol/error-codes';
import { MetadataRequest, MetadataResponse } from '../protocol/messages/metadata';
import type { Encodable } from '../protocol/schema';
import type { TopicDescription } from '../storage/storage';
import { type BrokerServices, defineApi, type RequestContext } from './api';
import { errorCodeOf } from './errors';

type TopicResponse = Encodable<typeof MetadataResponse>['topics'][number];

function describe(topic: TopicDescription, services: BrokerServices): TopicResponse {
  const partitions = Array.from({ length: topic.partitionCount }, (_, partitionIndex) => {
    const owner = services.cluster.ownerOfPartition(topic.name, partitionIndex);
    const replicas = owner === undefined ? [] : [owner];
    return {
      errorCode: owner === undefined ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
      partitionIndex,
      leaderId: owner ?? -1,
      replicaNodes: replicas,
      isrNodes: replicas,
      offlineReplicas: [],
    };
  });
  return { errorCode: ErrorCode.NONE, name: topic.name, isInternal: topic.internal, partitions };
}

function missing(name: string, errorCode: ErrorCode): TopicResponse {
  return { errorCode, name, isInternal: false, partitions: [] };
}

/** Describes a topic by name, creating it first when auto-creation applies. */
async function describeOrCreate(name: string, mayCreate: boolean, context: RequestContext): Promise<TopicResponse> {
  const { storage, settings } = context.services;
  const existing = storage.describeTopic(name);
  if (existing) return describe(existing, context.services);
  if (!mayCreate) return missing(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  try {
    const created = await storage.createTopic(name, settings.defaultPartitions, {});
    context.log.info({ topic: name, partitions: created.partitionCount }, 'metadata: topic auto-created');
    return describe(created, context.services);
  } catch (error) {
    // Another request created it in the meantime.
    const raced = error instanceof KafkaError && error.code === ErrorCode.TOPIC_ALREADY_EXISTS && storage.describeTopic(name);
    if (raced) return describe(raced, context.services);
    return missing(name, errorCodeOf(error, context.log, { topic: name }));
  }
}

export const metadataApi = defineApi({
  key: ApiKey.Metadata,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 8,
  request: MetadataRequest,
  response: MetadataResponse,
  async handle(request, context) {
    const { storage, cluster, settings } = context.services;
    const allTopics = request.topics === null || (context.apiVersion === 0 && request.topics.length === 0);
    const mayCreate = settings.autoCreateTopics && request.allowAutoTopicCreation;
    const topics = allTopics
      ? storage
          .listTopics()
          .filter((topic) => !topic.internal)
          .map((topic) => describe(topic, context.services))
      : await Promise.all((request.topics ?? []).map(({ name }) => describeOrCreate(name, mayCreate, context)));
    return {
      throttleTimeMs: 0,
      brokers: cluster.brokers().map(({ nodeId, host, port, rack }) => ({ nodeId, host, port, rack })),
      clusterId: cluster.clusterId,
      controllerId: cluster.controllerId(),
      topics,
    };
  },
});
