/**
 * Every append of the coordinator to __consumer_offsets goes through here, so that each partition
 * can be compacted by snapshot: once enough records have been appended since the last snapshot,
 * the partition's live state (each group's stored generation and committed offsets) is appended
 * again, followed by a marker naming where the snapshot starts. Loading then only needs the log
 * from the last complete snapshot on (group-loader.ts).
 *
 * A snapshot must not miss anything acknowledged before it nor shadow anything after it, so it is
 * taken alone: appends that arrive meanwhile wait; appends in flight are first allowed to finish
 * and be applied (their `onDurable` runs before they count as finished). The snapshot's records
 * thus hold exactly the state the log held when they were taken, and every later record follows
 * them. A snapshot cut short by a crash has no marker and is ignored by loading (its records are
 * copies of values the log already had, so replaying them changes nothing).
 *
 * Snapshots add records, they remove none: the storage keeps __consumer_offsets for ever (see
 * offsets-topic.ts); what they bound is the time to load a partition.
 */
import type { Logger } from 'pino';
import type { GroupLog, GroupLogRecord } from './group-log';

/** Records per batch of a snapshot, which keeps batches around 100 KiB. */
const SNAPSHOT_BATCH_RECORDS = 1_000;

export interface GroupWriterOptions {
  readonly log: GroupLog;
  readonly logger: Logger;
  /** The live state of a partition as records: each group's stored generation and offsets. */
  readonly capture: (partition: number) => GroupLogRecord[];
  /**
   * A snapshot is taken once this many records, and at least twice the size of the last
   * snapshot, have been appended since it: loading reads at most about three times the live state.
   */
  readonly snapshotMinRecords: number;
}

interface PartitionWrites {
  inFlight: number;
  /** Woken when inFlight drops to 0. */
  readonly idle: (() => void)[];
  /** Set while a snapshot is being written: new appends wait for it. */
  snapshot: Promise<void> | undefined;
  sinceSnapshot: number;
  snapshotSize: number;
}

export class GroupWriter {
  private readonly partitions = new Map<number, PartitionWrites>();

  constructor(private readonly options: GroupWriterOptions) {}

  /**
   * Appends `records` as one batch. `onDurable` runs as soon as they are durable, before any
   * snapshot may look at the state (it is where the caller applies them).
   */
  async append(partition: number, records: readonly GroupLogRecord[], onDurable?: (baseOffset: bigint) => void): Promise<bigint> {
    const writes = this.writesOf(partition);
    while (writes.snapshot) await writes.snapshot;
    writes.inFlight++;
    try {
      const baseOffset = await this.options.log.append(partition, records);
      writes.sinceSnapshot += records.length;
      onDurable?.(baseOffset);
      return baseOffset;
    } finally {
      writes.inFlight--;
      if (writes.inFlight === 0) for (const wake of writes.idle.splice(0)) wake();
      this.maybeSnapshot(partition, writes);
    }
  }

  /** After a load: how many records were read beyond the last snapshot, which was this large. */
  loaded(partition: number, recordsSinceSnapshot: number, snapshotSize: number): void {
    const writes = this.writesOf(partition);
    writes.sinceSnapshot = recordsSinceSnapshot;
    writes.snapshotSize = snapshotSize;
    this.maybeSnapshot(partition, writes);
  }

  /** Forgets a partition this broker no longer owns. */
  forget(partition: number): void {
    this.partitions.delete(partition);
  }

  /** Writes a snapshot of the partition now (once the appends in flight are done). */
  async snapshot(partition: number): Promise<void> {
    const writes = this.writesOf(partition);
    while (writes.snapshot) await writes.snapshot;
    let finished!: () => void;
    writes.snapshot = new Promise((resolve) => (finished = resolve));
    try {
      while (writes.inFlight > 0) await new Promise<void>((resolve) => writes.idle.push(resolve));
      const records = this.options.capture(partition);
      let snapshotStart: bigint | undefined;
      for (let from = 0; from < records.length; from += SNAPSHOT_BATCH_RECORDS) {
        const baseOffset = await this.options.log.append(partition, records.slice(from, from + SNAPSHOT_BATCH_RECORDS));
        snapshotStart ??= baseOffset;
      }
      const markerOffset = await this.options.log.append(partition, [
        // An empty partition's snapshot is the marker alone: it "starts" at the log end before it.
        { kind: 'snapshot-marker', snapshotStart: snapshotStart ?? -1n },
      ]);
      writes.sinceSnapshot = 0;
      writes.snapshotSize = records.length + 1;
      this.options.logger.info({ partition, records: records.length, snapshotStart: snapshotStart ?? markerOffset }, 'wrote a snapshot of the group partition');
    } finally {
      writes.snapshot = undefined;
      finished();
    }
  }

  private maybeSnapshot(partition: number, writes: PartitionWrites): void {
    if (writes.snapshot || this.partitions.get(partition) !== writes) return;
    if (writes.sinceSnapshot < Math.max(this.options.snapshotMinRecords, 2 * writes.snapshotSize)) return;
    this.snapshot(partition).catch((error: unknown) =>
      this.options.logger.warn({ err: error, partition }, 'could not write a snapshot of the group partition; a later append retries'),
    );
  }

  private writesOf(partition: number): PartitionWrites {
    let writes = this.partitions.get(partition);
    if (!writes) {
      writes = { inFlight: 0, idle: [], snapshot: undefined, sinceSnapshot: 0, snapshotSize: 0 };
      this.partitions.set(partition, writes);
    }
    return writes;
  }
}
