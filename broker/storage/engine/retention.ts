/**
 * Retention: every `intervalMs`, for each partition this broker serves, the committed segments at
 * the start of the log that are all older than retention.ms (their largest timestamp), or that
 * retention.bytes no longer needs, are cut off by advancing the log start offset in the metadata
 * log, in one entry for all the partitions of the pass. Objects nothing refers to any more are
 * deleted from the store once they have been unreferenced for `deleteGraceMs` (readers that
 * already held a position finish their reads), a bounded number at a time, and the deletion is
 * recorded.
 */
import type { Logger } from 'pino';
import { partitionDataKey, partitionDataSection, type ApplyOutcome, type LogStart, type MetadataLog, type MetadataState } from '../../metadata';
import { deleteObjects, type ObjectStore } from '../object-store';
import type { PartitionLog } from './partition-log';
import type { TopicSettings } from './topic-configs';

export interface RetentionOptions {
  readonly metadata: MetadataLog;
  readonly store: ObjectStore;
  readonly logger: Logger;
  readonly intervalMs: number;
  readonly deleteGraceMs: number;
  /** The partitions this broker applies retention to. */
  partitions(): readonly PartitionLog[];
  settingsOf(log: PartitionLog): TopicSettings;
}

/**
 * Appends a `log-start-advanced` entry moving the partition's log start to `logStartOffset`, if
 * that still moves it forward and stays within the committed log when the entry is proposed (the
 * section checks again when applying it). Resolves with the outcome, or undefined when nothing
 * was proposed. For Storage.advanceLogStart (DeleteRecords); retention moves many partitions in one
 * `log-starts-advanced` entry.
 */
export function advanceLogStart(metadata: MetadataLog, log: PartitionLog, logStartOffset: number): Promise<ApplyOutcome | undefined> {
  const start: LogStart = { topicId: log.topicId, partition: log.partition, logStartOffset };
  return metadata.append((state) => (movesForward(state, start) ? { kind: 'log-start-advanced', ...start } : undefined));
}

/** Whether `start` still moves its partition's log start forward, within the committed log. */
function movesForward(state: MetadataState, { topicId, partition, logStartOffset }: LogStart): boolean {
  const data = state.get(partitionDataSection).partitions.get(partitionDataKey(topicId, partition));
  return data !== undefined && logStartOffset > data.logStartOffset && logStartOffset <= data.nextOffset;
}

export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: RetentionOptions) {}

  get intervalMs(): number {
    return this.options.intervalMs;
  }

  get deleteGraceMs(): number {
    return this.options.deleteGraceMs;
  }

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass (also callable directly, e.g. by tests); passes never overlap. */
  runOnce(nowMs = Date.now()): Promise<void> {
    this.running ??= this.pass(nowMs)
      .catch((error: unknown) => this.options.logger.warn({ err: error }, 'retention pass failed; the next one retries'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async pass(nowMs: number): Promise<void> {
    const starts: LogStart[] = [];
    for (const log of this.options.partitions()) {
      const logStartOffset = this.newLogStart(log, nowMs);
      if (logStartOffset !== undefined) starts.push({ topicId: log.topicId, partition: log.partition, logStartOffset });
    }
    // One entry for the whole pass: one metadata write whatever the number of partitions.
    if (starts.length > 0) {
      const outcome = await this.options.metadata.append((state) => {
        const still = starts.filter((start) => movesForward(state, start));
        return still.length > 0 ? { kind: 'log-starts-advanced', starts: still } : undefined;
      });
      if (outcome && outcome.rejected === undefined) {
        this.options.logger.info({ partitions: starts.length, starts: starts.slice(0, 20) }, 'retention advanced log starts');
      }
    }
    await this.deleteUnreferencedObjects(Date.now());
  }

  /** The log start after dropping the expired segments at the front, or undefined when none expired. */
  private newLogStart(log: PartitionLog, nowMs: number): number | undefined {
    const data = this.options.metadata.state.get(partitionDataSection).partitions.get(partitionDataKey(log.topicId, log.partition));
    if (data === undefined) return undefined;
    const { retentionMs, retentionBytes } = this.options.settingsOf(log);
    let bytes = data.bytes;
    let logStartOffset: number | undefined;
    for (const segment of data.segments) {
      const expiredByTime = retentionMs >= 0 && segment.maxTimestamp < nowMs - retentionMs;
      const expiredBySize = retentionBytes >= 0 && bytes - segment.size >= retentionBytes;
      if (!expiredByTime && !expiredBySize) break;
      bytes -= segment.size;
      logStartOffset = segment.nextOffset;
    }
    return logStartOffset !== undefined && logStartOffset > data.logStartOffset ? logStartOffset : undefined;
  }

  private async deleteUnreferencedObjects(nowMs: number): Promise<void> {
    const deletable = this.options.metadata.state.get(partitionDataSection).deletable;
    const due = [...deletable].filter(([, sinceMs]) => sinceMs <= nowMs - this.options.deleteGraceMs).map(([key]) => key);
    if (due.length === 0) return;
    await deleteObjects(this.options.store, due);
    await this.options.metadata.append((state) => {
      const keys = due.filter((key) => state.get(partitionDataSection).deletable.has(key));
      return keys.length > 0 ? { kind: 'objects-deleted', keys } : undefined;
    });
    this.options.logger.info({ objects: due.length }, 'deleted objects nothing refers to');
  }
}
