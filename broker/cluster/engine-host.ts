/**
 * The storage engine as the cluster's PartitionHost (partition-host.ts):
 * - recover: replay the dead epochs' WALs from the shared root (wal-recovery.ts);
 * - serve: nothing to load: the engine follows every commit of the metadata log, so its state of
 *   the partition (next offset, producers) is the committed one; it only waits for the engine to
 *   have started;
 * - quiesce: the cluster's gate already refuses new appends; upload and commit what the WAL holds,
 *   then check that the partition's last offset here is committed (a stuck upload must never let a
 *   partition be handed over with acknowledged records only in this WAL);
 * - drop: nothing (the engine keeps following the partition's commits for reads).
 */
import type { Logger } from 'pino';
import type { StorageEngine } from '../storage/engine/engine';
import type { ObjectStore } from '../storage/object-store';
import type { TopicPartition } from '../storage/storage';
import type { PartitionHost, WalSource } from './partition-host';
import { recoverPartitionFromWals } from './wal-recovery';

export class EnginePartitionHost implements PartitionHost {
  private readonly ready: Promise<void>;
  private markReady!: () => void;
  private started = false;

  constructor(
    private readonly engine: StorageEngine,
    private readonly options: { readonly walRoot: string; readonly store: ObjectStore; readonly logger: Logger },
  ) {
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
  }

  /** The engine has started (its WAL is open): partitions may serve. */
  engineStarted(): void {
    this.started = true;
    this.markReady();
  }

  async recoverPartition(partition: TopicPartition, sources: readonly WalSource[]): Promise<void> {
    const result = await recoverPartitionFromWals(
      { walRoot: this.options.walRoot, store: this.options.store, metadataLog: this.engine.metadata, logger: this.options.logger },
      partition,
      sources,
    );
    this.options.logger.info({ ...partition, sources, ...result }, 'replayed WAL records of a failed broker');
  }

  async servePartition(): Promise<void> {
    await this.ready;
  }

  async quiescePartition(partition: TopicPartition): Promise<void> {
    await this.ready;
    await this.engine.flush();
    await this.assertCommitted([partition]);
  }

  dropPartition(): void {}

  /** Uploads everything and checks that the partitions' data is all committed (the drain). */
  async uploadAll(partitions: readonly TopicPartition[]): Promise<void> {
    // An engine still waiting to open its WAL has written nothing.
    if (!this.started) return;
    await this.engine.flush();
    await this.assertCommitted(partitions);
  }

  private async assertCommitted(partitions: readonly TopicPartition[]): Promise<void> {
    await this.engine.metadata.catchUp();
    for (const partition of partitions) {
      const local = this.engine.localNextOffset(partition.topic, partition.partition);
      const committed = this.engine.committedNextOffset(partition.topic, partition.partition);
      if (local !== undefined && committed !== undefined && local > committed) {
        throw new Error(
          `${partition.topic}-${partition.partition}: offsets up to ${local} are in this broker's WAL but only ${committed} are committed; not handing it over`,
        );
      }
    }
  }
}
