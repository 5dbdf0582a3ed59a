/**
 * OffsetCommit (key 8), versions 0-7. Each partition of a topic this broker does not know is
 * UNKNOWN_TOPIC_OR_PARTITION; the others go to the coordinator in one batch, acknowledged once
 * the records are durable in __consumer_offsets (WAL fsync, as for a produced batch).
 *
 * v0 (ZooKeeper commits in Kafka) is served like v1 without member and generation, i.e. as a
 * simple commit. v1 carries a commit timestamp per partition; v2-4 a retention time, which sets
 * an expiry for those commits; v5+ use offsets.retention.minutes only.
 */
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode } from '../protocol/error-codes';
import { OffsetCommitRequest, OffsetCommitResponse } from '../protocol/messages/offset-commit';
import type { OffsetToCommit, PartitionResult } from '../coordinator/operations';
import { defineApi } from './api';
import { byTopic, coordinatorOf } from './groups';

export const offsetCommitApi = defineApi({
  key: ApiKey.OffsetCommit,
  name: 'OffsetCommit',
  minVersion: 0,
  maxVersion: 7,
  request: OffsetCommitRequest,
  response: OffsetCommitResponse,
  async handle(request, context) {
    const { storage } = context.services;
    const commits: (OffsetToCommit & { unknownPartition: boolean })[] = request.topics.flatMap((topic) => {
      const description = storage.describeTopic(topic.name);
      return topic.partitions.map((partition) => ({
        topic: topic.name,
        partition: partition.partitionIndex,
        offset: partition.committedOffset,
        leaderEpoch: partition.committedLeaderEpoch,
        metadata: partition.committedMetadata,
        commitTimestampMs: Number(partition.commitTimestamp),
        unknownPartition:
          !description || partition.partitionIndex < 0 || partition.partitionIndex >= description.partitionCount,
      }));
    });
    const coordinator = coordinatorOf(context);
    const known = commits.filter((commit) => !commit.unknownPartition);
    const results: readonly PartitionResult[] = !coordinator
      ? known.map(({ topic, partition }) => ({ topic, partition, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }))
      : known.length === 0
        ? []
        : await coordinator.commitOffsets({
            groupId: request.groupId,
            generationId: request.generationId,
            memberId: request.memberId,
            groupInstanceId: request.groupInstanceId,
            retentionTimeMs: Number(request.retentionTimeMs),
            offsets: known,
          });
    context.log.debug({ groupId: request.groupId, partitions: commits.length, errors: results.filter((r) => r.errorCode !== ErrorCode.NONE).length }, 'offsets committed');
    const resultOf = new Map(known.map((commit, index) => [commit, results[index].errorCode]));
    return {
      topics: byTopic(commits, (commit) => ({
        partitionIndex: commit.partition,
        errorCode: commit.unknownPartition ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : (resultOf.get(commit) ?? ErrorCode.UNKNOWN_SERVER_ERROR),
      })),
    };
  },
});
