/**
 * The storage engine: the Storage interface over the WAL, the metadata log, the uploader and the
 * caches (docs/architecture.md, "Data path", tells the whole story).
 *
 * - append: checks, then in one synchronous step (inside the WAL's `place`) the idempotent-producer
 *   check, offset assignment (patching base offsets) and the WAL placement, so offsets follow WAL
 *   order; resolves once the WAL record is durable, then the high watermark moves.
 * - fetch: long polling on the partitions' high watermarks; reads from memory, WAL or objects.
 * - start: metadata log, broker registration (epoch), WAL recovery (records above what is
 *   committed become the in-memory tail again and are uploaded), then uploads and tailing.
 * - close: refuses appends, waits for in-flight ones, uploads and commits everything, empties the WAL.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import {
  DATA_PATH_SECTIONS,
  MetadataLog,
  partitionDataKey,
  partitionDataSection,
  producerIdsSection,
  topicsSection,
  type AnySection,
  type ApplyOutcome,
  type LogStartAdvancedEntry,
  type LogStartsAdvancedEntry,
  type ObjectsCommittedEntry,
  type ObjectsDeletedEntry,
  type PartitionData,
  type Segment,
  type TopicCreatedEntry,
  type TopicConfigsAlteredEntry,
  type TopicDeletedEntry,
  type TopicRecord,
} from '../../metadata';
import { ErrorCode, KafkaError } from '../../protocol/error-codes';
import { batchesOf, recordSetCrc32c, setBaseOffset, setLogAppendTime, type RecordBatchHeader } from '../../protocol/record-batch';
import type { ObjectStore } from '../object-store';
import {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  type AppendOptions,
  type AppendResult,
  type ConfigEntry,
  type TopicConfigChange,
  type FetchOptions,
  type FetchPartition,
  type FetchedPartition,
  type OffsetAndTimestamp,
  type ProduceRequestMemory,
  type ProducerIdAndEpoch,
  type Storage,
  type TopicDescription,
  type TopicPartition,
} from '../storage';
import { takeOverWalDirectory, walDirectoryOf } from '../wal/directory';
import { RecordType, type WalRecord } from '../wal/format';
import { WalFailedError, WalFullError, WalRecordTooLargeError, WriteAheadLog, type WalRemoval, type WalSyncMode } from '../wal/wal';
import { BlockCache, DEFAULT_BLOCK_BYTES } from './block-cache';
import { LatencyRing } from './latency-ring';
import { LogCache } from './log-cache';
import { PartitionLog, type Chunk } from './partition-log';
import { PartitionReader } from './partition-reader';
import { PartitionProducers, producerWritesOf, type DuplicateBatch } from './producer-state';
import { advanceLogStart, Retention } from './retention';
import {
  effectiveTopicConfigs,
  topicSettings,
  validateTopicConfigs,
  validateTopicName,
  type BrokerConfigDefaults,
  type TopicSettings,
} from './topic-configs';
import { Uploader } from './uploader';

const MiB = 1024 * 1024;
const PRODUCER_ID_BLOCK = 1000;
const MAX_PARTITIONS = 100_000;
const STATS_INTERVAL_MS = 60_000;

export interface StorageEngineOptions {
  readonly nodeId: number;
  /** The WAL root (the shared file system); this incarnation's WAL is `<walDir>/<nodeId>.<epoch>`. */
  readonly walDir: string;
  readonly objectStore: ObjectStore;
  /** @default 2 GiB */
  readonly walCapacityBytes?: number;
  /** @default 'fdatasync' */
  readonly walSyncMode?: WalSyncMode;
  /** Upload once this much WAL data waits. @default 8 MiB */
  readonly uploadBytes?: number;
  /** Upload once the oldest waiting data is this old. @default 250 */
  readonly uploadAgeMs?: number;
  /** @default 4 */
  readonly maxConcurrentUploads?: number;
  /**
   * The in-memory tail of recent data, over all partitions. It should hold what waits for upload
   * (about throughput x (upload age + upload latency)), or uploads read the WAL back. @default 128 MiB
   */
  readonly logCacheBytes?: number;
  /** The block cache for reads from the object store. @default 128 MiB */
  readonly readCacheBytes?: number;
  /** @default 1 MiB */
  readonly blockBytes?: number;
  /** The broker's message.max.bytes, the default max.message.bytes of topics. @default 1048588 */
  readonly messageMaxBytes?: number;
  /** @default 60000 */
  readonly retentionCheckIntervalMs?: number;
  /** How long an object nothing refers to is kept before it is deleted (lagging readers). @default 60000 */
  readonly objectDeleteGraceMs?: number;
  /** How often the metadata log is read for other brokers' entries. @default 1000 */
  readonly metadataPollIntervalMs?: number;
  /** What the `broker-registered` entry says about this broker. */
  readonly registration?: { readonly host: string; readonly port: number; readonly zone: string | null };
  /** Extra metadata sections (e.g. the cluster's assignment and fencing). */
  readonly metadataSections?: readonly AnySection[];
  /**
   * Whether this broker may append to (and fetch from, and apply retention to) the partition now;
   * an error code refuses (e.g. NOT_LEADER_OR_FOLLOWER). @default every partition is allowed
   */
  readonly partitionGate?: (topic: string, partition: number) => ErrorCode | undefined;
  /** Runs after an append is durable and before it is acknowledged; throw a KafkaError to refuse (fencing). */
  readonly acknowledgeGate?: () => void;
  /**
   * Runs in start() once the broker registered (its epoch is known) and before the WAL is opened:
   * the cluster takes its lease here and waits until the WAL directory may be written.
   */
  readonly afterRegistration?: (epoch: number) => Promise<void>;
  /** This broker fell behind the trimmed metadata log (broker/metadata/log.ts): a cluster member restarts. */
  readonly onMetadataFellBehind?: (reason: string) => void;
  /**
   * Whether start() takes the WAL's records above the committed end back into the partitions.
   * A cluster member says false: its partitions' new owners replay those records. @default true
   */
  readonly adoptWalRecords?: boolean;
}

