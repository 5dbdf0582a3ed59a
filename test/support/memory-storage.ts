/**
 * A small in-memory Storage for unit tests of handlers and connections (test-only: the broker
 * always runs on the real engine). It keeps each partition's batches in a list, assigns offsets
 * by patching base offsets, and implements long polling with a wake-up on append. It does not
 * check producer sequences; the real engine's own tests cover that.
 */
import { ErrorCode, KafkaError } from '../../broker/protocol/error-codes';
import { batchesOf, readBatchHeader, setBaseOffset, type RecordBatchHeader } from '../../broker/protocol/record-batch';
import {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  type AppendOptions,
  type AppendResult,
  type ConfigEntry,
  type FetchedPartition,
  type FetchOptions,
  type FetchPartition,
  type OffsetAndTimestamp,
  type ProducerIdAndEpoch,
  type Storage,
  type TopicConfigChange,
  type TopicDescription,
  type TopicPartition,
} from '../../broker/storage/storage';

const TOPIC_DEFAULTS: Record<string, string> = { 'retention.ms': '604800000', 'max.message.bytes': '1048588' };
const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

interface PartitionLog {
  batches: Buffer[];
  nextOffset: bigint;
  logStartOffset: bigint;
}

export class MemoryStorage implements Storage {
  private readonly topics = new Map<string, TopicDescription>();
  private readonly logs = new Map<string, PartitionLog>();
  private readonly waiters = new Set<() => void>();
  private nextProducerId = 1000n;
  /** When set, appends wait for it (a stalled WAL) until their timeout. */
  stalled: Promise<void> | undefined;
  appendCalls: TopicPartition[] = [];

