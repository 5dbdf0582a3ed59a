/**
 * Failover's data step: the new owner of a partition takes, from the WAL of each epoch that owned it
 * before (oldest first), the records above what is committed, uploads them as one data object and
 * commits it, as its own epoch. Only then does the partition serve, so offsets stay contiguous.
 *
 * - Each WAL is opened fresh (replayWal opens new file handles, so NFS close-to-open consistency
 *   shows everything the dead broker fsynced before it stopped) and read from its trim point to the
 *   end of valid framing.
 * - Only records written by the epoch being recovered are taken: the directory may still hold
 *   records of the node's earlier incarnations (a new one takes the previous directory over).
 * - Records must continue the committed end exactly: already committed ones are skipped (a replay
 *   repeated after a crash, or data the dead broker managed to upload), and a gap ends the replay
 *   (nothing after a gap can have been acknowledged: appends are acknowledged in WAL order).
 * - The commit goes through the metadata log like any upload, so the cluster section checks that
 *   this broker owns the partition at the commit's position in the log.
 *
 * Records a fenced broker wrote after this replay read its WAL are never taken: the partition's
 * recovery is sealed by `partition-recovered`, after which nobody replays that epoch for it again.
 * Such records were never acknowledged (the writer's lease had lapsed before the fence).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { MetadataLog } from '../metadata/log';
import { partitionDataKey, partitionDataSection, type CommittedObject } from '../metadata/sections/partition-data';
import { topicsSection } from '../metadata/sections/topics';
import { batchesOf } from '../protocol/record-batch';
import { encodeDataObject } from '../storage/engine/data-object';
import { producerRecordsAfter, producerWritesOf } from '../storage/engine/producer-state';
import type { ObjectStore } from '../storage/object-store';
import type { TopicPartition } from '../storage/storage';
import { legacyWalDirectoryOf, walDirectoryOf } from '../storage/wal/directory';
import { RecordType, type WalRecord } from '../storage/wal/format';
import { replayWal } from '../storage/wal/reader';
import type { WalSource } from './partition-host';

export interface WalRecoveryOptions {
  /** The WAL root (the shared file system): epoch E of node n wrote `<walRoot>/<n>.<E>`. */
  readonly walRoot: string;
  readonly store: ObjectStore;
  readonly metadataLog: MetadataLog;
  readonly logger: Logger;
}

export interface RecoveryResult {
  /** The committed end before the recovery. */
  readonly fromOffset: number;
  /** The committed end after it (equal to fromOffset when the WALs held nothing more). */
  readonly toOffset: number;
  readonly records: number;
  readonly objectKey: string | undefined;
}

export async function recoverPartitionFromWals(
  options: WalRecoveryOptions,
  partition: TopicPartition,
  sources: readonly WalSource[],
): Promise<RecoveryResult> {
  const { metadataLog, logger } = options;
  await metadataLog.catchUp();
  const topic = metadataLog.state.get(topicsSection).byName.get(partition.topic);
  if (topic === undefined) return { fromOffset: 0, toOffset: 0, records: 0, objectKey: undefined };
  const dataKey = partitionDataKey(topic.topicId, partition.partition);
  const fromOffset = metadataLog.state.get(partitionDataSection).partitions.get(dataKey)?.nextOffset ?? 0;

  const payloads: Buffer[] = [];
  let next = fromOffset;
  let records = 0;
  for (const source of sources) {
    let gap = false;
    const takeRecord = (record: WalRecord): void => {
      if (gap || record.type !== RecordType.Data || record.epoch !== source.epoch) return;
      if (record.partition !== partition.partition || record.topicId.toString('hex') !== topic.topicId) return;
      const end = record.baseOffset + record.recordCount;
      if (end <= next) return;
      if (record.baseOffset !== next) {
        gap = true;
        logger.error({ ...partition, source, expected: next, found: record.baseOffset }, 'WAL record does not continue the partition; replay of this WAL stops');
        return;
      }
      payloads.push(Buffer.from(record.payload));
      records += record.recordCount;
      next = end;
    };
    // The epoch's own directory; an epoch from before per-incarnation directories wrote the legacy one.
    const dirs = [walDirectoryOf(options.walRoot, source.nodeId, source.epoch), legacyWalDirectoryOf(options.walRoot, source.nodeId)];
    let replayed = false;
    for (const dir of dirs) {
      if ((await replayWal(dir, takeRecord)) === undefined) continue;
      replayed = true;
      break;
    }
    if (!replayed) logger.warn({ ...partition, source, dirs }, 'no WAL to replay in the directory');
  }
  if (payloads.length === 0) return { fromOffset, toOffset: fromOffset, records: 0, objectKey: undefined };

  const headers = payloads.flatMap((payload) => [...batchesOf(payload)].map((batch) => batch.header));
  const { body, parts } = encodeDataObject([
    {
      topicId: topic.topicId,
      partition: partition.partition,
      baseOffset: fromOffset,
      nextOffset: next,
      maxTimestamp: Math.max(...headers.map((header) => Number(header.maxTimestamp))),
      payloads,
    },
  ]);
  const writer = metadataLog.writer;
  const objectKey = `data/${writer.nodeId}-${writer.epoch}-recovered-${randomBytes(6).toString('hex')}`;
  await options.store.put(objectKey, body);
  const writes = producerWritesOf(headers);
  const outcome = await metadataLog.append((state) => {
    const data = state.get(partitionDataSection).partitions.get(dataKey);
    if (data === undefined || data.nextOffset !== fromOffset) return undefined; // changed meanwhile: checked below
    const object: CommittedObject = {
      key: objectKey,
      sizeBytes: body.length,
      parts: [{ ...parts[0], producers: producerRecordsAfter(data.producers, writes) }],
    };
    return { kind: 'objects-committed', objects: [object] };
  });
  const committedTo = metadataLog.state.get(partitionDataSection).partitions.get(dataKey)?.nextOffset;
  if (committedTo !== next || outcome === undefined || outcome.ignored.length > 0) {
    await options.store.delete(objectKey).catch(() => undefined);
    throw new Error(
      `recovery of ${partition.topic}-${partition.partition} was not committed: the partition ends at ${committedTo}, the replay at ${next}`,
    );
  }
  return { fromOffset, toOffset: next, records, objectKey };
}
