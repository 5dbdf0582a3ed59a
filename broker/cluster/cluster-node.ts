/**
 * One broker's membership in the cluster: it registers (a new epoch), keeps its lease, watches the
 * others' leases, takes its turn as controller, and moves partitions in and out of its storage
 * engine as the metadata log says. It is also the storage engine's WriteGate.
 *
 * Partition lifecycle on this broker, driven by `reconcile` after every poll of the log:
 *   owner with WALs to replay  -> recoverPartition, then append `partition-recovered`
 *   owner, nothing to replay   -> servePartition (load from committed metadata), then take writes
 *   owner asked to move it     -> quiescePartition (stop, upload), then append `partition-released`
 *   no longer owner            -> dropPartition, and tell listeners (the group coordinator)
 * A restarted node serves nothing until its previous incarnation's WAL records have been replayed
 * (ClusterState.walReusable): the new incarnation takes that WAL directory over.
 *
 * Fenced: when a renewal finds its number taken by a fence, or the log says this epoch was fenced,
 * the broker stops acknowledging at once and calls `onFenced` (the process exits without uploading:
 * its WAL now belongs to the replay).
 */
import type { Logger } from 'pino';
import type { MetadataLog } from '../metadata/log';
import { ErrorCode, KafkaError } from '../protocol/error-codes';
import type { ObjectStore } from '../storage/object-store';
import type { TopicPartition } from '../storage/storage';
import { partitionKey } from './assignment';
import { type Clock, systemClock } from './clock';
import { clusterSection } from './cluster-section';
import type { ClusterState } from './cluster-state';
import { Controller } from './controller';
import { LeaseKeeper } from './lease-keeper';
import { LeaseLog } from './lease-store';
import { LeaseMonitor, brokerLeasePrefix } from './lease-monitor';
import { LiveClusterView } from './live-cluster-view';
import type { PartitionHost, WalSource, WriteGate } from './partition-host';
import type { LeaseTiming } from './timing';

export interface BrokerIdentity {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly zone: string | null;
}

export interface ClusterNodeOptions {
  readonly clusterId: string;
  /** Opened, with clusterSection among its sections. */
  readonly metadataLog: MetadataLog;
  readonly store: ObjectStore;
  readonly identity: BrokerIdentity;
  readonly timing: LeaseTiming;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Called once when this broker learns it was fenced. */
  readonly onFenced?: (reason: string) => void;
}

type LocalPhase = 'recovering' | 'loading' | 'serving' | 'releasing';

interface LocalPartition {
  phase: LocalPhase;
  busy: boolean;
}

export class ClusterNode implements WriteGate {
  readonly view: LiveClusterView;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly monitor: LeaseMonitor;
  private myEpoch: number | undefined;
  private keeper: LeaseKeeper | undefined;
  private controller: Controller | undefined;
  private host: PartitionHost | undefined;
  private readonly local = new Map<string, LocalPartition & TopicPartition>();
  private readonly leftListeners = new Set<(partition: TopicPartition) => void>();
  private timers: NodeJS.Timeout[] = [];
  private draining = false;
  private fencedReason: string | undefined;
  private polling = false;
  private renewing = false;

  constructor(private readonly options: ClusterNodeOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
    this.monitor = new LeaseMonitor(options.store, options.timing, this.clock);
    this.view = new LiveClusterView({
      clusterId: options.clusterId,
      localNodeId: options.identity.nodeId,
      metadataLog: options.metadataLog,
      localEpoch: () => this.myEpoch,
      servesLocally: (topic, partition) => this.servesLocally(topic, partition),
      controllerNodeId: () => this.controller?.controllerNodeId(),
    });
  }

  get epoch(): number | undefined {
    return this.myEpoch;
  }

  get fenced(): boolean {
    return this.fencedReason !== undefined;
  }

  /** Whether this epoch left gracefully: the metadata log applied its `broker-left`. */
  get left(): boolean {
    return this.myEpoch !== undefined && this.state.broker(this.myEpoch)?.status === 'left';
  }

  isController(): boolean {
    return this.controller?.isController() ?? false;
  }

  private get state(): ClusterState {
    return this.options.metadataLog.state.get(clusterSection);
  }

