/**
 * The cluster's shared state (membership, ownership of partitions) as a deterministic function of
 * the metadata log. Every broker applies the same entries in the same order with this code, so all
 * of them agree on who owns what at every position of the log, and an entry is judged against the
 * state at ITS position, not against what its writer believed when it wrote it.
 *
 * Why entries in the metadata log rather than separate conditional objects: the object commits of
 * the storage engine are entries in the same log. Ownership changes and commits therefore have one
 * total order, and "a commit by an epoch that no longer owns the partition is ignored" is a plain
 * rule of apply. Leases, which change every few seconds, are separate conditional objects
 * (lease-store.ts): a lease only decides WHEN the controller may write a fence entry.
 *
 * Entry kinds (the writer in brackets):
 * - broker-registered [the broker, at start]: its sequence number becomes the broker's epoch.
 * - broker-fenced [the controller, after fencing the lease object]: the epoch is dead; its
 *   partitions lose their owner and remember that its WAL must be replayed.
 * - broker-left [the broker, at the end of a drain, after uploading everything]: the epoch is
 *   gone and its partitions lose their owner with nothing to replay.
 * - partitions-assigned [the controller]: owners for unowned partitions, and move requests for
 *   owned ones; each change names the partition version it was computed from (optimistic
 *   concurrency: a change computed from an outdated state is ignored).
 * - partition-released [the owner, after uploading the partition]: completes a move request.
 * - partition-recovered [the new owner, after replaying and uploading]: the partition serves.
 */
import { type PartitionRef, partitionKey } from './assignment';

export type BrokerStatus = 'active' | 'fenced' | 'left';

export interface BrokerRegistration {
  /** The sequence number of the registration entry: unique and increasing across the cluster. */
  readonly epoch: number;
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly zone: string | null;
}

export interface BrokerRecord extends BrokerRegistration {
  readonly status: BrokerStatus;
}

export interface PartitionOwnership {
  /** The owning epoch, or undefined while the partition waits for an owner. */
  readonly owner: number | undefined;
  /** Sequence of the entry that last changed this partition; assignments must name it. */
  readonly version: number;
  /** Kafka's leader epoch: increases with every change of owner. */
  readonly leaderEpoch: number;
  /**
   * Epochs whose WAL may still hold acknowledged records of this partition above what is committed,
   * oldest first. The owner replays them before it serves; empty means the partition can serve.
   */
  readonly replayFrom: readonly number[];
  /** A requested move: the owner hands the partition to this epoch once it has uploaded it. */
  readonly moveTo: number | undefined;
}

export type ClusterEntry =
  | {
      readonly kind: 'broker-registered';
      readonly nodeId: number;
      readonly host: string;
      readonly port: number;
      readonly zone: string | null;
    }
  | { readonly kind: 'broker-fenced'; readonly epoch: number; readonly by: number }
  | { readonly kind: 'broker-left'; readonly epoch: number }
  | {
      readonly kind: 'partitions-assigned';
      readonly by: number;
      readonly changes: readonly AssignmentChange[];
    }
  | { readonly kind: 'partition-released'; readonly epoch: number; readonly topic: string; readonly partition: number }
  | { readonly kind: 'partition-recovered'; readonly epoch: number; readonly topic: string; readonly partition: number };

export interface AssignmentChange extends PartitionRef {
  readonly owner: number;
  /** The partition's version the change was computed from. */
  readonly expectedVersion: number;
}

export const CLUSTER_ENTRY_KINDS: ReadonlySet<string> = new Set<ClusterEntry['kind']>([
  'broker-registered',
  'broker-fenced',
  'broker-left',
  'partitions-assigned',
  'partition-released',
  'partition-recovered',
]);

export function isClusterEntry(entry: { readonly kind: string }): entry is ClusterEntry {
  return CLUSTER_ENTRY_KINDS.has(entry.kind);
}

const UNOWNED: PartitionOwnership = {
  owner: undefined,
  version: 0,
  leaderEpoch: 0,
  replayFrom: [],
  moveTo: undefined,
};

/** What applying an entry did, for the writer to learn whether its entry took effect. */
export interface ApplyOutcome {
  /** False when the entry was judged outdated or invalid at its position and ignored. */
  readonly applied: boolean;
  /** Partitions whose ownership changed. */
  readonly changed: readonly PartitionRef[];
}

