/**
 * Partition data: which objects hold which offsets of each partition, the log start offsets
 * (retention), the idempotent producers' recent batches, and which objects nothing refers to any
 * more (to be deleted).
 *
 * Entries:
 * - `objects-committed` { objects: [{ key, sizeBytes, parts: [CommittedPart] }] }: each part is
 *   applied on its own and only if its partition exists, its writer may write the partition
 *   (acceptsPartitionWrite of every section) and it starts exactly at the partition's next offset
 *   (so offsets stay contiguous; a part committed twice, e.g. by a retry or by two brokers
 *   replaying the same WAL, is ignored the second time). An object none of whose parts was
 *   accepted becomes deletable at once.
 * - `log-start-advanced` { topicId, partition, logStartOffset }: drops the segments below it; objects
 *   left without segments become deletable. Refused as a whole when the partition is gone, not
 *   writable by the writer, or the offset is outside (log start, next offset] (DeleteRecords).
 * - `log-starts-advanced` { starts: [{ topicId, partition, logStartOffset }] }: the same for many
 *   partitions in one entry (a retention pass), each start applied on its own or ignored.
 * - `objects-deleted` { keys }: the objects are gone from the store.
 * - `topic-created` / `topic-deleted` (also applied by the topics section): partitions appear with
 *   empty logs / disappear, their objects becoming deletable.
 */
import type { MetadataEntry } from '../entry';
import type { ApplyContext, MetadataSection } from '../state';
import { topicsSection, type TopicCreatedEntry, type TopicDeletedEntry } from './topics';

/** A partition's data inside one object: offsets [baseOffset, nextOffset) at [position, position + size). */
export interface Segment {
  readonly objectKey: string;
  readonly baseOffset: number;
  readonly nextOffset: number;
  readonly position: number;
  readonly size: number;
  /** The largest batch maxTimestamp in the segment (ms), for retention.ms and ListOffsets. */
  readonly maxTimestamp: number;
}

/** One of an idempotent producer's recent batches on a partition (Kafka keeps five). */
export interface ProducerBatch {
  readonly firstSequence: number;
  readonly lastSequence: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
}

export interface ProducerRecord {
  /** Decimal int64. */
  readonly producerId: string;
  readonly producerEpoch: number;
  /** Oldest first, at most MAX_PRODUCER_BATCHES. */
  readonly batches: readonly ProducerBatch[];
  /** When its last batch was committed (the commit entry's time), for expiry. */
  readonly lastTimeMs: number;
}

export const MAX_PRODUCER_BATCHES = 5;
/** Producers idle this long are forgotten (Kafka's producer.id.expiration.ms default is one day). */
export const PRODUCER_EXPIRATION_MS = 24 * 60 * 60 * 1000;

export interface CommittedPart {
  readonly topicId: string;
  readonly partition: number;
  readonly baseOffset: number;
  readonly nextOffset: number;
  readonly position: number;
  readonly size: number;
  readonly maxTimestamp: number;
  /** The state after this part of every idempotent producer that wrote in it. */
  readonly producers: readonly Omit<ProducerRecord, 'lastTimeMs'>[];
}

export interface CommittedObject {
  readonly key: string;
  readonly sizeBytes: number;
  readonly parts: readonly CommittedPart[];
}

export interface ObjectsCommittedEntry extends MetadataEntry {
  readonly kind: 'objects-committed';
  readonly objects: readonly CommittedObject[];
}
export interface LogStartAdvancedEntry extends MetadataEntry {
  readonly kind: 'log-start-advanced';
  readonly topicId: string;
  readonly partition: number;
  readonly logStartOffset: number;
}
export interface LogStart {
  readonly topicId: string;
  readonly partition: number;
  readonly logStartOffset: number;
}
export interface LogStartsAdvancedEntry extends MetadataEntry {
  readonly kind: 'log-starts-advanced';
  readonly starts: readonly LogStart[];
}
export interface ObjectsDeletedEntry extends MetadataEntry {
  readonly kind: 'objects-deleted';
  readonly keys: readonly string[];
}

