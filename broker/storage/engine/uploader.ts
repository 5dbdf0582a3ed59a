/**
 * The uploader: turns the WAL's data into few, large, multi-partition objects and commits them.
 *
 * Chunks join the queue in WAL order as they are placed. Once the durable chunks at the front add
 * up to `uploadBytes`, or the oldest is `uploadAgeMs` old, a cut takes them (a contiguous range of
 * WAL positions), groups their batches by partition into one data object, and PUTs it, retrying
 * with backoff. Several PUTs may be in flight; commits happen in cut order, all the ready objects
 * in one `objects-committed` metadata entry. Once a commit is applied, the chunks are marked
 * uploaded (served from objects when evicted from memory) and the WAL is trimmed to the end of the
 * committed range: nothing leaves the WAL before the object store and the metadata log have it.
 *
 * A part the metadata log ignores although its partition still exists and has not reached its end
 * (another writer took the partition: fencing) stops the uploader: the WAL is not trimmed past
 * data that nobody committed, and the error is logged for the cluster layer to act on.
 */
import { randomBytes } from 'node:crypto';
import { crc32c } from '@node-rs/crc32';
import type { Logger } from 'pino';
import {
  partitionDataKey,
  partitionDataSection,
  type CommittedObject,
  type MetadataLog,
  type MetadataState,
  type ProducerRecord,
} from '../../metadata';
import type { ObjectStore } from '../object-store';
import { crc32cCombine } from '../../protocol/crc32c-combine';
import { Deque } from './deque';
import { layOutDataObject } from './data-object';
import type { Chunk, PartitionLog } from './partition-log';
import { producerRecordsAfter } from './producer-state';

export interface UploaderOptions {
  readonly store: ObjectStore;
  readonly metadata: MetadataLog;
  readonly logger: Logger;
  readonly uploadBytes: number;
  readonly uploadAgeMs: number;
  /** PUTs in flight at once. */
  readonly maxConcurrentUploads: number;
  /** The first WAL position not yet covered by a committed upload (the WAL's trim point at start). */
  readonly startPosition: number;
  /** Distinguishes this incarnation's object keys (its epoch). */
  readonly keyPrefix: string;
  readPayload(chunk: Chunk): Promise<Buffer>;
  /** Keeps cached payloads (views into the log cache) from being written over until the release. */
  pinPayloads(payloads: readonly Buffer[]): () => void;
  trimWal(position: number): Promise<void>;
  /** True when the WAL needs space now (appends wait, or it is half full): trim without delay. */
  walPressure(): boolean;
  /** Called once the chunks are committed (or their partition is gone). */
  onUploaded(chunks: readonly Chunk[]): void;
}

interface PartitionGroup {
  readonly log: PartitionLog;
  readonly chunks: Chunk[];
}

interface Upload {
  readonly chunks: readonly Chunk[];
  /** The WAL position after the last chunk: trim to it once committed. */
  readonly rangeEnd: number;
  readonly groups: readonly PartitionGroup[];
  key: string;
  object?: Omit<CommittedObject, 'parts'> & { parts: Omit<CommittedObject['parts'][number], 'producers'>[] };
  putDone: boolean;
}

const MAX_BACKOFF_MS = 10_000;
/**
 * Trimming costs a header write and an fdatasync on the WAL device, next to the produce path's
 * own: without pressure on the WAL, trims happen at most this often (recovery then skips a little
 * more already committed data).
 */
const TRIM_INTERVAL_MS = 1000;

export class Uploader {
  private readonly queue = new Deque<Chunk>();
  private queuedBytes = 0;
  /** The front of the queue known to be durable: how many chunks, and their payload bytes. */
  private readonly durablePrefix = { chunks: 0, bytes: 0 };
  private readonly uploads: Upload[] = [];
  private committing = false;
  private putsInFlight = 0;
  /** Flushes in progress: each waits until the WAL is trimmed past `target`. */
  private flushWaiters: { target: number; resolve: () => void }[] = [];
  /** The WAL position after the last chunk added, and after the last chunk cut. */
  private addedEnd: number;
  private cutEnd: number;
  private ageTimer: NodeJS.Timeout | undefined;
  private stuck = false;
  private stopped = false;
  private counter = 0;
  private lastTrim: number;
  private lastTrimAtMs = 0;
  /** The WAL position below which everything is committed (trimmed or about to be). */
  private committedEnd: number;
  private trimTimer: NodeJS.Timeout | undefined;
  private trimming = false;
  private readonly stats = { objects: 0, objectBytes: 0, ingestedBytes: 0, commits: 0 };

