/**
 * Committed offsets: OffsetCommit (validated against the group's membership as Kafka does, then
 * appended and acknowledged once durable), OffsetFetch, DeleteGroups, and the periodic expiry of
 * old offsets (offsets.retention.minutes), whose removals are tombstones in __consumer_offsets.
 */
import type { Logger } from 'pino';
import { ErrorCode } from '../protocol/error-codes';
import type { TopicPartition } from '../storage/storage';
import type { CoordinatorConfig } from './config';
import { GroupState, type Group } from './group';
import { appendErrorCode, type GroupLogRecord } from './group-log';
import type { GroupPartitions } from './group-partitions';
import type { GroupWriter } from './group-writer';
import type { Member } from './member';
import {
  NO_LEADER_EPOCH,
  NO_OFFSET,
  UNKNOWN_MEMBER_ID,
  type DeletedGroup,
  type FetchedOffset,
  type OffsetCommitInput,
  type OffsetFetchResult,
  type OffsetToCommit,
  type PartitionResult,
} from './operations';
import type { Scheduler } from './scheduler';

export interface OffsetManagerOptions {
  readonly config: CoordinatorConfig;
  readonly writer: GroupWriter;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly groups: GroupPartitions;
  /** A member's commit is a sign of life: its session starts again. */
  readonly keepAlive: (group: Group, member: Member) => void;
  /** Removes a group for good (deleted, or nothing left to keep). */
  readonly drop: (group: Group) => void;
}

/** What to remove from a partition of __consumer_offsets. */
interface Tombstones {
  readonly group: Group;
  readonly offsets: readonly TopicPartition[];
  readonly groupTombstone: boolean;
}

export class OffsetManager {
  constructor(private readonly options: OffsetManagerOptions) {}

