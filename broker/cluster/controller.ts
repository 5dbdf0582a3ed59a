/**
 * The controller: one broker at a time (itself a lease, `cluster/controller`) fences brokers whose
 * lease lapsed and assigns partitions. It holds no state of its own: every decision is computed
 * from the metadata state and written as an entry that names the version it was computed from, so
 * a second controller (during a takeover, or a paused one that wakes up) can only write entries
 * that apply harmlessly or not at all. The controller lease only keeps brokers from competing.
 *
 * One step (`tick`, called every poll interval):
 * 1. keep or claim the controller lease (claim when it is absent, released, held by an epoch that is
 *    no longer active, or unchanged for the expiry wait; only while this broker's own lease is
 *    current);
 * 2. as controller, fence every active broker whose lease lapsed: list its lease to confirm, create
 *    the next record as a fence (create-only: it fails if the broker renewed in between), then
 *    append `broker-fenced`;
 * 3. as controller, compute the assignment and append the changes (owners for unowned partitions,
 *    move requests for partitions that must move off a live broker).
 */
import type { Logger } from 'pino';
import type { MetadataLog } from '../metadata/log';
import type { MetadataState } from '../metadata/state';
import { topicsSection } from '../metadata/sections/topics';
import type { ObjectStore } from '../storage/object-store';
import type { ClusterState } from './cluster-state';
import { type AssignmentChange, type BrokerRecord } from './cluster-state';
import { type AssignableBroker, type PartitionRef, assignPartitions, partitionKey } from './assignment';
import type { Clock } from './clock';
import { clusterSection } from './cluster-section';
import { LeaseKeeper } from './lease-keeper';
import { LeaseLog } from './lease-store';
import { CONTROLLER_LEASE_PREFIX, type LeaseMonitor } from './lease-monitor';
import type { LeaseTiming } from './timing';

export interface ControllerOptions {
  readonly metadataLog: MetadataLog;
  readonly store: ObjectStore;
  readonly monitor: LeaseMonitor;
  readonly self: { readonly epoch: number; readonly nodeId: number };
  readonly timing: LeaseTiming;
  readonly clock: Clock;
  readonly logger: Logger;
  /** This broker's own lease is current (a broker that may be dead must not claim or act). */
  readonly selfLeaseCurrent: () => boolean;
}

export class Controller {
  private keeper: LeaseKeeper | undefined;
  private readonly leaseLog: LeaseLog;

  constructor(private readonly options: ControllerOptions) {
    this.leaseLog = new LeaseLog(options.store, CONTROLLER_LEASE_PREFIX);
  }

  /** This broker holds a current controller lease. */
  isController(): boolean {
    return this.keeper?.holder.isCurrent() ?? false;
  }

  /** The node id of the controller as last observed (undefined when there is none). */
  controllerNodeId(): number | undefined {
    const latest = this.options.monitor.controllerWatch.latest;
    if (latest === undefined || latest.record.kind !== 'renewal') return undefined;
    if (this.clusterState().broker(latest.record.holder)?.status !== 'active') return undefined;
    return latest.record.nodeId;
  }

  /** One step: keep or claim the lease, then fence and assign if controller. */
  async tick(): Promise<void> {
    await this.maintainLease();
    if (!this.isController()) return;
    await this.fenceLapsedBrokers();
    await this.assign();
  }

  /** Renews the controller lease if held (call every renewal interval). */
  async renew(): Promise<void> {
    if (this.keeper === undefined || this.keeper.holder.isRevoked) return;
    if (!this.options.selfLeaseCurrent()) {
      // A broker that cannot prove it is alive lets the controller lease go with it.
      await this.resign();
      return;
    }
    if ((await this.keeper.renew()) === 'lost') {
      this.options.logger.info({ takenBy: this.keeper.lostTo }, 'controller lease taken over');
      this.keeper = undefined;
    }
  }

  /** Releases the controller lease (drain), so another broker takes over without waiting. */
  async resign(): Promise<void> {
    const keeper = this.keeper;
    this.keeper = undefined;
    if (keeper !== undefined && !keeper.holder.isRevoked) {
      await keeper.release();
      this.options.logger.info('controller lease released');
    }
  }

  private clusterState(): ClusterState {
    return this.options.metadataLog.state.get(clusterSection);
  }

  private async maintainLease(): Promise<void> {
    if (this.keeper !== undefined && !this.keeper.holder.isRevoked) return;
    if (!this.options.selfLeaseCurrent()) return;
    const { monitor } = this.options;
    const latest = monitor.controllerWatch.latest;
    let claimable: boolean;
    if (latest === undefined || latest.record.kind === 'released') {
      claimable = true;
    } else if (this.clusterState().broker(latest.record.holder)?.status !== 'active') {
      // Its holder was fenced or left: its controller decisions are harmless whoever holds it.
      claimable = true;
    } else {
      claimable = monitor.controllerLapsed() && (await monitor.confirmControllerLapsed());
    }
    if (!claimable) return;
    const seq = (monitor.controllerWatch.latest?.seq ?? 0) + 1;
    const keeper = new LeaseKeeper(
      this.leaseLog,
      { holder: this.options.self.epoch, nodeId: this.options.self.nodeId },
      this.options.timing,
      this.options.clock,
      this.options.logger,
    );
    if (await keeper.acquire(seq)) {
      this.keeper = keeper;
      this.options.logger.info({ sequence: seq, previous: latest?.record ?? null }, 'became controller');
    }
  }