export interface StorageStatistics {
  readonly epoch: number;
  readonly ingestedBytes: number;
  readonly objects: number;
  readonly objectBytes: number;
  readonly objectsPerGiB: number;
  readonly commits: number;
  /** Produced data not yet cut into an object (what the next uploads will carry). */
  readonly uploadQueuedBytes: number;
  readonly walUsedBytes: number;
  readonly walCapacityBytes: number;
  readonly walFlushes: number;
  /** Latency of the latest WAL flushes (write + sync), ms. */
  readonly walFlushMs: { p50: number; p99: number; max: number };
  /** Latency of the latest appends, from Storage.append to durable, ms. */
  readonly appendMs: { p50: number; p99: number; max: number };
  readonly logCacheBytes: number;
  /** Produce requests read into the log cache, refused a place there, and in progress there now; payloads refused a place. */
  readonly logCache: { framesInRing: number; framesRefused: number; framesHeld: number; payloadsRefused: number };
  readonly blockCache: { hits: number; misses: number; cachedBytes: number };
}

/** Thrown inside the WAL's `place` when a retried batch turns out to be a duplicate: nothing is written. */
class DuplicateAppend extends Error {
  constructor(readonly duplicate: DuplicateBatch) {
    super('duplicate batch');
  }
}

export class StorageEngine implements Storage {
  readonly metadata: MetadataLog;
  private wal!: WriteAheadLog;
  private uploader!: Uploader;
  private retention!: Retention;
  private readonly reader: PartitionReader;
  private readonly blocks: BlockCache;
  /** Partition logs by partitionDataKey(topicId, partition). */
  private readonly logs = new Map<string, PartitionLog>();
  private readonly settings = new Map<string, TopicSettings>();
  private readonly logCache: LogCache;
  private readonly appendLatency = new LatencyRing();
  private epochValue = 0;
  private producerIds = { next: 0, end: 0 };
  private producerIdChain: Promise<unknown> = Promise.resolve();
  private closing = false;
  private started = false;
  private statsTimer: NodeJS.Timeout | undefined;
  private readonly defaults: BrokerConfigDefaults;

  constructor(
    private readonly options: StorageEngineOptions,
    private readonly logger: Logger,
  ) {
    this.metadata = new MetadataLog({
      store: options.objectStore,
      sections: [...DATA_PATH_SECTIONS, ...(options.metadataSections ?? [])],
      nodeId: options.nodeId,
      logger: logger.child({ component: 'metadata' }),
      onFellBehind: options.onMetadataFellBehind,
    });
    this.defaults = { messageMaxBytes: options.messageMaxBytes ?? 1_048_588 };
    this.logCache = new LogCache(options.logCacheBytes ?? 128 * MiB, (entry) => (entry as Chunk).log.dropUploadedFront());
    this.blocks = new BlockCache(options.objectStore, options.readCacheBytes ?? 128 * MiB, options.blockBytes ?? DEFAULT_BLOCK_BYTES);
    this.reader = new PartitionReader({
      segmentsOf: (log) => this.partitionData(log)?.segments ?? [],
      objectSize: (key) => this.metadata.state.get(partitionDataSection).objects.get(key)?.sizeBytes,
      blocks: this.blocks,
      readWal: (chunk) => this.wal.readPayload(chunk.walPosition, chunk.walLength),
    });
  }

