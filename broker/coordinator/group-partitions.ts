/**
 * Which groups this coordinator serves: those of the __consumer_offsets partitions this broker
 * owns. Each owned partition is loading (its records being replayed) or loaded (its groups in
 * memory); a partition the broker no longer owns is dropped with its groups. Kafka's
 * GroupMetadataManager, less the writing of records.
 */
import type { Logger } from 'pino';
import { ErrorCode } from '../protocol/error-codes';
import { Group } from './group';
import type { GroupLog, GroupLogRecord } from './group-log';
import { loadGroups } from './group-loader';
import { GroupWriter } from './group-writer';
import { offsetsPartitionFor } from './offsets-topic';
import type { Scheduler } from './scheduler';

/** Group ids must be non-empty, except for the APIs Kafka keeps open to the empty id. */
export type GroupIdRule = 'non-empty' | 'any';

type PartitionLoad = { readonly state: 'loading'; done: Promise<void> } | { readonly state: 'loaded' };

export interface GroupPartitionsOptions {
  /** The partition count of __consumer_offsets as it exists (see ensureOffsetsTopic). */
  readonly partitionCount: number;
  readonly log: GroupLog;
  readonly scheduler: Scheduler;
  /** Is this broker the owner of that __consumer_offsets partition right now? */
  readonly ownsPartition: (partition: number) => boolean;
  readonly logger: Logger;
  /** See GroupWriterOptions.snapshotMinRecords. */
  readonly snapshotMinRecords: number;
  /** Called for each group rebuilt by a load, before it is served. */
  readonly onLoaded: (group: Group) => void;
  /** Called for each group of a partition that is dropped; it must let go of the group. */
  readonly onUnloaded: (group: Group) => void;
}

export class GroupPartitions {
  private readonly groups = new Map<string, Group>();
  private readonly partitions = new Map<number, PartitionLoad>();
  /** False before start and after close: every group request is COORDINATOR_NOT_AVAILABLE. */
  active = false;
  /** Every append to __consumer_offsets goes through it (snapshots need to see them all). */
  readonly writer: GroupWriter;

  constructor(private readonly options: GroupPartitionsOptions) {
    this.writer = new GroupWriter({
      log: options.log,
      logger: options.logger,
      capture: (partition) => this.capture(partition),
      snapshotMinRecords: options.snapshotMinRecords,
    });
  }

  partitionFor(groupId: string): number {
    return offsetsPartitionFor(groupId, this.options.partitionCount);
  }

  get(groupId: string): Group | undefined {
    return this.groups.get(groupId);
  }

  /** The groups of the loaded partitions. */
  all(): Group[] {
    return [...this.groups.values()];
  }

  create(groupId: string): Group {
    const group = new Group(groupId, this.partitionFor(groupId), this.options.scheduler.nowMs());
    this.groups.set(groupId, group);
    return group;
  }

  /** Stops serving `group` (deleted, expired or unloaded). */
  forget(group: Group): void {
    if (this.groups.get(group.groupId) === group) this.groups.delete(group.groupId);
  }

  isLoading(): boolean {
    return [...this.partitions.values()].some((load) => load.state === 'loading');
  }

  /**
   * Kafka's validateGroupStatus: is the id valid, is the coordinator running, does this broker
   * own the group's partition, and is the partition loaded? A partition owned but not loaded
   * starts loading (the cluster may hand partitions over without telling the coordinator first).
   */
  status(groupId: string, rule: GroupIdRule): ErrorCode {
    if (rule === 'non-empty' && groupId === '') return ErrorCode.INVALID_GROUP_ID;
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const partition = this.partitionFor(groupId);
    if (!this.options.ownsPartition(partition)) {
      if (this.partitions.has(partition)) this.unload(partition);
      return ErrorCode.NOT_COORDINATOR;
    }
    const load = this.partitions.get(partition);
    if (load?.state === 'loaded') return ErrorCode.NONE;
    if (!load) this.load(partition).catch(() => undefined); // logged by replay
    return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
  }