  private async fenceLapsedBrokers(): Promise<void> {
    const { monitor, logger } = this.options;
    for (const broker of this.clusterState().activeBrokers()) {
      if (broker.epoch === this.options.self.epoch) continue;
      const latest = monitor.latestOfBroker(broker.epoch);
      if (latest?.record.kind === 'fenced' || latest?.record.kind === 'released') {
        // Fenced by an earlier controller that died before writing the entry, or released by a
        // broker whose departure entry is not applied here yet: either way it acknowledges nothing.
        await this.appendFenced(broker, latest.record.kind);
        continue;
      }
      if (!monitor.brokerLapsed(broker.epoch) || !(await monitor.confirmBrokerLapsed(broker.epoch))) continue;
      const seq = (monitor.latestOfBroker(broker.epoch)?.seq ?? 0) + 1;
      const fenced = await monitor.brokerWatch(broker.epoch).log.create(seq, {
        kind: 'fenced',
        holder: broker.epoch,
        nodeId: broker.nodeId,
        by: this.options.self.epoch,
      });
      if (!fenced) {
        logger.info({ epoch: broker.epoch, sequence: seq }, 'broker renewed its lease just before the fence');
        continue;
      }
      logger.warn({ epoch: broker.epoch, nodeId: broker.nodeId, sequence: seq }, 'fenced a broker whose lease lapsed');
      await this.appendFenced(broker, 'fenced');
    }
  }

  private async appendFenced(broker: BrokerRecord, why: 'fenced' | 'released'): Promise<void> {
    await this.options.metadataLog.append((state) =>
      state.get(clusterSection).broker(broker.epoch)?.status === 'active'
        ? { kind: 'broker-fenced', epoch: broker.epoch, by: this.options.self.epoch, leaseRecord: why }
        : undefined,
    );
  }

  private async assign(): Promise<void> {
    const outcome = await this.options.metadataLog.append((state) => {
      const changes = this.changesFor(state);
      return changes.length === 0 ? undefined : { kind: 'partitions-assigned', by: this.options.self.epoch, changes };
    });
    if (outcome !== undefined) {
      this.options.logger.info(
        { sequence: outcome.sequence, changes: (outcome.entry.changes as unknown[]).length, ignored: outcome.ignored },
        'assigned partitions',
      );
    }
  }

  /** The assignment changes the state calls for (computed inside the append, against the latest state). */
  private changesFor(state: MetadataState): AssignmentChange[] {
    const cluster = state.get(clusterSection);
    const partitions = allPartitions(state);
    const brokers = this.assignableBrokers(cluster);
    const current = new Map<string, number>();
    for (const p of partitions) {
      const ownership = cluster.partition(p.topic, p.partition);
      const owner = ownership.moveTo ?? ownership.owner;
      if (owner !== undefined) current.set(partitionKey(p.topic, p.partition), owner);
    }
    const target = assignPartitions({ partitions, brokers, current });
    const changes: AssignmentChange[] = [];
    for (const p of partitions) {
      const owner = target.get(partitionKey(p.topic, p.partition));
      const ownership = cluster.partition(p.topic, p.partition);
      if (owner === undefined || owner === ownership.owner || owner === ownership.moveTo) continue;
      // A partition still being recovered stays where it is until it serves.
      if (ownership.owner !== undefined && ownership.replayFrom.length > 0) continue;
      changes.push({ topic: p.topic, partition: p.partition, owner, expectedVersion: ownership.version });
    }
    return changes;
  }

  /**
   * Active brokers whose lease has not lapsed. Brokers whose WAL directory still holds an older
   * incarnation's unreplayed records are left out while others can take the partitions: they could
   * not serve them yet.
   */
  private assignableBrokers(cluster: ClusterState): AssignableBroker[] {
    const alive = cluster
      .activeBrokers()
      .filter((b) => b.epoch === this.options.self.epoch || !this.options.monitor.brokerLapsed(b.epoch));
    const ready = alive.filter((b) => cluster.walReusable(b.epoch));
    return (ready.length > 0 ? ready : alive).map((b) => ({ epoch: b.epoch, zone: b.zone }));
  }
}

/** Every partition of every topic, __consumer_offsets included. */
export function allPartitions(state: MetadataState): PartitionRef[] {
  const partitions: PartitionRef[] = [];
  for (const topic of state.get(topicsSection).byName.values()) {
    for (let partition = 0; partition < topic.partitionCount; partition++) partitions.push({ topic: topic.name, partition });
  }
  return partitions;
}