  /** Appends this incarnation's registration (a new epoch) and joins with it. */
  async register(): Promise<number> {
    const { identity, metadataLog } = this.options;
    const outcome = await metadataLog.append(() => ({
      kind: 'broker-registered',
      nodeId: identity.nodeId,
      host: identity.host,
      port: identity.port,
      zone: identity.zone,
    }));
    const epoch = outcome!.sequence;
    metadataLog.setWriterEpoch(epoch);
    await this.join(epoch);
    return epoch;
  }

  /**
   * Joins the cluster as `epoch` (the sequence of this incarnation's `broker-registered` entry,
   * appended by the storage engine or by `register`): takes the broker lease and sets up the
   * controller role. Timers are started separately (startTimers).
   */
  async join(epoch: number): Promise<void> {
    const { identity, metadataLog } = this.options;
    this.myEpoch = epoch;
    this.keeper = new LeaseKeeper(
      new LeaseLog(this.options.store, brokerLeasePrefix(epoch)),
      { holder: epoch, nodeId: identity.nodeId },
      this.options.timing,
      this.clock,
      this.logger,
    );
    if (!(await this.keeper.acquire(1))) throw new Error(`the lease of epoch ${epoch} was taken before it was created`);
    this.controller = new Controller({
      metadataLog,
      store: this.options.store,
      monitor: this.monitor,
      self: { epoch, nodeId: identity.nodeId },
      timing: this.options.timing,
      clock: this.clock,
      logger: this.logger.child({ component: 'controller' }),
      selfLeaseCurrent: () => this.leaseCurrent(),
    });
    this.logger.info({ epoch, ...identity }, 'joined the cluster');
  }

  /**
   * Resolves once this node's WAL directory may be written: every older incarnation of the node is
   * fenced or gone and its records replayed (polls the log; timers must be running). Rejects if
   * this broker is fenced meanwhile.
   */
  async waitUntilWalReusable(): Promise<void> {
    for (;;) {
      if (this.fenced) throw new Error(`epoch ${this.myEpoch} was fenced before its WAL could be used`);
      if (this.myEpoch !== undefined && this.state.walReusable(this.myEpoch)) return;
      await new Promise((resolve) => setTimeout(resolve, this.options.timing.pollIntervalMs));
    }
  }

  /** The storage engine that takes and gives up partitions (set once it exists). */
  attachHost(host: PartitionHost): void {
    this.host = host;
  }

