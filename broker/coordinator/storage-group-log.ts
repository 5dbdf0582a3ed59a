/**
 * The GroupLog over the broker's Storage: group records are ordinary records of the internal
 * topic __consumer_offsets, appended through the same WAL and upload path as any produced batch,
 * so a commit is as durable as a produced record once Storage.append resolves (fsynced in the WAL
 * on the shared file system, then uploaded to the object store), and survives kill -9 and the
 * loss of the broker's own disk. Reading goes through Storage.fetch.
 */
import type { Logger } from 'pino';
import { ErrorCode, KafkaError } from '../protocol/error-codes';
import { MalformedDataError } from '../protocol/primitives';
import { BatchAttribute, batchesOf, buildRecordBatch, readBatchHeader, readRecords } from '../protocol/record-batch';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type Storage, type TopicPartition } from '../storage/storage';
import type { GroupLog, GroupLogRecord, LogBounds } from './group-log';
import { decodeGroupRecord, encodeGroupRecord } from './group-records';
import { OFFSETS_TOPIC } from './offsets-topic';

/** How much one replay fetch asks for. */
const REPLAY_FETCH_BYTES = 4 * 1024 * 1024;

export interface StorageGroupLogOptions {
  /** How long an append may wait for WAL space (offsets.commit.timeout.ms). */
  readonly appendTimeoutMs: number;
  readonly nowMs: () => number;
  readonly logger: Logger;
}

export class StorageGroupLog implements GroupLog {
  constructor(
    private readonly storage: Storage,
    private readonly options: StorageGroupLogOptions,
  ) {}

  async append(partition: number, records: readonly GroupLogRecord[]): Promise<bigint> {
    const batch = buildRecordBatch(records.map(encodeGroupRecord), { baseTimestamp: BigInt(this.options.nowMs()) });
    const result = await this.storage.append(this.topicPartition(partition), batch, [readBatchHeader(batch)], {
      timeoutMs: this.options.appendTimeoutMs,
    });
    return result.baseOffset;
  }

  async bounds(partition: number): Promise<LogBounds> {
    const topicPartition = this.topicPartition(partition);
    const [earliest, latest] = await Promise.all([
      this.storage.offsetForTimestamp(topicPartition, EARLIEST_TIMESTAMP),
      this.storage.offsetForTimestamp(topicPartition, LATEST_TIMESTAMP),
    ]);
    return { start: earliest.offset, end: latest.offset };
  }

  async advanceStart(partition: number, offset: bigint): Promise<boolean> {
    try {
      return (await this.storage.advanceLogStart(this.topicPartition(partition), offset)) >= offset;
    } catch (error) {
      // Beyond the committed end: the records are durable in the WAL but not uploaded yet.
      if (error instanceof KafkaError && error.code === ErrorCode.OFFSET_OUT_OF_RANGE) return false;
      throw error;
    }
  }

  async read(partition: number, from: bigint, apply: (record: GroupLogRecord, logOffset: bigint) => void): Promise<void> {
    const topicPartition = this.topicPartition(partition);
    let next = from;
    for (;;) {
      const [fetched] = await this.storage.fetch([{ ...topicPartition, fetchOffset: next, maxBytes: REPLAY_FETCH_BYTES }], {
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: REPLAY_FETCH_BYTES,
      });
      if (fetched.errorCode !== Number(ErrorCode.NONE)) {
        throw new KafkaError(fetched.errorCode, `reading ${OFFSETS_TOPIC}-${partition} at offset ${next}`);
      }
      if (next >= fetched.highWatermark) return;
      const before = next;
      for (const { position, header } of batchesOf(fetched.records)) {
        const end = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
        if (end <= next) continue; // a batch that starts before the fetch offset
        if ((header.attributes & BatchAttribute.CompressionMask) !== 0) {
          // The coordinator writes uncompressed batches; nothing else should write here.
          this.options.logger.warn({ partition, offset: header.baseOffset }, `skipped a compressed batch of ${OFFSETS_TOPIC}`);
        } else if ((header.attributes & BatchAttribute.Control) === 0) {
          this.applyBatch(fetched.records, position, next, partition, apply);
        }
        next = end;
      }
      if (next >= fetched.highWatermark) return;
      if (next === before) {
        throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `${OFFSETS_TOPIC}-${partition} returned no batch at offset ${next} below its end ${fetched.highWatermark}`);
      }
    }
  }

  private applyBatch(
    records: Buffer,
    position: number,
    from: bigint,
    partition: number,
    apply: (record: GroupLogRecord, logOffset: bigint) => void,
  ): void {
    for (const record of readRecords(records, position)) {
      if (record.offset < from) continue;
      const decoded = this.decode(record.key, record.value);
      if (decoded) apply(decoded, record.offset);
      else this.options.logger.warn({ partition, offset: record.offset }, `skipped a record of ${OFFSETS_TOPIC} this broker does not know`);
    }
  }

  /**
   * The record, or undefined for one this broker cannot read (a newer format, or bytes a client
   * produced to the topic): one bad record must not keep every group of the partition unloaded.
   */
  private decode(key: Buffer | null, value: Buffer | null): GroupLogRecord | undefined {
    if (!key) return undefined;
    try {
      return decodeGroupRecord(key, value);
    } catch (error) {
      if (error instanceof MalformedDataError || error instanceof RangeError) return undefined;
      throw error;
    }
  }

  private topicPartition(partition: number): TopicPartition {
    return { topic: OFFSETS_TOPIC, partition };
  }
}
