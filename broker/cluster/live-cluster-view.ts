/**
 * The ClusterView of a broker in a cluster, read from the metadata state it has applied.
 *
 * - brokers(): the active incarnation of each node (the newest, when a restarted node's old epoch
 *   is not fenced yet), with its zone as the rack.
 * - ownerOfPartition(): the owner's node id once the partition serves (recovered and, if the owner
 *   is this broker, loaded here); undefined while it has no owner or is being recovered, which the
 *   protocol layer answers with LEADER_NOT_AVAILABLE (retriable: clients refresh their metadata).
 *   A partition owned by an older incarnation of THIS node is not ours: undefined too.
 * - coordinatorOfGroup(): the owner of the group's __consumer_offsets partition, so groups move with
 *   partitions.
 */
import { offsetsPartitionFor, OFFSETS_TOPIC } from '../coordinator/offsets-topic';
import type { MetadataLog } from '../metadata/log';
import { topicsSection } from '../metadata/sections/topics';
import type { BrokerEndpoint, ClusterView } from './cluster-view';
import { clusterSection } from './cluster-section';
import type { ClusterState } from './cluster-state';

export interface LiveClusterViewOptions {
  readonly clusterId: string;
  readonly localNodeId: number;
  readonly metadataLog: MetadataLog;
  /** This broker's epoch (its registration sequence). */
  readonly localEpoch: () => number | undefined;
  /** The partition is loaded here and this broker may take writes for it. */
  readonly servesLocally: (topic: string, partition: number) => boolean;
  /** The node id of the controller as last observed, if any. */
  readonly controllerNodeId: () => number | undefined;
}

export class LiveClusterView implements ClusterView {
  readonly clusterId: string;
  readonly localNodeId: number;

  constructor(private readonly options: LiveClusterViewOptions) {
    this.clusterId = options.clusterId;
    this.localNodeId = options.localNodeId;
  }

  private get state(): ClusterState {
    return this.options.metadataLog.state.get(clusterSection);
  }

  brokers(): readonly BrokerEndpoint[] {
    const newest = new Map<number, BrokerEndpoint & { epoch: number }>();
    for (const broker of this.state.activeBrokers()) {
      const known = newest.get(broker.nodeId);
      if (known === undefined || known.epoch < broker.epoch) {
        newest.set(broker.nodeId, { nodeId: broker.nodeId, host: broker.host, port: broker.port, rack: broker.zone, epoch: broker.epoch });
      }
    }
    return [...newest.values()]
      .sort((a, b) => a.nodeId - b.nodeId)
      .map(({ nodeId, host, port, rack }) => ({ nodeId, host, port, rack }));
  }

  controllerId(): number {
    // Clients need some id; any broker can serve what they ask the controller for (producer ids).
    return this.options.controllerNodeId() ?? this.brokers()[0]?.nodeId ?? this.localNodeId;
  }

  ownerOfPartition(topic: string, partition: number): number | undefined {
    const ownership = this.state.partition(topic, partition);
    if (ownership.owner === undefined || ownership.replayFrom.length > 0) return undefined;
    const owner = this.state.broker(ownership.owner);
    if (owner?.status !== 'active') return undefined;
    if (owner.nodeId === this.localNodeId) {
      const mine = owner.epoch === this.options.localEpoch() && this.options.servesLocally(topic, partition);
      return mine ? this.localNodeId : undefined;
    }
    return owner.nodeId;
  }

  coordinatorOfGroup(groupId: string): number | undefined {
    const offsets = this.options.metadataLog.state.get(topicsSection).byName.get(OFFSETS_TOPIC);
    if (offsets === undefined) return undefined;
    return this.ownerOfPartition(OFFSETS_TOPIC, offsetsPartitionFor(groupId, offsets.partitionCount));
  }
}