  /** Loads every partition this broker owns now. */
  async loadOwned(): Promise<void> {
    const owned = [...Array(this.options.partitionCount).keys()].filter((partition) => this.options.ownsPartition(partition));
    await Promise.all(owned.map((partition) => this.load(partition)));
  }

  /**
   * Follows the cluster: loads the partitions this broker has become the owner of, drops those
   * it lost.
   */
  checkOwnership(): void {
    for (let partition = 0; partition < this.options.partitionCount; partition++) {
      const owned = this.options.ownsPartition(partition);
      const held = this.partitions.has(partition);
      if (owned && !held) this.load(partition).catch(() => undefined); // logged by replay
      else if (!owned && held) this.unload(partition);
    }
  }

  /**
   * Rebuilds the groups of a partition by replaying it. Requests for its groups get
   * COORDINATOR_LOAD_IN_PROGRESS meanwhile. Resolves once they are served here.
   */
  load(partition: number): Promise<void> {
    const current = this.partitions.get(partition);
    if (current?.state === 'loaded') return Promise.resolve();
    if (current?.state === 'loading') return current.done;
    const loading: PartitionLoad = { state: 'loading', done: Promise.resolve() };
    this.partitions.set(partition, loading);
    loading.done = this.replay(partition, loading);
    return loading.done;
  }

  private async replay(partition: number, loading: PartitionLoad): Promise<void> {
    const { logger } = this.options;
    try {
      const { groups: loaded, recordsSinceSnapshot, snapshotSize, snapshotStart } = await loadGroups(this.options.log, partition, {
        partitionOf: (groupId) => this.partitionFor(groupId),
        nowMs: this.options.scheduler.nowMs(),
        logger,
      });
      // The partition may have moved away (or the coordinator closed) while it was replayed.
      if (this.partitions.get(partition) !== loading || !this.active || !this.options.ownsPartition(partition)) {
        if (this.partitions.get(partition) === loading) this.partitions.delete(partition);
        return;
      }
      for (const group of loaded) {
        this.groups.set(group.groupId, group);
        this.options.onLoaded(group);
      }
      this.partitions.set(partition, { state: 'loaded' });
      logger.info({ partition, groups: loaded.length, recordsSinceSnapshot, snapshotSize }, 'loaded group partition');
      this.writer.loaded(partition, recordsSinceSnapshot, snapshotSize, snapshotStart);
    } catch (error) {
      if (this.partitions.get(partition) === loading) this.partitions.delete(partition);
      logger.error({ err: error, partition }, 'could not load group partition; the next request retries');
      throw error;
    }
  }

  /** Drops a partition and its groups (this broker no longer owns it, or is closing). */
  unload(partition: number): void {
    this.partitions.delete(partition);
    this.writer.forget(partition);
    for (const group of this.all()) {
      if (group.partition !== partition) continue;
      this.options.onUnloaded(group);
      this.forget(group);
    }
  }

  /** The live state of a partition as records: each group's stored generation and offsets. */
  private capture(partition: number): GroupLogRecord[] {
    return this.all()
      .filter((group) => group.partition === partition)
      .flatMap(({ groupId, storedGeneration, offsets }): GroupLogRecord[] => [
        ...(storedGeneration ? [{ kind: 'group' as const, groupId, value: storedGeneration }] : []),
        ...[...offsets.entries()].map(({ topic, partition: topicPartition, committed }) => ({
          kind: 'offset' as const,
          groupId,
          topic,
          partition: topicPartition,
          value: {
            offset: committed.offset,
            leaderEpoch: committed.leaderEpoch,
            metadata: committed.metadata,
            commitTimestampMs: committed.commitTimestampMs,
            expireTimestampMs: committed.expireTimestampMs,
          },
        })),
      ]);
  }

  unloadAll(): void {
    for (const partition of [...this.partitions.keys()]) this.unload(partition);
  }
}