export interface PartitionData {
  readonly topicId: string;
  readonly partition: number;
  logStartOffset: number;
  /** The offset after the last committed one. */
  nextOffset: number;
  /** Committed segments in offset order, all at or above the log start (but the first may straddle it). */
  segments: Segment[];
  /** Sum of the segments' sizes, for retention.bytes. */
  bytes: number;
  readonly producers: Map<string, ProducerRecord>;
}

export interface ObjectRecord {
  readonly key: string;
  readonly sizeBytes: number;
  /** Segments (over all partitions) still in this object. */
  liveSegments: number;
}

export interface PartitionDataSlice {
  /** By partitionDataKey(topicId, partition). */
  readonly partitions: Map<string, PartitionData>;
  /** Objects with live segments. */
  readonly objects: Map<string, ObjectRecord>;
  /** Objects nothing refers to, with the time (entry time) since when; deleted after a grace period. */
  readonly deletable: Map<string, number>;
}

export function partitionDataKey(topicId: string, partition: number): string {
  return `${topicId}:${partition}`;
}

export const partitionDataSection: MetadataSection<PartitionDataSlice> = {
  name: 'partition-data',
  kinds: ['topic-created', 'topic-deleted', 'objects-committed', 'log-start-advanced', 'log-starts-advanced', 'objects-deleted'],
  create: () => ({ partitions: new Map(), objects: new Map(), deletable: new Map() }),
  apply(slice, entry, context) {
    switch (entry.kind) {
      case 'topic-created': {
        const { topicId, partitionCount } = entry as TopicCreatedEntry;
        for (let partition = 0; partition < partitionCount; partition++) {
          slice.partitions.set(partitionDataKey(topicId, partition), emptyPartition(topicId, partition));
        }
        return;
      }
      case 'topic-deleted': {
        const { topicId } = entry as TopicDeletedEntry;
        for (const [key, data] of slice.partitions) {
          if (data.topicId !== topicId) continue;
          for (const segment of data.segments) releaseSegment(slice, segment, entry.timeMs);
          slice.partitions.delete(key);
        }
        return;
      }
      case 'objects-committed':
        for (const object of (entry as ObjectsCommittedEntry).objects) commitObject(slice, object, entry, context);
        return;
      case 'log-start-advanced': {
        const refusal = advanceLogStart(slice, entry as LogStartAdvancedEntry, entry, context);
        if (refusal !== undefined) context.rejectEntry(refusal);
        return;
      }
      case 'log-starts-advanced':
        for (const start of (entry as LogStartsAdvancedEntry).starts) {
          const refusal = advanceLogStart(slice, start, entry, context);
          if (refusal !== undefined) context.reportIgnored(refusal);
        }
        return;
      case 'objects-deleted':
        for (const key of (entry as ObjectsDeletedEntry).keys) {
          slice.deletable.delete(key);
          if (slice.objects.get(key)?.liveSegments === 0) slice.objects.delete(key);
        }
        return;
    }
  },
  save: (slice) => ({
    partitions: [...slice.partitions.values()].map((data) => ({ ...data, producers: [...data.producers.values()] })),
    objects: [...slice.objects.values()],
    deletable: [...slice.deletable],
  }),
  load(saved) {
    const { partitions, objects, deletable } = saved as {
      partitions: (Omit<PartitionData, 'producers'> & { producers: ProducerRecord[] })[];
      objects: ObjectRecord[];
      deletable: [string, number][];
    };
    return {
      partitions: new Map(
        partitions.map((data) => [
          partitionDataKey(data.topicId, data.partition),
          { ...data, producers: new Map(data.producers.map((producer) => [producer.producerId, producer])) },
        ]),
      ),
      objects: new Map(objects.map((object) => [object.key, { ...object }])),
      deletable: new Map(deletable),
    };
  },
};