  /** This incarnation's epoch: the sequence of its `broker-registered` entry. */
  get epoch(): number {
    return this.epochValue;
  }

  /** This incarnation's WAL directory (storage/wal/directory.ts). */
  get walDirectory(): string {
    return walDirectoryOf(this.options.walDir, this.options.nodeId, this.epochValue);
  }

  readonly produceRequestMemory: ProduceRequestMemory = {
    allocate: (bytes) => this.logCache.allocateFrame(bytes),
    release: (frame) => this.logCache.releaseFrame(frame),
  };

  get statistics(): StorageStatistics {
    const uploads = this.uploader.statistics;
    return {
      epoch: this.epochValue,
      ingestedBytes: uploads.ingestedBytes,
      objects: uploads.objects,
      objectBytes: uploads.objectBytes,
      objectsPerGiB: uploads.objectsPerGiB,
      commits: uploads.commits,
      uploadQueuedBytes: uploads.queuedBytes,
      walUsedBytes: this.wal.usedBytes,
      walCapacityBytes: this.wal.capacityBytes,
      walFlushes: this.wal.statistics.flushes,
      walFlushMs: this.wal.statistics.flushMs,
      appendMs: this.appendLatency.summary(),
      logCacheBytes: this.logCache.cachedBytes,
      logCache: this.logCache.statistics,
      blockCache: this.blocks.statistics,
    };
  }

  async start(): Promise<void> {
    await this.metadata.open();
    const registration = this.options.registration ?? { host: '', port: 0, zone: null };
    const registered = await this.metadata.append(() => ({ kind: 'broker-registered', nodeId: this.options.nodeId, ...registration }));
    this.epochValue = registered!.sequence;
    this.metadata.setWriterEpoch(this.epochValue);
    await this.options.afterRegistration?.(this.epochValue);
    for (const topic of this.metadata.state.get(topicsSection).byName.values()) this.addTopic(topic);
    this.metadata.onApplied((outcome) => this.onMetadataApplied(outcome));

    const replayed: Chunk[] = [];
    await takeOverWalDirectory(this.options.walDir, this.options.nodeId, this.epochValue, this.logger);
    this.wal = await WriteAheadLog.open(
      {
        dir: this.walDirectory,
        nodeId: this.options.nodeId,
        capacityBytes: this.options.walCapacityBytes,
        syncMode: this.options.walSyncMode,
        logger: this.logger.child({ component: 'wal' }),
      },
      this.epochValue,
      (record) => {
        if (this.options.adoptWalRecords === false) return;
        const chunk = this.adoptReplayed(record);
        if (chunk) replayed.push(chunk);
      },
    );
    this.uploader = new Uploader({
      store: this.options.objectStore,
      metadata: this.metadata,
      logger: this.logger.child({ component: 'uploader' }),
      uploadBytes: this.options.uploadBytes ?? 8 * MiB,
      uploadAgeMs: this.options.uploadAgeMs ?? 250,
      maxConcurrentUploads: this.options.maxConcurrentUploads ?? 8,
      startPosition: this.wal.trimPosition,
      keyPrefix: `${this.options.nodeId}-${this.epochValue}`,
      readPayload: (chunk) => this.wal.readPayload(chunk.walPosition, chunk.walLength),
      pinPayloads: (payloads) => this.logCache.pin(payloads),
      trimWal: (position) => this.wal.trim(position),
      walPressure: () => this.wal.waitingAppends > 0 || this.wal.usedBytes * 2 > this.wal.capacityBytes,
      onUploaded: (chunks) => this.onUploaded(chunks),
    });
    for (const chunk of replayed) this.uploader.add(chunk);
    this.retention = new Retention({
      metadata: this.metadata,
      store: this.options.objectStore,
      logger: this.logger.child({ component: 'retention' }),
      intervalMs: this.options.retentionCheckIntervalMs ?? 60_000,
      deleteGraceMs: this.options.objectDeleteGraceMs ?? 60_000,
      partitions: () => [...this.logs.values()].filter((log) => !log.deleted && this.gate(log) === undefined),
      settingsOf: (log) => this.settingsOf(log.topicId),
    });
    this.retention.start();
    this.metadata.startTailing(this.options.metadataPollIntervalMs ?? 1000);
    this.statsTimer = setInterval(() => this.logStatistics('storage statistics'), STATS_INTERVAL_MS);
    this.statsTimer.unref();
    this.started = true;
    this.logger.info(
      {
        epoch: this.epochValue,
        walDir: this.walDirectory,
        walSyncMode: this.wal.syncMode,
        maxConcurrentUploads: this.uploader.maxConcurrentUploads,
        retentionCheckIntervalMs: this.retention.intervalMs,
        objectDeleteGraceMs: this.retention.deleteGraceMs,
        objectStore: this.options.objectStore.location,
        topics: this.metadata.state.get(topicsSection).byName.size,
        replayedChunks: replayed.length,
        replayedBytes: replayed.reduce((sum, chunk) => sum + chunk.payloadBytes, 0),
      },
      'storage started',
    );
    this.uploader.kick();
  }