  constructor(private readonly options: UploaderOptions) {
    this.lastTrim = options.startPosition;
    this.committedEnd = options.startPosition;
    this.addedEnd = options.startPosition;
    this.cutEnd = options.startPosition;
  }

  get statistics(): { objects: number; objectBytes: number; ingestedBytes: number; commits: number; objectsPerGiB: number; queuedBytes: number } {
    const gib = this.stats.ingestedBytes / 2 ** 30;
    return { ...this.stats, objectsPerGiB: gib > 0 ? this.stats.objects / gib : 0, queuedBytes: this.queuedBytes };
  }

  /** A chunk was placed in the WAL (in WAL order). */
  add(chunk: Chunk): void {
    this.queue.push(chunk);
    this.addedEnd = chunk.walPosition + chunk.walLength;
    this.queuedBytes += chunk.payloadBytes;
    this.stats.ingestedBytes += chunk.payloadBytes;
    if (this.queue.length === 1) this.scheduleAgeTimer();
  }

  /** Re-checks the thresholds (after chunks became durable, an upload finished, or a timer). */
  kick(): void {
    if (this.stopped || this.stuck) {
      this.resolveFlushIfDone();
      return;
    }
    // The limit counts PUTs in progress (each holds a body): uploads waiting for their commit hold
    // none, and counting them kept the store idle while the metadata log committed.
    while (this.putsInFlight < this.options.maxConcurrentUploads && this.cutIsDue()) {
      const upload = this.cut();
      if (upload === undefined) break;
      this.uploads.push(upload);
      this.putsInFlight++;
      void this.put(upload);
    }
    if (this.queue.length > 0) this.scheduleAgeTimer();
    this.resolveFlushIfDone();
    if (this.flushWaiters.length > 0 && this.committedEnd > this.lastTrim && !this.trimming) {
      void this.trimIfDue().then(() => this.resolveFlushIfDone());
    }
  }

