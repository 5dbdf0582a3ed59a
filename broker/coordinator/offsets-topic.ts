/**
 * The internal topic __consumer_offsets: its name, which of its partitions holds a group, and its
 * creation at startup.
 *
 * A group lives in partition `abs(javaHashCode(groupId)) % partitionCount`, Kafka's own formula,
 * so a group id maps to the same partition number as on a Kafka cluster with the same count. The
 * coordinator of a group is the owner of that partition: when the partition moves to another
 * broker, the group moves with it.
 */
import type { Logger } from 'pino';
import { ErrorCode, KafkaError } from '../protocol/error-codes';
import type { Storage, TopicDescription } from '../storage/storage';

export const OFFSETS_TOPIC = '__consumer_offsets';

/**
 * Configs of the internal topic. Nothing may delete its records by age or size: a group that
 * commits rarely would lose its offsets. The coordinator expires offsets itself (tombstones).
 */
export const OFFSETS_TOPIC_CONFIGS: Readonly<Record<string, string>> = {
  'retention.ms': '-1',
  'retention.bytes': '-1',
};

/** java.lang.String#hashCode: 31-based over UTF-16 code units, in 32-bit arithmetic. */
function javaStringHashCode(value: string): number {
  let hash = 0;
  for (let i = 0; i < value.length; i++) hash = (Math.imul(31, hash) + value.charCodeAt(i)) | 0;
  return hash;
}

/** The __consumer_offsets partition of a group (Kafka's GroupMetadataManager.partitionFor). */
export function offsetsPartitionFor(groupId: string, partitionCount: number): number {
  const hash = javaStringHashCode(groupId);
  // Kafka's Utils.abs: the absolute value, except that Integer.MIN_VALUE gives 0.
  const absolute = hash === -0x80000000 ? 0 : Math.abs(hash);
  return absolute % partitionCount;
}

/**
 * Creates __consumer_offsets if it does not exist, and returns it. An existing topic keeps its
 * partition count whatever `partitionCount` says: moving groups between partitions would lose them.
 */
export async function ensureOffsetsTopic(
  storage: Storage,
  partitionCount: number,
  logger?: Logger,
): Promise<TopicDescription> {
  const existing = storage.describeTopic(OFFSETS_TOPIC);
  if (existing) {
    if (existing.partitionCount !== partitionCount) {
      logger?.warn(
        { existing: existing.partitionCount, requested: partitionCount },
        `${OFFSETS_TOPIC} exists with a different partition count; keeping the existing one`,
      );
    }
    return existing;
  }
  try {
    return await storage.createTopic(OFFSETS_TOPIC, partitionCount, OFFSETS_TOPIC_CONFIGS, { internal: true });
  } catch (error) {
    // Another broker of the cluster created it first.
    const created = storage.describeTopic(OFFSETS_TOPIC);
    if (error instanceof KafkaError && error.code === ErrorCode.TOPIC_ALREADY_EXISTS && created) return created;
    throw error;
  }
}