  async close(): Promise<void> {
    if (!this.started || this.closing) return;
    this.closing = true;
    this.retention.stop();
    if (this.statsTimer) clearInterval(this.statsTimer);
    for (const log of this.logs.values()) log.notify();
    await this.wal.whenIdle();
    await this.uploader.flush();
    this.uploader.stop();
    if (this.uploader.isIdle) await this.wal.trim(this.wal.endPosition);
    else this.logger.error({ walUsedBytes: this.wal.usedBytes }, 'closing with WAL data not uploaded; the next start replays it');
    await this.metadata.close();
    await this.wal.close();
    this.logStatistics('storage closed');
  }

  /**
   * After close(): deletes this broker's WAL directory if it closed empty (WriteAheadLog.removeIfEmpty).
   * For a broker whose node id is done with its WAL: a cluster member that drained and left.
   */
  removeWalIfEmpty(): Promise<WalRemoval> {
    if (!this.started) return Promise.resolve({ removed: false, reason: 'the WAL was never opened' });
    return this.wal.removeIfEmpty();
  }

  /** One retention pass now (it also runs every retentionCheckIntervalMs). */
  runRetention(nowMs = Date.now()): Promise<void> {
    return this.retention.runOnce(nowMs);
  }

  /** Uploads and commits everything in the WAL now (e.g. before handing partitions over). */
  flush(): Promise<void> {
    return this.uploader.flush();
  }

  // --- topics -----------------------------------------------------------------------------------

  listTopics(): readonly TopicDescription[] {
    return [...this.metadata.state.get(topicsSection).byName.values()].map(describe);
  }

  describeTopic(name: string): TopicDescription | undefined {
    const topic = this.metadata.state.get(topicsSection).byName.get(name);
    return topic && describe(topic);
  }