  /** Starts the renewal and poll timers (tests call renewOnce / pollOnce instead). */
  startTimers(): void {
    const every = (ms: number, step: () => Promise<void>): void => {
      const timer = setInterval(() => void step(), ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.options.timing.renewIntervalMs, () => this.renewOnce());
    every(this.options.timing.pollIntervalMs, () => this.pollOnce());
  }

  stopTimers(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  /** Renews this broker's lease and, if held, the controller lease. */
  async renewOnce(): Promise<void> {
    if (this.renewing || this.keeper === undefined || this.fenced) return;
    this.renewing = true;
    try {
      if ((await this.keeper.renew()) === 'lost') {
        this.becomeFenced(`lease record taken: ${JSON.stringify(this.keeper.lostTo)}`);
        return;
      }
      await this.controller?.renew();
    } catch (error) {
      this.logger.warn({ err: error, leaseMsLeft: this.keeper.holder.remainingMs() }, 'lease renewal failed; retrying');
    } finally {
      this.renewing = false;
    }
  }

  /** Reads the log, watches the leases, acts as controller if it is one, and reconciles partitions. */
  async pollOnce(): Promise<void> {
    if (this.polling || this.myEpoch === undefined || this.fenced) return;
    this.polling = true;
    try {
      await this.options.metadataLog.catchUp();
      if (this.state.broker(this.myEpoch)?.status === 'fenced') {
        this.becomeFenced('the metadata log says this epoch was fenced');
        return;
      }
      await this.monitor.poll(this.state.activeBrokers().map((b) => b.epoch));
      if (!this.draining) await this.controller?.tick();
      this.reconcile();
    } catch (error) {
      this.logger.warn({ err: error }, 'cluster poll failed; retrying');
    } finally {
      this.polling = false;
    }
  }

  /** The partitions the log says this epoch owns (serving, recovering or moving). */
  ownedPartitions(): TopicPartition[] {
    return this.myEpoch === undefined ? [] : this.state.ownedBy(this.myEpoch);
  }

  /** Listeners hear about partitions this broker stopped owning (e.g. to unload groups). */
  onPartitionLeft(listener: (partition: TopicPartition) => void): () => void {
    this.leftListeners.add(listener);
    return () => this.leftListeners.delete(listener);
  }

  // ---------------------------------------------------------------------------------------------
  // WriteGate

  checkWritable(partition: TopicPartition): void {
    if (!this.servesLocally(partition.topic, partition.partition)) {
      throw new KafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `broker ${this.options.identity.nodeId} (epoch ${this.myEpoch}) does not take writes for ${partition.topic}-${partition.partition} now`,
      );
    }
  }

  mayAcknowledge(partition: TopicPartition): boolean {
    return (
      this.myEpoch !== undefined &&
      !this.fenced &&
      this.leaseCurrent() &&
      this.state.partition(partition.topic, partition.partition).owner === this.myEpoch
    );
  }

  /** The storage engine's partition gate: NOT_LEADER_OR_FOLLOWER unless this broker serves the partition. */
  partitionGate(topic: string, partition: number): ErrorCode | undefined {
    return this.servesLocally(topic, partition) ? undefined : ErrorCode.NOT_LEADER_OR_FOLLOWER;
  }

  /**
   * The storage engine's acknowledgement gate, run after a batch is durable: refuses unless this
   * broker's lease is current. (Ownership needs no check here: it only leaves a live broker by its
   * own release, after the appends in flight were uploaded.)
   */
  acknowledgeGate(): void {
    if (this.myEpoch === undefined || this.fenced || !this.leaseCurrent()) {
      throw new KafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `broker ${this.options.identity.nodeId} (epoch ${this.myEpoch}) cannot prove its lease is current: not acknowledging`,
      );
    }
  }

  /** Loaded here, owned, recovered, not moving, WAL reusable, lease current, not draining. */
  servesLocally(topic: string, partition: number): boolean {
    const epoch = this.myEpoch;
    if (epoch === undefined || this.draining || this.fenced || !this.leaseCurrent()) return false;
    if (this.local.get(partitionKey(topic, partition))?.phase !== 'serving') return false;
    return this.state.canServe(epoch, topic, partition) && this.state.walReusable(epoch);
  }

  private leaseCurrent(): boolean {
    return this.keeper?.holder.isCurrent() ?? false;
  }

  // ---------------------------------------------------------------------------------------------
  // Partition handoff

  /** Starts whatever each partition's ownership calls for; at most one task per partition at a time. */
  reconcile(): void {
    const epoch = this.myEpoch;
    if (epoch === undefined || this.host === undefined || this.fenced || this.draining) return;
    const state = this.state;
    const known = new Set<string>();
    for (const ref of state.knownPartitions()) {
      const key = partitionKey(ref.topic, ref.partition);
      known.add(key);
      const ownership = state.partition(ref.topic, ref.partition);
      const entry = this.local.get(key);
      if (ownership.owner !== epoch) {
        if (entry !== undefined && !entry.busy) this.drop(key, entry);
        continue;
      }
      if (entry?.busy) continue;
      if (ownership.replayFrom.length > 0) {
        this.runTask(key, ref, 'recovering', () => this.recover(ref, ownership.replayFrom));
      } else if (ownership.moveTo !== undefined) {
        this.runTask(key, ref, 'releasing', () => this.release(ref));
      } else if (entry?.phase !== 'serving' && state.walReusable(epoch)) {
        this.runTask(key, ref, 'loading', async () => {
          await this.host!.servePartition(ref);
          return 'serving';
        });
      }
    }
    for (const [key, entry] of this.local) {
      if (!known.has(key) && !entry.busy) this.drop(key, entry);
    }
  }

