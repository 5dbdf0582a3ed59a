/**
 * The cluster's slice of the metadata state: ClusterState (cluster-state.ts) plugged into the
 * metadata log as a section. It applies the cluster entries, starts a topic's ownership over when
 * the topic is created or deleted, and vetoes writes to a partition's data by any epoch but its
 * owner's (acceptsPartitionWrite), which is what makes a fenced broker's late commits harmless.
 */
import type { MetadataEntry } from '../metadata/entry';
import type { ApplyContext, MetadataSection } from '../metadata/state';
import { partitionKey } from './assignment';
import { type ClusterEntry, ClusterState, type SavedClusterState, CLUSTER_ENTRY_KINDS } from './cluster-state';

/** Entry kinds an epoch writes about itself: the envelope's epoch must be that epoch. */
const SELF_KINDS: ReadonlySet<string> = new Set(['broker-left', 'partition-released', 'partition-recovered']);

export const clusterSection: MetadataSection<ClusterState> = {
  name: 'cluster',
  kinds: [...CLUSTER_ENTRY_KINDS, 'topic-created', 'topic-deleted'],
  create: () => new ClusterState(),
  apply(slice, entry, context) {
    if (entry.kind === 'topic-created' || entry.kind === 'topic-deleted') {
      if (typeof entry.name === 'string') slice.forgetTopic(entry.name);
      return;
    }
    const problem = shapeProblem(entry);
    if (problem !== undefined) {
      context.rejectEntry(`malformed ${entry.kind} entry: ${problem}`);
      return;
    }
    const clusterEntry = entry as unknown as ClusterEntry;
    if (SELF_KINDS.has(entry.kind) && entry.writer.epoch !== (clusterEntry as { epoch: number }).epoch) {
      context.rejectEntry(`${entry.kind} for epoch ${(clusterEntry as { epoch: number }).epoch} written by epoch ${entry.writer.epoch}`);
      return;
    }
    const outcome = slice.apply(context.sequence, clusterEntry);
    if (clusterEntry.kind === 'partitions-assigned') {
      reportIgnoredChanges(clusterEntry, outcome.changed, context);
    } else if (!outcome.applied) {
      context.rejectEntry(`${entry.kind} does not apply at sequence ${context.sequence}`);
    }
  },
  acceptsPartitionWrite: (slice, writerEpoch, topic, partition) => slice.acceptsCommit(writerEpoch, topic, partition),
  save: (slice) => slice.save(),
  load: (saved) => ClusterState.load(saved as SavedClusterState),
};

function reportIgnoredChanges(
  entry: Extract<ClusterEntry, { kind: 'partitions-assigned' }>,
  changed: readonly { topic: string; partition: number }[],
  context: ApplyContext,
): void {
  const done = new Set(changed.map((p) => partitionKey(p.topic, p.partition)));
  for (const change of entry.changes) {
    if (!done.has(partitionKey(change.topic, change.partition))) {
      context.reportIgnored(
        `${change.topic}/${change.partition} -> epoch ${change.owner}: computed from version ${change.expectedVersion}, outdated or target not active`,
      );
    }
  }
}

/** What is wrong with the entry's fields, or undefined. Entries come from other processes: check them. */
function shapeProblem(entry: MetadataEntry): string | undefined {
  const isInt = (value: unknown): boolean => Number.isSafeInteger(value);
  const ref = (value: Record<string, unknown>): boolean => typeof value.topic === 'string' && isInt(value.partition);
  switch (entry.kind) {
    case 'broker-registered':
      return isInt(entry.nodeId) && typeof entry.host === 'string' && isInt(entry.port) && (entry.zone === null || typeof entry.zone === 'string')
        ? undefined
        : 'needs nodeId, host, port, zone';
    case 'broker-fenced':
      return isInt(entry.epoch) && isInt(entry.by) ? undefined : 'needs epoch and by';
    case 'broker-left':
      return isInt(entry.epoch) ? undefined : 'needs epoch';
    case 'partition-released':
    case 'partition-recovered':
      return isInt(entry.epoch) && ref(entry) ? undefined : 'needs epoch, topic, partition';
    case 'partitions-assigned': {
      const changes = entry.changes;
      const valid =
        isInt(entry.by) &&
        Array.isArray(changes) &&
        changes.every(
          (c: Record<string, unknown>) => typeof c === 'object' && c !== null && ref(c) && isInt(c.owner) && isInt(c.expectedVersion),
        );
      return valid ? undefined : 'needs by and changes [{ topic, partition, owner, expectedVersion }]';
    }
    default:
      return `unknown kind`;
  }
}