export interface SavedClusterState {
  readonly brokers: readonly BrokerRecord[];
  readonly partitions: readonly (PartitionRef & PartitionOwnership)[];
}

const IGNORED: ApplyOutcome = { applied: false, changed: [] };

export class ClusterState {
  private readonly brokerByEpoch = new Map<number, BrokerRecord>();
  private readonly partitionByKey = new Map<string, PartitionOwnership>();
  private readonly refByKey = new Map<string, PartitionRef>();

  broker(epoch: number): BrokerRecord | undefined {
    return this.brokerByEpoch.get(epoch);
  }

  brokers(): BrokerRecord[] {
    return [...this.brokerByEpoch.values()];
  }

  /** Registered, not fenced, not left: may still be acknowledging writes. */
  activeBrokers(): BrokerRecord[] {
    return this.brokers().filter((b) => b.status === 'active');
  }

  partition(topic: string, partition: number): PartitionOwnership {
    return this.partitionByKey.get(partitionKey(topic, partition)) ?? UNOWNED;
  }

  /** Partitions with any ownership history (others are unowned at version 0). */
  knownPartitions(): PartitionRef[] {
    return [...this.refByKey.values()];
  }

  /** Partitions owned by the epoch. */
  ownedBy(epoch: number): PartitionRef[] {
    return this.knownPartitions().filter((p) => this.partition(p.topic, p.partition).owner === epoch);
  }

  /**
   * The epoch may append records to the partition: it owns it, has replayed what it had to, and is
   * not handing it over. (The lease check is separate: this is only the log's side.)
   */
  canServe(epoch: number, topic: string, partition: number): boolean {
    const state = this.partition(topic, partition);
    return state.owner === epoch && state.replayFrom.length === 0 && state.moveTo === undefined;
  }

  /**
   * Whether a write to the partition's data (an object commit, a log-start change) by `epoch` takes
   * effect at this position of the log: only its owner's. Partitions that were never assigned are
   * not the cluster's concern (a lone broker without a controller writes them freely).
   */
  acceptsCommit(epoch: number | undefined, topic: string, partition: number): boolean {
    const state = this.partitionByKey.get(partitionKey(topic, partition));
    if (state === undefined) return true;
    return epoch !== undefined && state.owner === epoch;
  }

  /** A topic was created or deleted: its partitions start over (a new topic is a new log). */
  forgetTopic(topic: string): void {
    for (const [key, ref] of this.refByKey) {
      if (ref.topic !== topic) continue;
      this.refByKey.delete(key);
      this.partitionByKey.delete(key);
    }
  }

  /**
   * True when the WAL directory of this node holds nothing that an older incarnation of the node
   * may still need: every older epoch of the node is fenced or left, and no partition waits for a
   * replay of one. Until then a new incarnation must not write to the (shared) WAL directory.
   */
  walReusable(epoch: number): boolean {
    const self = this.brokerByEpoch.get(epoch);
    if (self === undefined) return false;
    return this.brokers().every((b) => b.nodeId !== self.nodeId || b.epoch >= epoch || this.walFinished(b.epoch));
  }

  /**
   * True when nobody needs epoch `epoch`'s WAL any more: the epoch is fenced or left, and no
   * partition waits for a replay of it. Unknown epochs are not finished (nothing is known of them).
   */
  walFinished(epoch: number): boolean {
    const broker = this.brokerByEpoch.get(epoch);
    if (broker === undefined || broker.status === 'active') return false;
    for (const state of this.partitionByKey.values()) {
      if (state.replayFrom.includes(epoch)) return false;
    }
    return true;
  }

  /** A JSON-serializable copy, for metadata checkpoints. */
  save(): SavedClusterState {
    return {
      brokers: this.brokers(),
      partitions: [...this.refByKey].map(([key, ref]) => ({ ...ref, ...this.partitionByKey.get(key)! })),
    };
  }

  static load(saved: SavedClusterState): ClusterState {
    const state = new ClusterState();
    for (const broker of saved.brokers) state.brokerByEpoch.set(broker.epoch, broker);
    for (const { topic, partition, owner, version, leaderEpoch, replayFrom, moveTo } of saved.partitions) {
      const key = partitionKey(topic, partition);
      state.refByKey.set(key, { topic, partition });
      // JSON turns undefined into absent fields; restore them explicitly.
      state.partitionByKey.set(key, { owner: owner ?? undefined, version, leaderEpoch, replayFrom, moveTo: moveTo ?? undefined });
    }
    return state;
  }