  async commit(input: OffsetCommitInput): Promise<PartitionResult[]> {
    const every = (errorCode: ErrorCode): PartitionResult[] =>
      input.offsets.map(({ topic, partition }) => ({ topic, partition, errorCode }));
    const { groups } = this.options;
    const status = groups.status(input.groupId, 'any');
    if (status !== ErrorCode.NONE) return every(status);
    let group = groups.get(input.groupId);
    if (!group) {
      // No group: fine for a consumer that assigns partitions itself (generation -1); otherwise
      // the commit comes from a generation this coordinator no longer knows.
      if (input.generationId >= 0) return every(ErrorCode.ILLEGAL_GENERATION);
      group = groups.create(input.groupId);
    }
    const invalid = this.validate(group, input);
    if (invalid !== ErrorCode.NONE) return every(invalid);
    switch (group.state) {
      case GroupState.Empty:
        return this.store(group, input);
      case GroupState.Stable:
      case GroupState.PreparingRebalance:
        // Still allowed while rebalancing: the heartbeat tells the member about the rebalance.
        this.options.keepAlive(group, group.get(input.memberId));
        return this.store(group, input);
      case GroupState.CompletingRebalance:
        return every(ErrorCode.REBALANCE_IN_PROGRESS);
      case GroupState.Dead:
        return every(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
  }

  private validate(group: Group, input: OffsetCommitInput): ErrorCode {
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const fromMember = input.generationId >= 0 || input.memberId !== UNKNOWN_MEMBER_ID || input.groupInstanceId !== null;
    if (fromMember) {
      if (group.isFencedStaticMember(input.memberId, input.groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
      if (!group.has(input.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (input.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
      return ErrorCode.NONE;
    }
    // A commit from outside the group is only accepted while the group has no members.
    return group.is(GroupState.Empty) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  /** Appends the commits as one batch; applies and acknowledges them once durable. */
  private async store(group: Group, input: OffsetCommitInput): Promise<PartitionResult[]> {
    const { config, writer, logger } = this.options;
    const nowMs = this.options.scheduler.nowMs();
    const results = new Map<OffsetToCommit, ErrorCode>();
    const records: (GroupLogRecord & { kind: 'offset' })[] = [];
    for (const commit of input.offsets) {
      const metadata = commit.metadata ?? '';
      if (Buffer.byteLength(metadata, 'utf8') > config.offsetMetadataMaxBytes) {
        results.set(commit, ErrorCode.OFFSET_METADATA_TOO_LARGE);
        continue;
      }
      records.push({
        kind: 'offset',
        groupId: group.groupId,
        topic: commit.topic,
        partition: commit.partition,
        value: {
          offset: commit.offset,
          leaderEpoch: commit.leaderEpoch,
          metadata,
          commitTimestampMs: commit.commitTimestampMs === -1 ? nowMs : commit.commitTimestampMs,
          expireTimestampMs: input.retentionTimeMs === -1 ? undefined : nowMs + input.retentionTimeMs,
        },
      });
      results.set(commit, ErrorCode.NONE);
    }
    if (records.length > 0) {
      try {
        await writer.append(group.partition, records, (baseOffset) => {
          if (group.is(GroupState.Dead)) return;
          records.forEach((record, index) => {
            if (record.value) {
              group.offsets.apply(record.topic, record.partition, { ...record.value, logOffset: baseOffset + BigInt(index) });
            }
          });
        });
      } catch (error) {
        logger.warn({ err: error, groupId: group.groupId }, 'could not store committed offsets');
        const errorCode = appendErrorCode(error);
        for (const [commit, code] of results) if (code === ErrorCode.NONE) results.set(commit, errorCode);
      }
    }
    return input.offsets.map((commit) => ({
      topic: commit.topic,
      partition: commit.partition,
      errorCode: results.get(commit) ?? ErrorCode.UNKNOWN_SERVER_ERROR,
    }));
  }

  /** The committed offsets of the partitions asked for, or all of them when `partitions` is null. */
  fetch(groupId: string, partitions: readonly TopicPartition[] | null): OffsetFetchResult {
    const { groups } = this.options;
    const status = groups.status(groupId, 'any');
    if (status !== ErrorCode.NONE) return { errorCode: status, offsets: [] };
    const group = groups.get(groupId);
    const known = group && !group.is(GroupState.Dead) ? group : undefined;
    if (partitions === null) {
      const offsets: FetchedOffset[] = [];
      for (const { topic, partition, committed } of known?.offsets.entries() ?? []) {
        const { offset, leaderEpoch, metadata } = committed;
        offsets.push({ topic, partition, offset, leaderEpoch, metadata, errorCode: ErrorCode.NONE });
      }
      return { errorCode: ErrorCode.NONE, offsets };
    }
    return {
      errorCode: ErrorCode.NONE,
      offsets: partitions.map(({ topic, partition }) => {
        const committed = known?.offsets.get(topic, partition);
        return {
          topic,
          partition,
          offset: committed?.offset ?? NO_OFFSET,
          leaderEpoch: committed?.leaderEpoch ?? NO_LEADER_EPOCH,
          metadata: committed?.metadata ?? '',
          errorCode: ErrorCode.NONE,
        };
      }),
    };
  }

  /** Deletes Empty groups with their offsets (tombstones), once the tombstones are durable. */
  async deleteGroups(groupIds: readonly string[]): Promise<DeletedGroup[]> {
    const { groups } = this.options;
    const results = new Map<string, ErrorCode>();
    const deleted: Group[] = [];
    for (const groupId of groupIds) {
      const status = groups.status(groupId, 'any');
      const group = groups.get(groupId);
      if (status !== ErrorCode.NONE) results.set(groupId, status);
      else if (!group || group.is(GroupState.Dead)) results.set(groupId, ErrorCode.GROUP_ID_NOT_FOUND);
      else if (!group.is(GroupState.Empty)) results.set(groupId, ErrorCode.NON_EMPTY_GROUP);
      else {
        this.options.drop(group);
        deleted.push(group);
        results.set(groupId, ErrorCode.NONE);
      }
    }
    const failures = await this.appendTombstones(
      deleted.map((group) => ({ group, offsets: [...group.offsets.entries()], groupTombstone: true })),
    );
    for (const [groupId, errorCode] of failures) results.set(groupId, errorCode);
    return groupIds.map((groupId) => ({ groupId, errorCode: results.get(groupId) ?? ErrorCode.UNKNOWN_SERVER_ERROR }));
  }

  /**
   * Removes expired offsets (see Group.expiredOffsets) and the groups left Empty without offsets,
   * writing their tombstones.
   */
  async expire(): Promise<void> {
    const nowMs = this.options.scheduler.nowMs();
    const removals: Tombstones[] = [];
    for (const group of this.options.groups.all()) {
      if (group.is(GroupState.Dead)) continue;
      const expired = group.expiredOffsets(nowMs, this.options.config.offsetsRetentionMs);
      for (const { topic, partition } of expired) group.offsets.delete(topic, partition);
      // A group that has just handed out ids with MEMBER_ID_REQUIRED is about to get members.
      const groupTombstone = group.is(GroupState.Empty) && group.offsets.size === 0 && group.pendingMembers.size === 0;
      if (groupTombstone) this.options.drop(group);
      if (expired.length > 0 || groupTombstone) removals.push({ group, offsets: expired, groupTombstone });
    }
    const failures = await this.appendTombstones(removals);
    if (removals.length > 0) {
      this.options.logger.info(
        { groups: removals.filter((removal) => removal.groupTombstone).length, failures: failures.size },
        `expired ${removals.reduce((count, removal) => count + removal.offsets.length, 0)} offsets`,
      );
    }
  }

  /** Appends the tombstones, one batch per partition; returns the groups whose batch failed. */
  private async appendTombstones(removals: readonly Tombstones[]): Promise<Map<string, ErrorCode>> {
    const byPartition = new Map<number, Tombstones[]>();
    for (const removal of removals) {
      byPartition.set(removal.group.partition, [...(byPartition.get(removal.group.partition) ?? []), removal]);
    }
    const failures = new Map<string, ErrorCode>();
    await Promise.all(
      [...byPartition].map(async ([partition, partitionRemovals]) => {
        const records = partitionRemovals.flatMap(({ group, offsets, groupTombstone }): GroupLogRecord[] => [
          ...offsets.map(({ topic, partition: topicPartition }) => ({
            kind: 'offset' as const,
            groupId: group.groupId,
            topic,
            partition: topicPartition,
            value: null,
          })),
          ...(groupTombstone ? [{ kind: 'group' as const, groupId: group.groupId, value: null }] : []),
        ]);
        try {
          await this.options.writer.append(partition, records);
        } catch (error) {
          this.options.logger.warn({ err: error, partition }, 'could not store tombstones');
          for (const { group } of partitionRemovals) failures.set(group.groupId, appendErrorCode(error));
        }
      }),
    );
    return failures;
  }
}
