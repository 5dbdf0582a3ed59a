/**
 * What the protocol layer needs to know about the cluster: which brokers exist, who owns each
 * partition and each group, who the controller is. A single broker answers "me" to everything
 * (SingleBrokerView); the multi-broker cluster (leases and assignment in the object store) provides
 * a live implementation of the same interface.
 */

export interface BrokerEndpoint {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  /** The availability zone, reported to clients as the rack. */
  readonly rack: string | null;
}

export interface ClusterView {
  readonly clusterId: string;
  readonly localNodeId: number;
  /** Live brokers, the local one included. */
  brokers(): readonly BrokerEndpoint[];
  /** The node id clients should treat as the controller (e.g. kafkajs asks it for producer ids). */
  controllerId(): number;
  /** The node that owns the partition now, or undefined while it is moving (LEADER_NOT_AVAILABLE). */
  ownerOfPartition(topic: string, partition: number): number | undefined;
  /** The node that coordinates the group now (the owner of its __consumer_offsets partition). */
  coordinatorOfGroup(groupId: string): number | undefined;
}

export class SingleBrokerView implements ClusterView {
  constructor(
    readonly clusterId: string,
    private readonly self: BrokerEndpoint,
  ) {}

  get localNodeId(): number {
    return this.self.nodeId;
  }

  brokers(): readonly BrokerEndpoint[] {
    return [this.self];
  }

  controllerId(): number {
    return this.self.nodeId;
  }

  ownerOfPartition(): number {
    return this.self.nodeId;
  }

  coordinatorOfGroup(): number {
    return this.self.nodeId;
  }
}