  /** Applies the entry at sequence `seq` (entries must come in log order). */
  apply(seq: number, entry: ClusterEntry): ApplyOutcome {
    switch (entry.kind) {
      case 'broker-registered':
        this.brokerByEpoch.set(seq, {
          epoch: seq,
          nodeId: entry.nodeId,
          host: entry.host,
          port: entry.port,
          zone: entry.zone,
          status: 'active',
        });
        return { applied: true, changed: [] };
      case 'broker-fenced':
        return this.retire(seq, entry.epoch, 'fenced');
      case 'broker-left':
        return this.retire(seq, entry.epoch, 'left');
      case 'partitions-assigned':
        return this.assign(seq, entry.changes);
      case 'partition-released':
        return this.release(seq, entry.epoch, entry);
      case 'partition-recovered':
        return this.recovered(seq, entry.epoch, entry);
    }
  }

  private retire(seq: number, epoch: number, status: 'fenced' | 'left'): ApplyOutcome {
    const broker = this.brokerByEpoch.get(epoch);
    if (broker?.status !== 'active') return IGNORED;
    this.brokerByEpoch.set(epoch, { ...broker, status });
    const changed: PartitionRef[] = [];
    for (const [key, state] of this.partitionByKey) {
      const ref = this.refByKey.get(key)!;
      if (state.owner === epoch) {
        // A fenced owner may have acknowledged records that only its WAL holds; an owner that left
        // uploaded everything first. Either way earlier pending replays still apply.
        const replayFrom =
          status === 'fenced' ? [...state.replayFrom, epoch] : [...state.replayFrom];
        this.partitionByKey.set(key, {
          owner: undefined,
          version: seq,
          leaderEpoch: state.leaderEpoch,
          replayFrom,
          moveTo: undefined,
        });
        changed.push(ref);
      } else if (state.moveTo === epoch) {
        this.partitionByKey.set(key, { ...state, moveTo: undefined, version: seq });
        changed.push(ref);
      }
    }
    return { applied: true, changed };
  }

  private assign(seq: number, changes: readonly AssignmentChange[]): ApplyOutcome {
    const changed: PartitionRef[] = [];
    for (const change of changes) {
      const key = partitionKey(change.topic, change.partition);
      const state = this.partition(change.topic, change.partition);
      const target = this.brokerByEpoch.get(change.owner);
      if (state.version !== change.expectedVersion || target?.status !== 'active') continue;
      if (state.owner === change.owner) continue;
      this.refByKey.set(key, { topic: change.topic, partition: change.partition });
      if (state.owner === undefined) {
        this.partitionByKey.set(key, {
          owner: change.owner,
          version: seq,
          leaderEpoch: state.leaderEpoch + 1,
          replayFrom: state.replayFrom,
          moveTo: undefined,
        });
      } else {
        this.partitionByKey.set(key, { ...state, version: seq, moveTo: change.owner });
      }
      changed.push({ topic: change.topic, partition: change.partition });
    }
    return { applied: changed.length > 0, changed };
  }

  private release(seq: number, epoch: number, ref: PartitionRef): ApplyOutcome {
    const key = partitionKey(ref.topic, ref.partition);
    const state = this.partition(ref.topic, ref.partition);
    if (state.owner !== epoch || state.moveTo === undefined) return IGNORED;
    const target = this.brokerByEpoch.get(state.moveTo);
    const owner = target?.status === 'active' ? target.epoch : undefined;
    this.partitionByKey.set(key, {
      owner,
      version: seq,
      leaderEpoch: state.leaderEpoch + (owner === undefined ? 0 : 1),
      replayFrom: state.replayFrom,
      moveTo: undefined,
    });
    return { applied: true, changed: [{ topic: ref.topic, partition: ref.partition }] };
  }

  private recovered(seq: number, epoch: number, ref: PartitionRef): ApplyOutcome {
    const key = partitionKey(ref.topic, ref.partition);
    const state = this.partition(ref.topic, ref.partition);
    if (state.owner !== epoch || state.replayFrom.length === 0) return IGNORED;
    this.partitionByKey.set(key, { ...state, version: seq, replayFrom: [] });
    return { applied: true, changed: [{ topic: ref.topic, partition: ref.partition }] };
  }
}