function emptyPartition(topicId: string, partition: number): PartitionData {
  return { topicId, partition, logStartOffset: 0, nextOffset: 0, segments: [], bytes: 0, producers: new Map() };
}

function writerMayWrite(entry: MetadataEntry, context: ApplyContext, topicId: string, partition: number): boolean {
  const topic = context.state.get(topicsSection).byId.get(topicId);
  return topic !== undefined && context.state.acceptsPartitionWrite(entry.writer.epoch, topic.name, partition);
}

function commitObject(slice: PartitionDataSlice, object: CommittedObject, entry: MetadataEntry, context: ApplyContext): void {
  let accepted = 0;
  for (const part of object.parts) {
    const where = `${part.topicId}:${part.partition} [${part.baseOffset}, ${part.nextOffset}) of ${object.key}`;
    const data = slice.partitions.get(partitionDataKey(part.topicId, part.partition));
    if (data === undefined) {
      context.reportIgnored(`${where}: no such partition`);
      continue;
    }
    if (!writerMayWrite(entry, context, part.topicId, part.partition)) {
      context.reportIgnored(`${where}: epoch ${entry.writer.epoch} may not write the partition`);
      continue;
    }
    if (part.baseOffset !== data.nextOffset) {
      context.reportIgnored(`${where}: the partition's next offset is ${data.nextOffset}`);
      continue;
    }
    data.segments.push({
      objectKey: object.key,
      baseOffset: part.baseOffset,
      nextOffset: part.nextOffset,
      position: part.position,
      size: part.size,
      maxTimestamp: part.maxTimestamp,
    });
    data.nextOffset = part.nextOffset;
    data.bytes += part.size;
    for (const producer of part.producers) data.producers.set(producer.producerId, { ...producer, lastTimeMs: entry.timeMs });
    for (const [producerId, producer] of data.producers) {
      if (producer.lastTimeMs < entry.timeMs - PRODUCER_EXPIRATION_MS) data.producers.delete(producerId);
    }
    accepted++;
  }
  if (accepted > 0) {
    slice.objects.set(object.key, { key: object.key, sizeBytes: object.sizeBytes, liveSegments: accepted });
  } else {
    slice.deletable.set(object.key, entry.timeMs);
  }
}

/** Moves a partition's log start forward, releasing the segments below it; or says why it may not. */
function advanceLogStart(slice: PartitionDataSlice, start: LogStart, entry: MetadataEntry, context: ApplyContext): string | undefined {
  const data = slice.partitions.get(partitionDataKey(start.topicId, start.partition));
  if (data === undefined || !writerMayWrite(entry, context, start.topicId, start.partition)) {
    return `log start of ${start.topicId}:${start.partition} not writable by epoch ${entry.writer.epoch}`;
  }
  if (start.logStartOffset <= data.logStartOffset || start.logStartOffset > data.nextOffset) {
    return `log start ${start.logStartOffset} outside (${data.logStartOffset}, ${data.nextOffset}] for ${start.topicId}:${start.partition}`;
  }
  data.logStartOffset = start.logStartOffset;
  let dropped = 0;
  while (dropped < data.segments.length && data.segments[dropped].nextOffset <= start.logStartOffset) {
    releaseSegment(slice, data.segments[dropped], entry.timeMs);
    data.bytes -= data.segments[dropped].size;
    dropped++;
  }
  data.segments = data.segments.slice(dropped);
  return undefined;
}

function releaseSegment(slice: PartitionDataSlice, segment: Segment, timeMs: number): void {
  const object = slice.objects.get(segment.objectKey);
  if (object === undefined) return;
  object.liveSegments--;
  if (object.liveSegments === 0) {
    slice.objects.delete(object.key);
    slice.deletable.set(object.key, timeMs);
  }
}
