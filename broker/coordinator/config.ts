/**
 * The coordinator's settings, named after the Kafka broker configs they mirror, with Kafka's
 * defaults. broker/config.ts exposes the ones operators tune as flags.
 */

export interface CoordinatorConfig {
  /** offsets.topic.num.partitions: used only when __consumer_offsets is created. */
  readonly offsetsTopicPartitions: number;
  /** group.initial.rebalance.delay.ms: how long an Empty group waits for more members. */
  readonly initialRebalanceDelayMs: number;
  /** group.min.session.timeout.ms / group.max.session.timeout.ms: the accepted session timeouts. */
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  /** offsets.retention.minutes, in ms: how long an Empty group keeps its committed offsets. */
  readonly offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms: how often expired offsets are removed. */
  readonly offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes: longer commit metadata is OFFSET_METADATA_TOO_LARGE. */
  readonly offsetMetadataMaxBytes: number;
  /**
   * How long a new member's JoinGroup may be held (Kafka's fixed 5 minutes): a client that gave up
   * on its join must not stall the rebalance for ever.
   */
  readonly newMemberJoinTimeoutMs: number;
  /** offsets.commit.timeout.ms: how long a commit may wait for WAL space before it fails. */
  readonly offsetsCommitTimeoutMs: number;
  /**
   * How often the coordinator compares the __consumer_offsets partitions it has loaded with those
   * the cluster says it owns, loading the new ones and dropping the lost ones (Kafka learns this
   * from its controller; here the cluster view is read).
   */
  readonly ownershipCheckIntervalMs: number;
  /**
   * A partition gets a snapshot of its live state once this many records (and at least twice the
   * last snapshot) were appended since the last one, which bounds the time to load it.
   */
  readonly offsetsSnapshotMinRecords: number;
}

const MINUTE_MS = 60_000;

export const DEFAULT_COORDINATOR_CONFIG: CoordinatorConfig = {
  offsetsTopicPartitions: 50,
  initialRebalanceDelayMs: 3_000,
  minSessionTimeoutMs: 6_000,
  maxSessionTimeoutMs: 30 * MINUTE_MS,
  offsetsRetentionMs: 7 * 24 * 60 * MINUTE_MS,
  offsetsRetentionCheckIntervalMs: 10 * MINUTE_MS,
  offsetMetadataMaxBytes: 4096,
  newMemberJoinTimeoutMs: 5 * MINUTE_MS,
  offsetsCommitTimeoutMs: 5_000,
  ownershipCheckIntervalMs: 1_000,
  offsetsSnapshotMinRecords: 10_000,
};
