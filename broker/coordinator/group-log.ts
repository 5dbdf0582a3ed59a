/**
 * Where the coordinator keeps what must survive it: one record per committed offset and per
 * group generation, in a partition of __consumer_offsets. The latest record of a key wins; a null
 * value (a tombstone) deletes the key.
 *
 * Now and then the coordinator appends a snapshot of a partition's live state followed by a
 * snapshot marker (group-writer.ts): replaying from the start of the last complete snapshot
 * rebuilds the same groups as replaying the whole partition, so loading stays fast however long
 * the partition grows (group-loader.ts). See storage-group-log.ts for the implementation over
 * Storage.
 */
import { ErrorCode, KafkaError } from '../protocol/error-codes';
import type { CommittedOffset } from './committed-offsets';
import type { MemberIdentity } from './member';

/** One member as stored with its group's generation (Kafka's GroupMetadataValue member). */
export interface StoredMember extends MemberIdentity {
  /** The member's metadata for the generation's protocol. */
  readonly subscription: Buffer;
  readonly assignment: Buffer;
}

/** A group's generation, written when it becomes Stable (with assignments) or Empty. */
export interface StoredGroup {
  /** "" for a group without one. */
  readonly protocolType: string;
  readonly generationId: number;
  readonly protocolName: string | null;
  readonly leaderId: string | null;
  readonly stateTimestampMs: number;
  readonly members: readonly StoredMember[];
}

export type GroupLogRecord =
  | {
      readonly kind: 'offset';
      readonly groupId: string;
      readonly topic: string;
      readonly partition: number;
      readonly value: CommittedOffset | null;
    }
  | { readonly kind: 'group'; readonly groupId: string; readonly value: StoredGroup | null }
  /**
   * Ends a complete snapshot: the records from `snapshotStart` up to this marker hold the whole
   * live state of the partition as it was when the snapshot was taken.
   */
  | { readonly kind: 'snapshot-marker'; readonly snapshotStart: bigint };

export interface LogBounds {
  /** The offset of the first record still in the log. */
  readonly start: bigint;
  /** The offset the next record will get. */
  readonly end: bigint;
}

export interface GroupLog {
  /**
   * Appends the records to one partition of __consumer_offsets as one atomic batch. Resolves once
   * they are durable, with the log offset of the first record (the others follow it in order).
   * Throws KafkaError with the storage's code when the append fails.
   */
  append(partition: number, records: readonly GroupLogRecord[]): Promise<bigint>;
  bounds(partition: number): Promise<LogBounds>;
  /**
   * Drops the records below `offset`: the log start moves forward to it (never back). Resolves
   * true once the log starts at or after `offset`, false when the storage cannot cut there yet
   * (the records are not all uploaded; try again later). Throws on other failures.
   */
  advanceStart(partition: number, offset: bigint): Promise<boolean>;
  /** Calls `apply` for every record of the partition from offset `from` to its end, in order. */
  read(partition: number, from: bigint, apply: (record: GroupLogRecord, logOffset: bigint) => void): Promise<void>;
}

/** What a failed append means to a client (Kafka's GroupMetadataManager mapping). */
export function appendErrorCode(error: unknown): ErrorCode {
  if (!(error instanceof KafkaError)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  switch (error.code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return error.code;
  }
}
