/**
 * Turning failures into Kafka error codes, and the ownership checks every partition-level API
 * makes before touching storage.
 */
import type { Logger } from '../log';
import { ErrorCode, KafkaError } from '../protocol/error-codes';
import type { TopicDescription } from '../storage/storage';
import type { BrokerServices } from './api';

/**
 * The code a client should see for `error`: a KafkaError's own code; anything else is a bug or an
 * outage on our side, logged with `context` and answered UNKNOWN_SERVER_ERROR.
 */
export function errorCodeOf(error: unknown, log: Logger, context: Record<string, unknown>): ErrorCode {
  if (error instanceof KafkaError) return error.code;
  log.error({ err: error, ...context }, 'request failed with an unexpected error');
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

/** The message to report with a code (for versions that carry error messages). */
export function errorMessageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Whether this broker may serve `partition` of `topic` now: UNKNOWN_TOPIC_OR_PARTITION when the
 * topic or partition does not exist, NOT_LEADER_OR_FOLLOWER when another broker owns it,
 * LEADER_NOT_AVAILABLE while it has no owner (moving), else NONE.
 */
export function partitionAccessError(
  services: BrokerServices,
  topic: TopicDescription | undefined,
  partition: number,
): ErrorCode {
  if (!topic || partition < 0 || partition >= topic.partitionCount) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  const owner = services.cluster.ownerOfPartition(topic.name, partition);
  if (owner === undefined) return ErrorCode.LEADER_NOT_AVAILABLE;
  if (owner !== services.cluster.localNodeId) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  return ErrorCode.NONE;
}