  async createTopic(
    name: string,
    partitionCount: number,
    configs: Readonly<Record<string, string>>,
    options: { internal?: boolean; validateOnly?: boolean } = {},
  ): Promise<TopicDescription> {
    validateTopicName(name);
    if (!Number.isInteger(partitionCount) || partitionCount < 1 || partitionCount > MAX_PARTITIONS) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `${partitionCount} partitions: expected 1 to ${MAX_PARTITIONS}`);
    }
    validateTopicConfigs(configs);
    const exists = (): never => {
      throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic ${name} already exists`);
    };
    if (this.metadata.state.get(topicsSection).byName.has(name)) exists();
    const topic: TopicRecord = {
      name,
      topicId: randomBytes(16).toString('hex'),
      partitionCount,
      configs: { ...configs },
      internal: options.internal ?? false,
    };
    if (options.validateOnly) return describe(topic);
    await this.metadata.append((state) => {
      if (state.get(topicsSection).byName.has(name)) exists();
      return { kind: 'topic-created', ...topic };
    });
    return describe(topic);
  }

  async deleteTopic(name: string): Promise<void> {
    const unknown = (): never => {
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic ${name}`);
    };
    await this.metadata.append((state) => {
      const topic = state.get(topicsSection).byName.get(name);
      return topic ? { kind: 'topic-deleted', name, topicId: topic.topicId } : unknown();
    });
  }

  async alterTopicConfigs(name: string, change: TopicConfigChange, options: { validateOnly?: boolean } = {}): Promise<void> {
    const unknown = (): never => {
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic ${name}`);
    };
    const next = (topic: TopicRecord): Record<string, string> => {
      const configs = typeof change === 'function' ? change(topic.configs) : { ...change };
      validateTopicConfigs(configs);
      return configs;
    };
    const current = this.metadata.state.get(topicsSection).byName.get(name) ?? unknown();
    next(current);
    if (options.validateOnly) return;
    // Made from the topic as it is when the entry is appended: concurrent changes compose.
    await this.metadata.append((state) => {
      const topic = state.get(topicsSection).byName.get(name) ?? unknown();
      return { kind: 'topic-configs-altered', name, topicId: topic.topicId, configs: next(topic) };
    });
  }

  effectiveConfigs(name: string): readonly ConfigEntry[] {
    const topic = this.metadata.state.get(topicsSection).byName.get(name);
    if (topic === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic ${name}`);
    return effectiveTopicConfigs(topic.configs, this.defaults);
  }

  // --- produce ----------------------------------------------------------------------------------

  async append(
    partition: TopicPartition,
    records: Buffer,
    headers: readonly RecordBatchHeader[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    if (this.closing || !this.started) {
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the broker is shutting down');
    }
    const log = this.servedLog(partition);
    const settings = this.settingsOf(log.topicId);
    for (const header of headers) {
      if (header.sizeInBytes > settings.maxMessageBytes) {
        throw new KafkaError(
          ErrorCode.MESSAGE_TOO_LARGE,
          `batch of ${header.sizeInBytes} bytes exceeds max.message.bytes ${settings.maxMessageBytes} of ${partition.topic}`,
        );
      }
    }
    if (records.length > this.wal.maxPayloadBytes) {
      throw new KafkaError(
        ErrorCode.RECORD_LIST_TOO_LARGE,
        `${records.length} bytes for one partition exceed the WAL's record limit ${this.wal.maxPayloadBytes}`,
      );
    }
    const appendTimeMs = Date.now();
    const started = performance.now();
    let chunk: Chunk | undefined;
    let payloadCrc = 0;
    try {
      await this.wal.append({
        payloadBytes: records.length,
        deadline: appendTimeMs + options.timeoutMs,
        place: () => {
          if (log.deleted) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${partition.topic} was deleted`);
          // Checked now, at the append's place in the WAL order (it may have waited for space).
          const duplicate = log.producers.check(headers);
          if (duplicate) throw new DuplicateAppend(duplicate);
          const baseOffset = this.assignOffsets(log, records, headers, settings.logAppendTime ? appendTimeMs : undefined);
          // From the batches' CRCs, checked at validation: the WAL and the upload need no pass of their own.
          payloadCrc = recordSetCrc32c(records);
          return {
            fields: { epoch: this.epochValue, topicId: log.topicIdBytes, partition: log.partition, baseOffset, recordCount: log.nextOffset - baseOffset },
            payload: records,
            payloadCrc,
          };
        },
        placed: (payload, walPosition, walLength) => {
          chunk = this.addChunk(log, payload, payloadCrc, walPosition, walLength, appendTimeMs);
        },
      });
    } catch (error) {
      if (error instanceof DuplicateAppend) return this.answerDuplicate(log, error.duplicate);
      throw appendError(error);
    }
    const written = chunk!;
    written.durable = true;
    this.appendLatency.add(performance.now() - started);
    log.advanceHighWatermark(written.nextOffset);
    this.uploader.kick();
    this.options.acknowledgeGate?.();
    return {
      baseOffset: BigInt(written.baseOffset),
      logAppendTimeMs: settings.logAppendTime ? BigInt(appendTimeMs) : -1n,
      logStartOffset: BigInt(log.logStartOffset),
    };
  }

  /** Patches the batches' base offsets (and append time), records producer batches; returns the first offset. */
  private assignOffsets(log: PartitionLog, records: Buffer, headers: readonly RecordBatchHeader[], appendTimeMs: number | undefined): number {
    const baseOffset = log.nextOffset;
    let next = baseOffset;
    let position = 0;
    for (const header of headers) {
      setBaseOffset(records, BigInt(next), position);
      if (appendTimeMs !== undefined) setLogAppendTime(records, BigInt(appendTimeMs), position);
      next += header.lastOffsetDelta + 1;
      position += header.sizeInBytes;
    }
    log.nextOffset = next;
    return baseOffset;
  }

  private addChunk(log: PartitionLog, payload: Buffer, payloadCrc: number, walPosition: number, walLength: number, placedAtMs: number): Chunk {
    const chunk = this.tailChunk(log, payload, payloadCrc, walPosition, walLength, placedAtMs);
    this.uploader.add(chunk);
    return chunk;
  }

  /**
   * Makes WAL data (just placed, or replayed at start) the partition's newest in-memory chunk:
   * records its idempotent producers' batches, and copies it into the log cache.
   */
  private tailChunk(log: PartitionLog, payload: Buffer, payloadCrc: number, walPosition: number, walLength: number, placedAtMs: number): Chunk {
    const stored = [...batchesOf(payload)].map((batch) => batch.header);
    const writes = producerWritesOf(stored);
    log.producers.record(writes);
    const last = stored[stored.length - 1];
    const chunk: Chunk = {
      log,
      baseOffset: Number(stored[0].baseOffset),
      nextOffset: Number(last.baseOffset) + last.lastOffsetDelta + 1,
      walPosition,
      walLength,
      payloadBytes: payload.length,
      payloadCrc,
      maxTimestamp: Math.max(...stored.map((header) => Number(header.maxTimestamp))),
      producerWrites: writes,
      placedAtMs,
      payload: undefined,
      durable: false,
      uploaded: false,
    };
    log.chunks.push(chunk);
    this.logCache.store(chunk, payload);
    return chunk;
  }

  /** A retried batch: answer with the original offsets once they are durable. */
  private async answerDuplicate(log: PartitionLog, duplicate: DuplicateBatch): Promise<AppendResult> {
    while (log.highWatermark <= duplicate.lastOffset && !log.deleted && !this.closing) {
      await new Promise<void>((resolve) => {
        const unsubscribe = log.onChange(() => {
          unsubscribe();
          resolve();
        });
      });
    }
    if (log.highWatermark <= duplicate.lastOffset) {
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the original of this retried batch is not durable');
    }
    return { baseOffset: BigInt(duplicate.baseOffset), logAppendTimeMs: -1n, logStartOffset: BigInt(log.logStartOffset) };
  }

  // --- fetch ------------------------------------------------------------------------------------

  async fetch(partitions: readonly FetchPartition[], options: FetchOptions): Promise<FetchedPartition[]> {
    const deadline = Date.now() + options.maxWaitMs;
    for (;;) {
      const watched = partitions.map((p) => this.findLog(p.topic, p.partition));
      const marks = watched.map((log) => log?.highWatermark);
      const results = await this.readPartitions(partitions, options.maxBytes);
      const bytes = results.reduce((sum, result) => sum + result.records.length, 0);
      const failed = results.some((result) => result.errorCode !== (ErrorCode.NONE as number));
      if (bytes >= options.minBytes || failed || Date.now() >= deadline || options.signal?.aborted || this.closing) {
        return results;
      }
      await this.waitForData(watched, marks, deadline, options.signal);
    }
  }

  private async readPartitions(partitions: readonly FetchPartition[], maxBytes: number): Promise<FetchedPartition[]> {
    const results: FetchedPartition[] = [];
    let total = 0;
    for (const request of partitions) {
      const log = this.findLog(request.topic, request.partition);
      const answer = (errorCode: number, records: Buffer = Buffer.alloc(0)): FetchedPartition => ({
        topic: request.topic,
        partition: request.partition,
        errorCode,
        highWatermark: log ? BigInt(log.highWatermark) : -1n,
        lastStableOffset: log ? BigInt(log.highWatermark) : -1n,
        logStartOffset: log ? BigInt(log.logStartOffset) : -1n,
        records,
      });
      if (log === undefined) {
        results.push(answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        continue;
      }
      const gated = this.gate(log);
      const offset = Number(request.fetchOffset);
      if (gated !== undefined) {
        results.push(answer(gated));
      } else if (offset < log.logStartOffset || offset > log.highWatermark) {
        results.push(answer(ErrorCode.OFFSET_OUT_OF_RANGE));
      } else {
        try {
          const pieces = await this.reader.read(log, offset, {
            maxBytes: Math.min(request.maxBytes, maxBytes - total),
            atLeastOneBatch: total === 0,
          });
          const records = pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
          total += records.length;
          results.push(answer(ErrorCode.NONE, records));
        } catch (error) {
          // An object deleted by retention under a lagging reader, or the store failing.
          const code = offset < log.logStartOffset ? ErrorCode.OFFSET_OUT_OF_RANGE : ErrorCode.KAFKA_STORAGE_ERROR;
          this.logger.warn({ err: error, topic: request.topic, partition: request.partition, offset }, 'fetch read failed');
          results.push(answer(code));
        }
      }
    }
    return results;
  }

  /** Resolves when a watched partition's high watermark moves (or moved since `marks`), the deadline passes, or the fetch is aborted. */
  private waitForData(
    logs: readonly (PartitionLog | undefined)[],
    marks: readonly (number | undefined)[],
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (logs.some((log, i) => log !== undefined && (log.highWatermark !== marks[i] || log.deleted))) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const unsubscribes: (() => void)[] = [];
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        for (const unsubscribe of unsubscribes) unsubscribe();
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
      signal?.addEventListener('abort', done);
      for (const log of new Set(logs)) if (log) unsubscribes.push(log.onChange(done));
    });
  }

  async offsetForTimestamp(partition: TopicPartition, timestamp: bigint): Promise<OffsetAndTimestamp> {
    const log = this.servedLog(partition);
    if (timestamp === LATEST_TIMESTAMP) return { offset: BigInt(log.highWatermark), timestamp: -1n };
    if (timestamp === EARLIEST_TIMESTAMP) return { offset: BigInt(log.logStartOffset), timestamp: -1n };
    const found = await this.reader.offsetForTimestamp(log, Number(timestamp));
    return found ? { offset: BigInt(found.offset), timestamp: BigInt(found.timestamp) } : { offset: -1n, timestamp: -1n };
  }

  // --- delete records ---------------------------------------------------------------------------

  async advanceLogStart(partition: TopicPartition, offset: bigint): Promise<bigint> {
    if (this.closing) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the broker is shutting down');
    const log = this.servedLog(partition);
    const committedEnd = this.partitionData(log)?.nextOffset ?? 0;
    if (offset > BigInt(committedEnd)) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `log start ${offset} of ${partition.topic}-${partition.partition} is beyond its committed end ${committedEnd}`,
      );
    }
    if (offset <= BigInt(log.logStartOffset)) return BigInt(log.logStartOffset);
    // The same entry as retention's; the log start of `log` follows it in onMetadataApplied.
    const outcome = await advanceLogStart(this.metadata, log, Number(offset));
    if (outcome?.rejected !== undefined) {
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${partition.topic}-${partition.partition}: ${outcome.rejected}`);
    }
    return BigInt(log.logStartOffset);
  }

  // --- producer ids -----------------------------------------------------------------------------

  allocateProducerId(): Promise<ProducerIdAndEpoch> {
    const next = this.producerIdChain.then(async () => {
      if (this.producerIds.next >= this.producerIds.end) {
        let first = 0;
        await this.metadata.append((state) => {
          first = state.get(producerIdsSection).nextProducerId;
          return { kind: 'producer-ids-allocated', firstProducerId: first, count: PRODUCER_ID_BLOCK };
        });
        this.producerIds = { next: first, end: first + PRODUCER_ID_BLOCK };
      }
      return { producerId: BigInt(this.producerIds.next++), producerEpoch: 0 };
    });
    this.producerIdChain = next.catch(() => undefined);
    return next;
  }

  // --- recovery ---------------------------------------------------------------------------------

  /** A WAL record found at start: part of the in-memory tail again unless already committed. */
  private adoptReplayed(record: WalRecord): Chunk | undefined {
    if (record.type !== RecordType.Data) return undefined;
    const log = this.logs.get(partitionDataKey(record.topicId.toString('hex'), record.partition));
    if (log === undefined) return undefined; // the topic was deleted
    const nextOffset = record.baseOffset + record.recordCount;
    if (nextOffset <= log.nextOffset) return undefined; // committed already
    if (record.baseOffset !== log.nextOffset) {
      this.logger.error(
        { topic: log.topic, partition: log.partition, expected: log.nextOffset, found: record.baseOffset, position: record.position },
        'WAL record does not continue its partition; skipped',
      );
      return undefined;
    }
    log.nextOffset = nextOffset;
    log.advanceHighWatermark(nextOffset);
    // The WAL record's own CRC checked these bytes as they were read back.
    const chunk = this.tailChunk(log, record.payload, recordSetCrc32c(record.payload), record.position, record.length, Date.now());
    chunk.durable = true;
    return chunk;
  }

  // --- caches and uploads -----------------------------------------------------------------------

  private onUploaded(chunks: readonly Chunk[]): void {
    const logs = new Set<PartitionLog>();
    for (const chunk of chunks) {
      chunk.uploaded = true;
      logs.add(chunk.log);
    }
    for (const log of logs) log.dropUploadedFront();
  }

  // --- metadata ---------------------------------------------------------------------------------

  private onMetadataApplied(outcome: ApplyOutcome): void {
    if (outcome.rejected !== undefined) return;
    const entry = outcome.entry;
    switch (entry.kind) {
      case 'topic-created':
        this.addTopic(this.metadata.state.get(topicsSection).byId.get((entry as TopicCreatedEntry).topicId)!);
        return;
      case 'topic-deleted': {
        const { topicId } = entry as TopicDeletedEntry;
        for (const [key, log] of this.logs) {
          if (log.topicId !== topicId) continue;
          log.deleted = true;
          log.notify();
          this.logs.delete(key);
        }
        this.settings.delete(topicId);
        return;
      }
      case 'topic-configs-altered':
        // Read again from the topic's new configs when next needed.
        this.settings.delete((entry as TopicConfigsAlteredEntry).topicId);
        return;
      case 'objects-committed':
        for (const object of (entry as ObjectsCommittedEntry).objects) {
          for (const part of object.parts) this.catchUpWithCommit(part.topicId, part.partition);
        }
        return;
      case 'log-start-advanced': {
        const { topicId, partition } = entry as LogStartAdvancedEntry;
        this.followLogStart(topicId, partition);
        return;
      }
      case 'log-starts-advanced':
        // Some starts may have been ignored: each log follows what its partition's state says.
        for (const { topicId, partition } of (entry as LogStartsAdvancedEntry).starts) this.followLogStart(topicId, partition);
        return;
      case 'objects-deleted':
        for (const key of (entry as ObjectsDeletedEntry).keys) {
          this.reader.forgetObject(key);
          this.blocks.evictObject(key);
        }
        return;
    }
  }

  private followLogStart(topicId: string, partition: number): void {
    const log = this.logs.get(partitionDataKey(topicId, partition));
    const data = log && this.partitionData(log);
    if (log !== undefined && data !== undefined) log.logStartOffset = Math.max(log.logStartOffset, data.logStartOffset);
  }

  /** Another broker committed data of a partition beyond what this one has: follow it. */
  private catchUpWithCommit(topicId: string, partition: number): void {
    const log = this.logs.get(partitionDataKey(topicId, partition));
    const data = log && this.partitionData(log);
    if (log === undefined || data === undefined || data.nextOffset <= log.nextOffset) return;
    log.nextOffset = data.nextOffset;
    log.advanceHighWatermark(data.nextOffset);
    log.producers = new PartitionProducers(data.producers.values());
  }

  private addTopic(topic: TopicRecord): void {
    const slice = this.metadata.state.get(partitionDataSection);
    for (let partition = 0; partition < topic.partitionCount; partition++) {
      const key = partitionDataKey(topic.topicId, partition);
      const data = slice.partitions.get(key);
      this.logs.set(
        key,
        new PartitionLog(
          topic.name,
          topic.topicId,
          partition,
          data?.nextOffset ?? 0,
          data?.logStartOffset ?? 0,
          new PartitionProducers(data?.producers.values()),
        ),
      );
    }
  }

  private partitionData(log: PartitionLog): PartitionData | undefined {
    return this.metadata.state.get(partitionDataSection).partitions.get(partitionDataKey(log.topicId, log.partition));
  }

  private findLog(topic: string, partition: number): PartitionLog | undefined {
    const record = this.metadata.state.get(topicsSection).byName.get(topic);
    return record && this.logs.get(partitionDataKey(record.topicId, partition));
  }

  private logOf(partition: TopicPartition): PartitionLog {
    const log = this.findLog(partition.topic, partition.partition);
    if (log === undefined) {
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no partition ${partition.partition} of topic ${partition.topic}`);
    }
    return log;
  }

  /** The partition's log, if this broker serves it now (else the gate's error). */
  private servedLog(partition: TopicPartition): PartitionLog {
    const log = this.logOf(partition);
    const gated = this.gate(log);
    if (gated !== undefined) throw new KafkaError(gated, `this broker does not serve ${partition.topic}-${partition.partition} now`);
    return log;
  }

  private gate(log: PartitionLog): ErrorCode | undefined {
    return this.options.partitionGate?.(log.topic, log.partition);
  }

  private settingsOf(topicId: string): TopicSettings {
    let settings = this.settings.get(topicId);
    if (settings === undefined) {
      const topic = this.metadata.state.get(topicsSection).byId.get(topicId);
      settings = topicSettings(topic?.configs ?? {}, this.defaults);
      this.settings.set(topicId, settings);
    }
    return settings;
  }

  private logStatistics(message: string): void {
    const stats = this.statistics;
    this.logger.info(
      {
        ...stats,
        ingestedMiB: Math.round(stats.ingestedBytes / MiB),
        objectsPerGiB: Math.round(stats.objectsPerGiB * 10) / 10,
      },
      message,
    );
  }

  /** The offset after the partition's last record on this broker (committed or only in the WAL). */
  localNextOffset(topic: string, partition: number): number | undefined {
    return this.findLog(topic, partition)?.nextOffset;
  }

  /** The offset after the partition's last committed record. */
  committedNextOffset(topic: string, partition: number): number | undefined {
    const log = this.findLog(topic, partition);
    return log && this.partitionData(log)?.nextOffset;
  }

  /** Segments of a partition (for tests and tools). */
  committedSegments(topic: string, partition: number): readonly Segment[] {
    const log = this.findLog(topic, partition);
    return (log && this.partitionData(log)?.segments) ?? [];
  }
}

function describe(topic: TopicRecord): TopicDescription {
  return {
    name: topic.name,
    topicId: topic.topicId,
    partitionCount: topic.partitionCount,
    configs: topic.configs,
    internal: topic.internal,
  };
}

function appendError(error: unknown): unknown {
  if (error instanceof KafkaError) return error;
  if (error instanceof WalFullError) {
    return new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `${error.message}; retry later`, { cause: error });
  }
  if (error instanceof WalRecordTooLargeError) return new KafkaError(ErrorCode.RECORD_LIST_TOO_LARGE, error.message, { cause: error });
  if (error instanceof WalFailedError) return new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, error.message, { cause: error });
  if (error instanceof Error && error.message === 'the WAL is closed') {
    return new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the broker is shutting down', { cause: error });
  }
  return error;
}
