/**
 * A GroupLog kept in memory, for the coordinator's state-machine tests: it keeps every record in
 * order like a partition of __consumer_offsets, and lets a test hold appends (not yet durable)
 * or fail them. The implementation over the real storage engine is tested in
 * storage-group-log.test.ts.
 */
import type { GroupLog, GroupLogRecord, LogBounds } from '../../../broker/coordinator/group-log';

interface HeldAppend {
  readonly release: () => void;
  readonly fail: (error: Error) => void;
}

export class MemoryGroupLog implements GroupLog {
  readonly partitions = new Map<number, GroupLogRecord[]>();
  /** Each partition's log start (records below it are cut off and must not be read). */
  readonly starts = new Map<number, bigint>();
  private holding = false;
  private readonly held: HeldAppend[] = [];
  private failure: Error | undefined;
  /** Loads of a partition (each starts by asking for the bounds). */
  loads = 0;
  /** Every record handed to a reader, scans included. */
  recordsRead = 0;

  records(partition: number): GroupLogRecord[] {
    return this.partitions.get(partition) ?? [];
  }

  allRecords(): GroupLogRecord[] {
    return [...this.partitions.values()].flat();
  }

  /** From now on appends wait until `releaseAll` (they are "not yet durable"). */
  hold(): void {
    this.holding = true;
  }

  get heldAppends(): number {
    return this.held.length;
  }

  releaseAll(): void {
    this.holding = false;
    for (const append of this.held.splice(0)) append.release();
  }

  /** Makes every later append fail with `error` (undefined: succeed again). */
  failWith(error: Error | undefined): void {
    this.failure = error;
  }

  append(partition: number, records: readonly GroupLogRecord[]): Promise<bigint> {
    if (this.failure) return Promise.reject(this.failure);
    const write = (): bigint => {
      const log = this.partitions.get(partition) ?? [];
      this.partitions.set(partition, log);
      const base = BigInt(log.length);
      log.push(...records);
      return base;
    };
    if (!this.holding) return Promise.resolve(write());
    return new Promise((resolve, reject) => this.held.push({ release: () => resolve(write()), fail: reject }));
  }

  bounds(partition: number): Promise<LogBounds> {
    this.loads++;
    return Promise.resolve({ start: this.starts.get(partition) ?? 0n, end: BigInt(this.records(partition).length) });
  }

  /** Every record appended counts as committed: only an offset beyond the end is refused. */
  advanceStart(partition: number, offset: bigint): Promise<boolean> {
    if (offset > BigInt(this.records(partition).length)) return Promise.resolve(false);
    if (offset > (this.starts.get(partition) ?? 0n)) this.starts.set(partition, offset);
    return Promise.resolve(true);
  }

  read(partition: number, from: bigint, apply: (record: GroupLogRecord, logOffset: bigint) => void): Promise<void> {
    const start = this.starts.get(partition) ?? 0n;
    if (from < start) return Promise.reject(new Error(`read from ${from}, below the log start ${start}`));
    const records = this.records(partition);
    for (let offset = Number(from); offset < records.length; offset++) {
      this.recordsRead++;
      apply(records[offset], BigInt(offset));
    }
    return Promise.resolve();
  }
}