  start(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  listTopics(): readonly TopicDescription[] {
    return [...this.topics.values()];
  }

  describeTopic(name: string): TopicDescription | undefined {
    return this.topics.get(name);
  }

  createTopic(
    name: string,
    partitionCount: number,
    configs: Readonly<Record<string, string>>,
    options: { internal?: boolean; validateOnly?: boolean } = {},
  ): Promise<TopicDescription> {
    if (!LEGAL_TOPIC_NAME.test(name) || name === '.' || name === '..') {
      return Promise.reject(new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `illegal topic name ${name}`));
    }
    if (this.topics.has(name)) return Promise.reject(new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic ${name} exists`));
    if (partitionCount < 1) return Promise.reject(new KafkaError(ErrorCode.INVALID_PARTITIONS, `${partitionCount} partitions`));
    const topic: TopicDescription = {
      name,
      topicId: '0'.repeat(32),
      partitionCount,
      configs: { ...configs },
      internal: options.internal ?? false,
    };
    if (options.validateOnly) return Promise.resolve(topic);
    this.topics.set(name, topic);
    for (let p = 0; p < partitionCount; p++) this.logs.set(`${name}/${p}`, { batches: [], nextOffset: 0n, logStartOffset: 0n });
    return Promise.resolve(topic);
  }

  deleteTopic(name: string): Promise<void> {
    const topic = this.topics.get(name);
    if (!topic) return Promise.reject(new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic ${name}`));
    this.topics.delete(name);
    for (let p = 0; p < topic.partitionCount; p++) this.logs.delete(`${name}/${p}`);
    return Promise.resolve();
  }

  alterTopicConfigs(name: string, change: TopicConfigChange, options: { validateOnly?: boolean } = {}): Promise<void> {
    const topic = this.topics.get(name);
    if (!topic) return Promise.reject(new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic ${name}`));
    const configs = typeof change === 'function' ? change(topic.configs) : { ...change };
    if (!options.validateOnly) this.topics.set(name, { ...topic, configs });
    return Promise.resolve();
  }

  effectiveConfigs(name: string): readonly ConfigEntry[] {
    const topic = this.topics.get(name);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic ${name}`);
    const all = { ...TOPIC_DEFAULTS, ...topic.configs };
    return Object.entries(all).map(([key, value]) => ({
      name: key,
      value,
      isDefault: !(key in topic.configs),
      readOnly: false,
      sensitive: false,
    }));
  }

  private log(partition: TopicPartition): PartitionLog {
    const log = this.logs.get(`${partition.topic}/${partition.partition}`);
    if (!log) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no ${partition.topic}/${partition.partition}`);
    return log;
  }

  append(
    partition: TopicPartition,
    records: Buffer,
    headers: readonly RecordBatchHeader[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    this.appendCalls.push(partition);
    const log = this.logs.get(`${partition.topic}/${partition.partition}`);
    if (!log) return Promise.reject(new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no ${partition.topic}/${partition.partition}`));
    const write = (): AppendResult => {
      const baseOffset = log.nextOffset;
      let position = 0;
      for (const header of headers) {
        const batch = Buffer.from(records.subarray(position, position + header.sizeInBytes));
        setBaseOffset(batch, log.nextOffset);
        log.batches.push(batch);
        log.nextOffset += BigInt(header.recordCount);
        position += header.sizeInBytes;
      }
      for (const wake of [...this.waiters]) wake();
      return { baseOffset, logAppendTimeMs: -1n, logStartOffset: log.logStartOffset };
    };
    if (!this.stalled) return Promise.resolve(write());
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, 'WAL full')), options.timeoutMs);
    });
    return Promise.race([this.stalled.then(write), timeout]).finally(() => clearTimeout(timer));
  }

  private read(partition: FetchPartition): FetchedPartition {
    const log = this.logs.get(`${partition.topic}/${partition.partition}`);
    const base = { topic: partition.topic, partition: partition.partition };
    if (!log) {
      return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: Buffer.alloc(0) };
    }
    const state = { highWatermark: log.nextOffset, lastStableOffset: log.nextOffset, logStartOffset: log.logStartOffset };
    if (partition.fetchOffset < log.logStartOffset || partition.fetchOffset > log.nextOffset) {
      return { ...base, ...state, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, records: Buffer.alloc(0) };
    }
    const chosen: Buffer[] = [];
    let bytes = 0;
    for (const batch of log.batches) {
      const header = readBatchHeader(batch);
      if (header.baseOffset + BigInt(header.lastOffsetDelta) < partition.fetchOffset) continue;
      if (chosen.length > 0 && bytes + batch.length > partition.maxBytes) break;
      chosen.push(batch);
      bytes += batch.length;
    }
    return { ...base, ...state, errorCode: ErrorCode.NONE, records: Buffer.concat(chosen) };
  }

  async fetch(partitions: readonly FetchPartition[], options: FetchOptions): Promise<FetchedPartition[]> {
    const deadline = Date.now() + options.maxWaitMs;
    for (;;) {
      const results = partitions.map((p) => this.read(p));
      const bytes = results.reduce((sum, r) => sum + r.records.length, 0);
      const remaining = deadline - Date.now();
      if (bytes >= options.minBytes || remaining <= 0 || options.signal?.aborted) return results;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          options.signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, remaining);
        this.waiters.add(done);
        options.signal?.addEventListener('abort', done);
      });
    }
  }

  offsetForTimestamp(partition: TopicPartition, timestamp: bigint): Promise<OffsetAndTimestamp> {
    const log = this.log(partition);
    if (timestamp === LATEST_TIMESTAMP) return Promise.resolve({ offset: log.nextOffset, timestamp: -1n });
    if (timestamp === EARLIEST_TIMESTAMP) return Promise.resolve({ offset: log.logStartOffset, timestamp: -1n });
    for (const batch of log.batches) {
      for (const { header } of batchesOf(batch)) {
        if (header.maxTimestamp >= timestamp) return Promise.resolve({ offset: header.baseOffset, timestamp: header.maxTimestamp });
      }
    }
    return Promise.resolve({ offset: -1n, timestamp: -1n });
  }

  /** Every appended record counts as committed here. */
  advanceLogStart(partition: TopicPartition, offset: bigint): Promise<bigint> {
    const log = this.log(partition);
    if (offset > log.nextOffset) return Promise.reject(new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `${offset} is beyond ${log.nextOffset}`));
    if (offset > log.logStartOffset) log.logStartOffset = offset;
    return Promise.resolve(log.logStartOffset);
  }

  allocateProducerId(): Promise<ProducerIdAndEpoch> {
    return Promise.resolve({ producerId: this.nextProducerId++, producerEpoch: 0 });
  }
}