  private runTask(key: string, ref: TopicPartition, phase: LocalPhase, task: () => Promise<LocalPhase | undefined>): void {
    const entry = { topic: ref.topic, partition: ref.partition, phase, busy: true };
    this.local.set(key, entry);
    task()
      .then((next) => {
        if (next !== undefined) entry.phase = next;
        if (phase !== 'loading') this.logger.info({ topic: ref.topic, partition: ref.partition, phase }, 'partition handoff step done');
      })
      .catch((error: unknown) => {
        this.logger.error({ err: error, topic: ref.topic, partition: ref.partition, phase }, 'partition handoff step failed; will retry');
        if (this.local.get(key) === entry) this.local.delete(key);
      })
      .finally(() => {
        entry.busy = false;
        if (!this.fenced) this.reconcile();
      });
  }

  private async recover(ref: TopicPartition, replayFrom: readonly number[]): Promise<LocalPhase | undefined> {
    const sources: WalSource[] = replayFrom.map((epoch) => ({ epoch, nodeId: this.state.broker(epoch)!.nodeId }));
    const started = this.clock.monotonicMs();
    await this.host!.recoverPartition(ref, sources);
    const outcome = await this.options.metadataLog.append((state) => {
      const ownership = state.get(clusterSection).partition(ref.topic, ref.partition);
      return ownership.owner === this.myEpoch && ownership.replayFrom.length > 0
        ? { kind: 'partition-recovered', epoch: this.myEpoch, topic: ref.topic, partition: ref.partition }
        : undefined;
    });
    this.logger.info(
      { topic: ref.topic, partition: ref.partition, from: sources, ms: Math.round(this.clock.monotonicMs() - started), applied: outcome !== undefined && outcome.rejected === undefined },
      'recovered partition from WAL',
    );
    return undefined; // the next reconcile loads it for serving
  }

  private async release(ref: TopicPartition): Promise<LocalPhase | undefined> {
    await this.host!.quiescePartition(ref);
    await this.options.metadataLog.append((state) => {
      const ownership = state.get(clusterSection).partition(ref.topic, ref.partition);
      return ownership.owner === this.myEpoch && ownership.moveTo !== undefined
        ? { kind: 'partition-released', epoch: this.myEpoch, topic: ref.topic, partition: ref.partition }
        : undefined;
    });
    return 'releasing';
  }

  private drop(key: string, entry: LocalPartition & TopicPartition): void {
    this.local.delete(key);
    const ref = { topic: entry.topic, partition: entry.partition };
    this.host?.dropPartition(ref);
    for (const listener of this.leftListeners) listener(ref);
  }

  // ---------------------------------------------------------------------------------------------
  // Leaving

  /**
   * Graceful departure: stop taking writes, let `uploadAll` wait for appends in flight and upload
   * and commit the WAL, then append `broker-left` (partitions go back to the controller with
   * nothing to replay), give up the controller lease and this broker's lease. The lease keeps being
   * renewed until the end, so nothing is fenced meanwhile.
   */
  async drain(uploadAll: () => Promise<void>): Promise<void> {
    if (this.myEpoch === undefined || this.fenced) return;
    this.draining = true;
    const epoch = this.myEpoch;
    this.logger.info({ epoch, partitions: this.local.size }, 'draining: writes stopped, uploading the WAL');
    await uploadAll();
    const outcome = await this.options.metadataLog.append((state) =>
      state.get(clusterSection).broker(epoch)?.status === 'active' ? { kind: 'broker-left', epoch } : undefined,
    );
    this.stopTimers();
    await this.controller?.resign();
    await this.keeper?.release();
    for (const [key, entry] of this.local) this.drop(key, entry);
    this.logger.info({ epoch, left: outcome !== undefined && outcome.rejected === undefined }, 'left the cluster');
  }

  /** Stops timers without leaving (a crash-like stop, for tests and for fenced brokers). */
  stop(): void {
    this.stopTimers();
  }

  private becomeFenced(reason: string): void {
    if (this.fencedReason !== undefined) return;
    this.fencedReason = reason;
    this.keeper?.holder.revoke();
    this.stopTimers();
    this.logger.error({ epoch: this.myEpoch, reason }, 'this broker was fenced: it acknowledges nothing from now on');
    this.options.onFenced?.(reason);
  }
}
