/**
 * The one narrow interface between the protocol layer (broker/api) and the storage engine.
 *
 * Handlers speak in Kafka terms (topics, partitions, offsets, record batches) and never see the
 * WAL, the uploader or the object store. Errors a client should see are thrown as KafkaError with
 * the code Kafka would return; anything else is a server error.
 */
import type { RecordBatchHeader } from '../protocol/record-batch';

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface TopicDescription {
  readonly name: string;
  /** 16 random bytes as 32 hex characters (Kafka's topic id, for Metadata v10+). */
  readonly topicId: string;
  readonly partitionCount: number;
  /** Only the configs set on the topic; defaults come from `effectiveConfigs`. */
  readonly configs: Readonly<Record<string, string>>;
  /** Internal topics (e.g. __consumer_offsets) are hidden from clients unless asked for. */
  readonly internal: boolean;
}

export interface ConfigEntry {
  readonly name: string;
  readonly value: string | null;
  readonly isDefault: boolean;
  readonly readOnly: boolean;
  readonly sensitive: boolean;
}

export interface AppendOptions {
  /**
   * How long the append may wait for WAL space (backpressure) before it fails with
   * REQUEST_TIMED_OUT, a retriable error. Nothing is written when it fails.
   */
  readonly timeoutMs: number;
}

export interface AppendResult {
  /** The offset given to the first record of the first batch. */
  readonly baseOffset: bigint;
  /** The broker's append time when the topic uses LogAppendTime, else -1. */
  readonly logAppendTimeMs: bigint;
  readonly logStartOffset: bigint;
}

export interface FetchPartition extends TopicPartition {
  readonly fetchOffset: bigint;
  /** The most bytes to return for this partition (the first batch is returned even if larger). */
  readonly maxBytes: number;
}

export interface FetchOptions {
  /** Long polling: wait up to this long for `minBytes` to be available across all partitions. */
  readonly maxWaitMs: number;
  readonly minBytes: number;
  /** The most bytes across all partitions. */
  readonly maxBytes: number;
  /** Aborted when the connection closes, so a held fetch releases its resources. */
  readonly signal?: AbortSignal;
}

export interface FetchedPartition extends TopicPartition {
  /** ErrorCode.NONE, or e.g. OFFSET_OUT_OF_RANGE / UNKNOWN_TOPIC_OR_PARTITION. */
  readonly errorCode: number;
  readonly highWatermark: bigint;
  readonly lastStableOffset: bigint;
  readonly logStartOffset: bigint;
  /** Whole record batches, each with a valid CRC; empty when there is nothing to return. */
  readonly records: Buffer;
}

export interface OffsetAndTimestamp {
  readonly offset: bigint;
  readonly timestamp: bigint;
}

/** ListOffsets' special timestamps. */
export const LATEST_TIMESTAMP = -1n;
export const EARLIEST_TIMESTAMP = -2n;

export interface ProducerIdAndEpoch {
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

export interface ProduceRequestMemory {
  /** A buffer of exactly `bytes` for a produce request's frame, or undefined (the frame then gets its own). */
  allocate(bytes: number): Buffer | undefined;
  /** The request read into `frame` is done. Buffers `allocate` did not give are ignored. */
  release(frame: Buffer): void;
}

/**
 * A topic's new configs, or how to make them from its current ones (IncrementalAlterConfigs), which
 * the storage applies to the topic's configs as they are when the change is made durable.
 */
export type TopicConfigChange = Readonly<Record<string, string>> | ((current: Readonly<Record<string, string>>) => Record<string, string>);

export interface Storage {
  /** Recovers state (object store, then WAL replay) and starts uploading. */
  start(): Promise<void>;
  /**
   * Stops taking appends, uploads everything in the WAL, and closes. After it resolves the WAL
   * holds nothing the object store lacks.
   */
  close(): Promise<void>;

  listTopics(): readonly TopicDescription[];
  describeTopic(name: string): TopicDescription | undefined;
  /** Throws KafkaError TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_CONFIG, INVALID_TOPIC_EXCEPTION. */
  createTopic(
    name: string,
    partitionCount: number,
    configs: Readonly<Record<string, string>>,
    options?: { internal?: boolean; validateOnly?: boolean },
  ): Promise<TopicDescription>;
  /** Throws KafkaError UNKNOWN_TOPIC_OR_PARTITION. */
  deleteTopic(name: string): Promise<void>;
  /**
   * Replaces the topic's configs, as AlterConfigs does: a config not given returns to its default.
   * Takes effect on every broker once durable (retention, message size). Throws KafkaError
   * UNKNOWN_TOPIC_OR_PARTITION, INVALID_CONFIG.
   */
  alterTopicConfigs(name: string, configs: TopicConfigChange, options?: { validateOnly?: boolean }): Promise<void>;
  /** Every config of the topic, defaults included. Throws UNKNOWN_TOPIC_OR_PARTITION. */
  effectiveConfigs(name: string): readonly ConfigEntry[];

  /**
   * Appends already validated batches (see validateProducedRecords) to one partition. Resolves
   * only once they are durable in the WAL (fsynced). Idempotent-producer batches are checked
   * against the producer's sequence; a duplicate of a recent batch resolves with its original
   * offsets.
   */
  append(
    partition: TopicPartition,
    records: Buffer,
    headers: readonly RecordBatchHeader[],
    options: AppendOptions,
  ): Promise<AppendResult>;

  /**
   * Memory to read produce requests into, if the storage offers it: records appended from there
   * are kept in memory where they lie, without a copy. Every frame allocated is released once its
   * request is done (its response written or dropped); until then nothing writes over it.
   */
  readonly produceRequestMemory?: ProduceRequestMemory;

  /** Reads from several partitions, holding the request per FetchOptions (long polling). */
  fetch(partitions: readonly FetchPartition[], options: FetchOptions): Promise<FetchedPartition[]>;

  /** ListOffsets: the earliest offset whose timestamp is >= `timestamp`, or the special ones. */
  offsetForTimestamp(partition: TopicPartition, timestamp: bigint): Promise<OffsetAndTimestamp>;

  /**
   * DeleteRecords: moves the partition's log start forward to `offset`, so that every record below
   * it becomes unreadable (fetches get OFFSET_OUT_OF_RANGE) and objects no live segment refers to
   * any more are deleted later (as after retention). Never moves it back: a lower offset changes
   * nothing. Throws KafkaError OFFSET_OUT_OF_RANGE for an offset beyond the committed end (records
   * still only in the WAL; retry once they are uploaded). Resolves with the log start after the call.
   */
  advanceLogStart(partition: TopicPartition, offset: bigint): Promise<bigint>;

  /** A producer id never handed out before in this cluster, durable before it is returned. */
  allocateProducerId(): Promise<ProducerIdAndEpoch>;
}