  /**
   * Uploads and commits everything added so far, ignoring the thresholds (later data keeps the
   * usual thresholds); resolves once it is all committed and trimmed from the WAL, or once
   * nothing more can be (stuck, stopped).
   */
  flush(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.flushWaiters.push({ target: this.addedEnd, resolve });
      this.kick();
    });
  }

  /** Stops cutting new uploads (those in flight finish). */
  stop(): void {
    this.stopped = true;
    if (this.ageTimer) clearTimeout(this.ageTimer);
    if (this.trimTimer) clearTimeout(this.trimTimer);
    this.ageTimer = undefined;
    this.trimTimer = undefined;
  }

  /** PUTs that may be in progress at once. */
  get maxConcurrentUploads(): number {
    return this.options.maxConcurrentUploads;
  }

  get isStuck(): boolean {
    return this.stuck;
  }

  get isIdle(): boolean {
    return this.queue.length === 0 && this.uploads.length === 0;
  }

  private cutIsDue(): boolean {
    const head = this.queue.peek();
    if (head === undefined || !head.durable) return false;
    // Chunks become durable in WAL order: extend the durable prefix from where it ended.
    for (let next = this.queue.at(this.durablePrefix.chunks); next?.durable; next = this.queue.at(this.durablePrefix.chunks)) {
      this.durablePrefix.chunks++;
      this.durablePrefix.bytes += next.payloadBytes;
    }
    // By size, only once the durable chunks fill an object: with a free PUT slot, cutting when the
    // queue (durable or not) reached the size made objects of half the size, twice as many PUTs.
    return (
      this.flushWaiters.some((waiter) => waiter.target > this.cutEnd) ||
      this.durablePrefix.bytes >= this.options.uploadBytes ||
      Date.now() - head.placedAtMs >= this.options.uploadAgeMs
    );
  }

  private cut(): Upload | undefined {
    const chunks: Chunk[] = [];
    let bytes = 0;
    for (let head = this.queue.peek(); head?.durable && (chunks.length === 0 || bytes + head.payloadBytes <= this.options.uploadBytes); head = this.queue.peek()) {
      this.queue.shift();
      this.queuedBytes -= head.payloadBytes;
      // cutIsDue, just before, counted every durable chunk at the front into the prefix.
      this.durablePrefix.chunks--;
      this.durablePrefix.bytes -= head.payloadBytes;
      chunks.push(head);
      bytes += head.payloadBytes;
    }
    if (chunks.length === 0) return undefined;
    const groups = new Map<PartitionLog, PartitionGroup>();
    for (const chunk of chunks) {
      if (chunk.log.deleted) continue;
      let group = groups.get(chunk.log);
      if (group === undefined) {
        group = { log: chunk.log, chunks: [] };
        groups.set(chunk.log, group);
      }
      group.chunks.push(chunk);
    }
    const last = chunks[chunks.length - 1];
    this.cutEnd = last.walPosition + last.walLength;
    return {
      chunks,
      rangeEnd: this.cutEnd,
      groups: [...groups.values()],
      key: `data/${this.options.keyPrefix}-${(this.counter++).toString().padStart(10, '0')}-${randomBytes(3).toString('hex')}`,
      putDone: false,
    };
  }

  private async put(upload: Upload): Promise<void> {
    try {
      await this.putObject(upload);
    } catch (error) {
      // Only reading a chunk back from a failed WAL gets here: nothing more can be uploaded.
      this.options.logger.error({ err: error, object: upload.key }, 'building an upload failed');
      this.stuck = true;
      this.resolveFlushIfDone();
      return;
    } finally {
      this.putsInFlight--;
    }
    upload.putDone = true;
    this.kick(); // the next PUT may start while this one waits for its commit
    await this.commitReady();
  }

  private async putObject(upload: Upload): Promise<void> {
    if (upload.groups.length === 0) return;
    const { parts, trailer } = layOutDataObject(
      upload.groups.map((group) => ({
        topicId: group.log.topicId,
        partition: group.log.partition,
        baseOffset: group.chunks[0].baseOffset,
        nextOffset: group.chunks[group.chunks.length - 1].nextOffset,
        maxTimestamp: Math.max(...group.chunks.map((chunk) => chunk.maxTimestamp)),
        size: group.chunks.reduce((sum, chunk) => sum + chunk.payloadBytes, 0),
      })),
    );
    // The body is gathered from the payloads where they are, not copied into one buffer: cached
    // ones are views into the log cache, pinned before anything can await and until the object is
    // written; the others are read back from the WAL.
    const chunks = upload.groups.flatMap((group) => group.chunks);
    const pieces: (Buffer | undefined)[] = chunks.map((chunk) => chunk.payload);
    const release = this.options.pinPayloads(pieces.filter((piece) => piece !== undefined));
    try {
      for (const [i, chunk] of chunks.entries()) pieces[i] ??= await this.options.readPayload(chunk);
      // The body's CRC-32C from its chunks' (combined) and the trailer's: no pass over the data.
      let crc = 0;
      for (const chunk of chunks) crc = crc32cCombine(crc, chunk.payloadCrc, chunk.payloadBytes);
      crc = crc32c(trailer, crc);
      const body = [...coalesced(pieces as Buffer[]), trailer];
      const info = await this.retrying(`upload ${upload.key}`, () => this.options.store.put(upload.key, body, undefined, crc));
      upload.object = { key: upload.key, sizeBytes: info.sizeBytes, parts };
      this.stats.objects++;
      this.stats.objectBytes += info.sizeBytes;
    } finally {
      release();
    }
  }

  /** Commits the uploads whose PUT is done, in cut order. */
  private async commitReady(): Promise<void> {
    if (this.committing) return;
    this.committing = true;
    try {
      while (this.uploads.length > 0 && this.uploads[0].putDone && !this.stuck) {
        let count = 0;
        while (count < this.uploads.length && this.uploads[count].putDone) count++;
        const ready = this.uploads.slice(0, count);
        const withObjects = ready.filter((upload) => upload.object !== undefined);
        if (withObjects.length > 0) {
          await this.retrying('commit objects', () =>
            this.options.metadata.append((state) => ({ kind: 'objects-committed', objects: this.committedObjects(state, withObjects) })),
          );
          this.stats.commits++;
        }
        const state = this.options.metadata.state.get(partitionDataSection);
        for (const upload of ready) {
          for (const group of upload.groups) {
            const data = state.partitions.get(partitionDataKey(group.log.topicId, group.log.partition));
            const end = group.chunks[group.chunks.length - 1].nextOffset;
            if (data !== undefined && !group.log.deleted && data.nextOffset < end) {
              this.stuck = true;
              this.options.logger.error(
                { topic: group.log.topic, partition: group.log.partition, committedTo: data.nextOffset, uploadedTo: end, object: upload.key },
                'the metadata log did not accept this broker\'s upload (the partition was taken over?): uploads stop and the WAL is kept',
              );
            }
          }
          if (this.stuck) return;
          this.options.onUploaded(upload.chunks);
        }
        this.uploads.splice(0, count);
        this.committedEnd = ready[ready.length - 1].rangeEnd;
        await this.trimIfDue();
      }
    } catch (error) {
      this.options.logger.error({ err: error }, 'committing uploads failed');
      this.stuck = true;
    } finally {
      this.committing = false;
    }
    this.kick();
  }

  /** Trims the WAL to what is committed when someone waits for it, the WAL is under pressure, or the last trim is old. */
  private async trimIfDue(): Promise<void> {
    if (this.committedEnd <= this.lastTrim || this.trimming) return;
    const sinceMs = Date.now() - this.lastTrimAtMs;
    const due = this.flushWaiters.length > 0 || this.options.walPressure() || sinceMs >= TRIM_INTERVAL_MS;
    if (!due) {
      if (this.trimTimer === undefined) {
        this.trimTimer = setTimeout(() => {
          this.trimTimer = undefined;
          void this.trimIfDue().finally(() => this.kick());
        }, TRIM_INTERVAL_MS - sinceMs);
        this.trimTimer.unref(); // housekeeping: it must not keep a process alive (close() trims anyway)
      }
      return;
    }
    this.trimming = true;
    try {
      const target = this.committedEnd;
      await this.options.trimWal(target);
      this.lastTrim = target;
      this.lastTrimAtMs = Date.now();
    } finally {
      this.trimming = false;
    }
  }

  /** The entry's objects, with each part's producer state folded from the state and the parts before it. */
  private committedObjects(state: MetadataState, uploads: readonly Upload[]): CommittedObject[] {
    const slice = state.get(partitionDataSection);
    const producersSoFar = new Map<string, Map<string, ProducerRecord>>();
    return uploads.map((upload) => ({
      ...upload.object!,
      parts: upload.object!.parts.map((part, i) => {
        const key = partitionDataKey(part.topicId, part.partition);
        const before = producersSoFar.get(key) ?? slice.partitions.get(key)?.producers ?? new Map<string, ProducerRecord>();
        const producers = producerRecordsAfter(before, upload.groups[i].chunks.flatMap((chunk) => chunk.producerWrites));
        const after = new Map(before);
        for (const producer of producers) after.set(producer.producerId, { ...producer, lastTimeMs: 0 });
        producersSoFar.set(key, after);
        return { ...part, producers };
      }),
    }));
  }

  private async retrying<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    for (let failures = 0; ; failures++) {
      try {
        return await attempt();
      } catch (error) {
        const backoffMs = Math.min(MAX_BACKOFF_MS, 100 * 2 ** failures);
        this.options.logger.warn({ err: error, failures: failures + 1, backoffMs }, `${what} failed; retrying`);
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
      }
    }
  }

  private scheduleAgeTimer(): void {
    if (this.ageTimer || this.stopped) return;
    const head = this.queue.peek();
    if (head === undefined) return;
    const dueInMs = Math.max(1, head.placedAtMs + this.options.uploadAgeMs - Date.now());
    this.ageTimer = setTimeout(() => {
      this.ageTimer = undefined;
      this.kick();
    }, dueInMs);
    this.ageTimer.unref(); // as the trim timer: flush() uploads without waiting for it
  }

  /** Flushes end when the WAL is trimmed past their target, or when nothing more can be committed (stuck or stopped). */
  private resolveFlushIfDone(): void {
    const finished = this.flushWaiters.filter((waiter) => waiter.target <= this.lastTrim || this.stuck || this.stopped);
    if (finished.length === 0) return;
    this.flushWaiters = this.flushWaiters.filter((waiter) => !finished.includes(waiter));
    for (const waiter of finished) waiter.resolve();
  }

  /** The WAL position below which everything is committed. */
  get trimmedTo(): number {
    return this.lastTrim;
  }
}

/** The pieces with neighbours in memory (consecutive payloads in the log cache) joined: fewer pieces to gather. */
function coalesced(pieces: readonly Buffer[]): Buffer[] {
  const joined: Buffer[] = [];
  for (const piece of pieces) {
    const last = joined[joined.length - 1];
    if (last !== undefined && last.buffer === piece.buffer && last.byteOffset + last.length === piece.byteOffset) {
      joined[joined.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + piece.length);
    } else {
      joined.push(piece);
    }
  }
  return joined;
}
