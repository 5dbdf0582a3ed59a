/**
 * Rebuilds the groups of one __consumer_offsets partition from its records, as Kafka's
 * GroupMetadataManager does when a broker becomes a partition's leader: the latest record of each
 * key wins, tombstones delete, a group with members comes back Stable in its last stored
 * generation (its members then have one session timeout to heartbeat), a group without members
 * comes back Empty, and offsets without any group metadata form a simple group.
 *
 * Only the log from the start of the last complete snapshot on is replayed (group-writer.ts). The
 * last snapshot marker is found by reading the end of the log, a window that grows fourfold until
 * it holds a marker or reaches the log start (then the whole log is replayed).
 */
import type { Logger } from 'pino';
import { CommittedOffsets } from './committed-offsets';
import { Group, GroupState } from './group';
import type { GroupLog, StoredGroup } from './group-log';
import { Member } from './member';

/** The first window of log end searched for a snapshot marker, in records. */
const FIRST_MARKER_WINDOW = 1_024n;

interface ReplayedGroup {
  metadata: StoredGroup | undefined;
  readonly offsets: CommittedOffsets;
}

export interface LoadOptions {
  /** Which partition a group belongs in: records found elsewhere are ignored. */
  readonly partitionOf: (groupId: string) => number;
  readonly nowMs: number;
  readonly logger: Logger;
}

export interface LoadedPartition {
  readonly groups: Group[];
  /** Records read after the last snapshot's marker (what the next snapshot would save loading). */
  readonly recordsSinceSnapshot: number;
  /** Records of the last snapshot (0 without one). */
  readonly snapshotSize: number;
  /** Where replay started when a complete snapshot was found (the log may be cut there). */
  readonly snapshotStart: bigint | undefined;
}

/** Where replay starts: the first record of the last complete snapshot, else the log start. */
async function replayStart(log: GroupLog, partition: number): Promise<{ from: bigint; markerOffset: bigint | undefined }> {
  const { start, end } = await log.bounds(partition);
  for (let window = FIRST_MARKER_WINDOW; ; window *= 4n) {
    const scanFrom = end - window > start ? end - window : start;
    let marker: { offset: bigint; snapshotStart: bigint } | undefined;
    await log.read(partition, scanFrom, (record, offset) => {
      if (record.kind === 'snapshot-marker') marker = { offset, snapshotStart: record.snapshotStart };
    });
    if (marker) {
      // An empty snapshot is its marker alone (snapshotStart -1).
      const snapshotStart = marker.snapshotStart < 0n ? marker.offset : marker.snapshotStart;
      return { from: snapshotStart > start ? snapshotStart : start, markerOffset: marker.offset };
    }
    if (scanFrom === start) return { from: start, markerOffset: undefined };
  }
}

export async function loadGroups(log: GroupLog, partition: number, options: LoadOptions): Promise<LoadedPartition> {
  const replayed = new Map<string, ReplayedGroup>();
  const misplaced = new Set<string>();
  const entry = (groupId: string): ReplayedGroup => {
    let found = replayed.get(groupId);
    if (!found) {
      found = { metadata: undefined, offsets: new CommittedOffsets() };
      replayed.set(groupId, found);
    }
    return found;
  };
  const { from, markerOffset } = await replayStart(log, partition);
  let recordsSinceSnapshot = 0;
  await log.read(partition, from, (record, logOffset) => {
    if (markerOffset === undefined || logOffset > markerOffset) recordsSinceSnapshot++;
    if (record.kind === 'snapshot-marker') return;
    if (options.partitionOf(record.groupId) !== partition) {
      misplaced.add(record.groupId);
      return;
    }
    const group = entry(record.groupId);
    if (record.kind === 'group') {
      group.metadata = record.value ?? undefined;
    } else if (record.value) {
      group.offsets.apply(record.topic, record.partition, { ...record.value, logOffset });
    } else {
      group.offsets.delete(record.topic, record.partition);
    }
  });
  if (misplaced.size > 0) {
    options.logger.warn(
      { partition, groups: [...misplaced] },
      'records of groups that belong to another partition (was the partition count changed?) were ignored',
    );
  }
  const groups = [...replayed]
    .filter(([, { metadata, offsets }]) => metadata !== undefined || offsets.size > 0)
    .map(([groupId, { metadata, offsets }]) => restoreGroup(groupId, partition, metadata, offsets, options.nowMs));
  const snapshotSize = markerOffset === undefined ? 0 : Number(markerOffset - from) + 1;
  return { groups, recordsSinceSnapshot, snapshotSize, snapshotStart: markerOffset === undefined ? undefined : from };
}

function restoreGroup(
  groupId: string,
  partition: number,
  metadata: StoredGroup | undefined,
  offsets: CommittedOffsets,
  nowMs: number,
): Group {
  const hasMembers = metadata !== undefined && metadata.members.length > 0;
  const group = new Group(groupId, partition, nowMs, hasMembers ? GroupState.Stable : GroupState.Empty);
  for (const { topic, partition: topicPartition, committed } of offsets.entries()) {
    group.offsets.apply(topic, topicPartition, committed);
  }
  if (!metadata) return group;
  for (const stored of metadata.members) {
    const member = new Member({
      memberId: stored.memberId,
      groupInstanceId: stored.groupInstanceId,
      clientId: stored.clientId,
      clientHost: stored.clientHost,
      rebalanceTimeoutMs: stored.rebalanceTimeoutMs,
      sessionTimeoutMs: stored.sessionTimeoutMs,
      protocolType: metadata.protocolType,
      protocols: [{ name: metadata.protocolName ?? '', metadata: stored.subscription }],
    });
    member.assignment = stored.assignment;
    group.add(member);
  }
  group.generationId = metadata.generationId;
  group.protocolType = metadata.protocolType === '' ? undefined : metadata.protocolType;
  group.protocolName = metadata.protocolName ?? undefined;
  group.leaderId = metadata.leaderId ?? group.leaderId;
  group.restoreStateTimestamp(metadata.stateTimestampMs);
  group.refreshSubscribedTopics();
  group.storedGeneration = metadata;
  return group;
}
