/**
 * A group's committed offsets, and the rule that decides which of them have expired.
 *
 * Every commit is a record in __consumer_offsets; `logOffset` is where that record sits. The
 * in-memory value is the one of the highest log offset, exactly what replaying the log yields, so
 * two commits of the same partition whose appends complete out of order still end as the log says.
 */
import type { TopicPartition } from '../storage/storage';

export interface CommittedOffset {
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestampMs: number;
  /**
   * Only for commits that carried an explicit retention (OffsetCommit v2-4): the offset then
   * expires at this time, whatever the group's state (Kafka's pre-2.1 semantics).
   */
  readonly expireTimestampMs: number | undefined;
}

export interface StoredOffset extends CommittedOffset {
  /** The offset of the commit's record in __consumer_offsets. */
  readonly logOffset: bigint;
}

export interface CommittedPartition extends TopicPartition {
  readonly committed: StoredOffset;
}

export class CommittedOffsets {
  private readonly byTopic = new Map<string, Map<number, StoredOffset>>();

  get size(): number {
    let count = 0;
    for (const partitions of this.byTopic.values()) count += partitions.size;
    return count;
  }

  get(topic: string, partition: number): StoredOffset | undefined {
    return this.byTopic.get(topic)?.get(partition);
  }

  /** Applies a commit unless a later record of the log already set this partition. */
  apply(topic: string, partition: number, committed: StoredOffset): void {
    const current = this.get(topic, partition);
    if (current && current.logOffset > committed.logOffset) return;
    let partitions = this.byTopic.get(topic);
    if (!partitions) {
      partitions = new Map();
      this.byTopic.set(topic, partitions);
    }
    partitions.set(partition, committed);
  }

  delete(topic: string, partition: number): void {
    const partitions = this.byTopic.get(topic);
    if (!partitions) return;
    partitions.delete(partition);
    if (partitions.size === 0) this.byTopic.delete(topic);
  }

  *entries(): Generator<CommittedPartition> {
    for (const [topic, partitions] of this.byTopic) {
      for (const [partition, committed] of partitions) yield { topic, partition, committed };
    }
  }

  /**
   * The offsets to expire now, as Kafka decides (KIP-211): an offset with an explicit expiry
   * expires then; otherwise it expires `retentionMs` after `baseTimestampMs(offset)`. Offsets of
   * `keepTopics` (topics the group's members subscribe to) never expire.
   */
  expired(
    nowMs: number,
    retentionMs: number,
    baseTimestampMs: (committed: StoredOffset) => number,
    keepTopics: ReadonlySet<string> = new Set(),
  ): CommittedPartition[] {
    return [...this.entries()].filter(({ topic, committed }) => {
      if (keepTopics.has(topic)) return false;
      if (committed.expireTimestampMs !== undefined) return nowMs >= committed.expireTimestampMs;
      return nowMs - baseTimestampMs(committed) >= retentionMs;
    });
  }
}
