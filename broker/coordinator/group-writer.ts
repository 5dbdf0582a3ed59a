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
 * Once a snapshot's marker is durable, the records before the snapshot's first record are cut
 * off (the partition's log start moves there, which deletes them from the storage), so the
 * partition holds about its live state and what followed the last snapshot. This is safe:
 * - loading replays from the start of the last complete snapshot; the log still holds that
 *   snapshot and its marker (they are at or after the cut), and every later marker names a later
 *   start, so loading finds a marker and replays only records that are kept;
 * - what is cut is shadowed by the snapshot: every live key has a copy in it, and a key deleted
 *   before it (tombstone) is not in it, so dropping its old values and the tombstone loses nothing;
 * - the cut point is only ever the first record of a snapshot whose marker is durable: a snapshot
 *   being written now starts after that marker, and commits after the cut point are kept;
 * - the storage never cuts beyond what it has uploaded, so the cut is retried (`trim`, every
 *   ownership check) until the snapshot's records are committed. A lost cut (crash, partition
 *   moved) is redone by the next owner once it loaded the partition.
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
  /** The start of the last complete snapshot while the log has not been cut there yet. */
  trimTo: bigint | undefined;
  trimming: Promise<void> | undefined;
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

  /**
   * After a load: how many records were read beyond the last snapshot, which was this large and
   * started at `snapshotStart` (undefined without a complete snapshot).
   */
  loaded(partition: number, recordsSinceSnapshot: number, snapshotSize: number, snapshotStart?: bigint): void {
    const writes = this.writesOf(partition);
    writes.sinceSnapshot = recordsSinceSnapshot;
    writes.snapshotSize = snapshotSize;
    if (snapshotStart !== undefined) this.cutLogAt(partition, writes, snapshotStart);
    this.maybeSnapshot(partition, writes);
  }

  /**
   * Cuts the logs of the partitions whose last snapshot the log still holds records before, where
   * the storage has those records committed (others stay pending). Never throws.
   */
  async trim(): Promise<void> {
    await Promise.all([...this.partitions.keys()].map((partition) => this.trimPartition(partition)));
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
      this.cutLogAt(partition, writes, snapshotStart ?? markerOffset);
    } finally {
      writes.snapshot = undefined;
      finished();
    }
  }

  /** Records that the log may be cut at `offset` (the start of a complete snapshot) and tries it. */
  private cutLogAt(partition: number, writes: PartitionWrites, offset: bigint): void {
    if (writes.trimTo === undefined || offset > writes.trimTo) writes.trimTo = offset;
    void this.trimPartition(partition);
  }

  private trimPartition(partition: number): Promise<void> {
    const writes = this.partitions.get(partition);
    if (writes === undefined || writes.trimTo === undefined) return Promise.resolve();
    if (writes.trimming) return writes.trimming;
    const offset = writes.trimTo;
    writes.trimming = this.options.log
      .advanceStart(partition, offset)
      .then((done) => {
        if (done && writes.trimTo === offset) writes.trimTo = undefined;
        if (done) this.options.logger.info({ partition, logStartOffset: offset }, 'cut the group partition before its last snapshot');
      })
      .catch((error: unknown) =>
        this.options.logger.warn({ err: error, partition, offset }, 'could not cut the group partition before its snapshot; retried later'),
      )
      .finally(() => {
        writes.trimming = undefined;
      });
    return writes.trimming;
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
      writes = { inFlight: 0, idle: [], snapshot: undefined, sinceSnapshot: 0, snapshotSize: 0, trimTo: undefined, trimming: undefined };
      this.partitions.set(partition, writes);
    }
    return writes;
  }
}
