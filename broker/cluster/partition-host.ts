/**
 * The contract between the cluster and the storage engine, in both directions.
 *
 * PartitionHost: what the cluster asks of the storage engine when ownership changes. Each call is
 * about one partition and resolves only once its effect is committed to the metadata log.
 *
 * WriteGate: what the storage engine asks of the cluster on every append. `checkWritable` runs
 * before a batch goes into the WAL; `mayAcknowledge` runs after the batch is durable (fsynced) and
 * before the append resolves: when it says no, the append fails with NOT_LEADER_OR_FOLLOWER and the
 * client retries elsewhere. A record is acknowledged only if it was durable in the WAL while this
 * broker's lease was current, which is exactly what a later replay of that WAL is sure to find.
 */
import type { TopicPartition } from '../storage/storage';

/** A WAL to replay: the directory of node `nodeId`, records written by incarnation `epoch`. */
export interface WalSource {
  readonly nodeId: number;
  readonly epoch: number;
}

export interface PartitionHost {
  /**
   * Replays the WALs (oldest first) for this partition: opens each fresh (NFS close-to-open), takes
   * the records of the partition written by that epoch whose offsets continue the committed end,
   * uploads them and commits them (as this broker's epoch). Resolves once committed.
   */
  recoverPartition(partition: TopicPartition, sources: readonly WalSource[]): Promise<void>;
  /**
   * The partition serves here from now on: (re)load its state (next offset, producer state) from the
   * committed metadata, which holds everything of it.
   */
  servePartition(partition: TopicPartition): Promise<void>;
  /**
   * Stops new appends to the partition, waits for the ones in flight, uploads and commits what the
   * WAL holds for it. Resolves once committed (the partition is about to be handed over).
   */
  quiescePartition(partition: TopicPartition): Promise<void>;
  /** The partition left this broker: drop its local state. */
  dropPartition(partition: TopicPartition): void;
}

export interface WriteGate {
  /** Throws KafkaError NOT_LEADER_OR_FOLLOWER when this broker may not take writes for the partition. */
  checkWritable(partition: TopicPartition): void;
  /** After the batch is durable: may this broker acknowledge it? */
  mayAcknowledge(partition: TopicPartition): boolean;
}
