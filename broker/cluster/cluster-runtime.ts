/**
 * Everything a broker started with --cluster-mode true adds to the single broker, in one place so
 * that the entry point (main.ts) only asks for it:
 * - storage options: the cluster's metadata section, the partition and acknowledgement gates, and
 *   the step between registration and opening the WAL (take the lease, start the timers, wait
 *   until the WAL directory may be written);
 * - the live ClusterView for the protocol layer;
 * - the drain (SIGTERM, Spot interruption notice, Auto Scaling termination), which ends by deleting
 *   the broker's WAL directory, and the exit of a fenced broker (without uploading: its WAL
 *   belongs to the replay now);
 * - while this broker is the controller, the deletion of finished incarnations' WAL directories.
 */
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config';
import { OFFSETS_TOPIC } from '../coordinator/offsets-topic';
import type { StorageEngine, StorageEngineOptions } from '../storage/engine/engine';
import type { ObjectStore } from '../storage/object-store';
import type { TopicPartition } from '../storage/storage';
import { ClusterNode } from './cluster-node';
import { clusterSection } from './cluster-section';
import type { ClusterView } from './cluster-view';
import { Drain, type DrainTrigger } from './drain';
import { EnginePartitionHost } from './engine-host';
import { DEFAULT_IMDS_ENDPOINT, InstanceMetadataClient } from './instance-metadata';
import { InterruptionWatch } from './interruption-watch';
import { completeLifecycleAction } from './lifecycle-action';
import { DEFAULT_LEASE_TIMING, type LeaseTiming, validateTiming } from './timing';
import { WalReclaimer } from './wal-reclaimer';

/** Exit code of a broker that learned it was fenced; its supervisor starts it again (new epoch). */
export const FENCED_EXIT_CODE = 75;

export type ClusterConfig = Pick<
  BrokerConfig,
  | 'nodeId'
  | 'advertisedHost'
  | 'zone'
  | 'clusterId'
  | 'walDir'
  | 'leaseMs'
  | 'leaseRenewMs'
  | 'clusterPollMs'
  | 'drainDeadlineMs'
  | 'walReclaimAfterMs'
  | 'instanceMetadata'
  | 'lifecycleHookName'
  | 'autoScalingGroupName'
>;

export interface ClusterRuntimeOptions {
  readonly config: ClusterConfig;
  /** The port actually bound (advertised in the registration). */
  readonly port: number;
  readonly store: ObjectStore;
  readonly logger: Logger;
  readonly exit: (code: number) => void;
}

/** What the entry point does to stop serving once the partitions are handed off. */
export type ShutDown = () => Promise<void>;

type ClusterStorageOptions = Pick<
  StorageEngineOptions,
  'metadataSections' | 'partitionGate' | 'acknowledgeGate' | 'afterRegistration' | 'adoptWalRecords' | 'metadataPollIntervalMs' | 'onMetadataFellBehind'
>;

export class ClusterRuntime {
  readonly timing: LeaseTiming;
  private readonly logger: Logger;
  private node: ClusterNode | undefined;
  private storage: StorageEngine | undefined;
  private host: EnginePartitionHost | undefined;
  private watch: InterruptionWatch | undefined;
  private drain: Drain | undefined;
  private reclaimTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ClusterRuntimeOptions) {
    this.logger = options.logger.child({ component: 'cluster' });
    this.timing = validateTiming({
      ...DEFAULT_LEASE_TIMING,
      leaseMs: options.config.leaseMs,
      renewIntervalMs: options.config.leaseRenewMs,
      pollIntervalMs: options.config.clusterPollMs,
    });
  }

  /** Merge into createStorage's options. */
  storageOptions(): ClusterStorageOptions {
    return {
      metadataSections: [clusterSection],
      partitionGate: (topic, partition) => this.requireNode().partitionGate(topic, partition),
      acknowledgeGate: () => this.requireNode().acknowledgeGate(),
      afterRegistration: (epoch) => this.join(epoch),
      // The WAL's records of earlier incarnations are replayed by the partitions' new owners.
      adoptWalRecords: false,
      // ClusterNode catches the log up every poll; the engine's own tailing is only a backstop.
      metadataPollIntervalMs: Math.max(5_000, this.options.config.clusterPollMs),
      // Its state cannot catch up across the trimmed entries; a new incarnation opens from a checkpoint.
      onMetadataFellBehind: () => this.options.exit(FENCED_EXIT_CODE),
    };
  }

  /** Call right after createStorage, before storage.start(). */
  attach(storage: StorageEngine): void {
    const { config, port, store } = this.options;
    this.storage = storage;
    this.node = new ClusterNode({
      clusterId: config.clusterId,
      metadataLog: storage.metadata,
      store,
      identity: { nodeId: config.nodeId, host: config.advertisedHost, port, zone: config.zone ?? null },
      timing: this.timing,
      logger: this.logger,
      onFenced: () => this.options.exit(FENCED_EXIT_CODE),
    });
    this.host = new EnginePartitionHost(storage, { walRoot: config.walDir, store, logger: this.logger });
    this.node.attachHost(this.host);
  }

  /** Call once storage.start() resolved: partitions may serve from now on. */
  storageStarted(): void {
    this.host?.engineStarted();
    this.startReclaimingWalDirectories();
  }

  /** While this broker is the controller, finished incarnations' WAL directories are deleted (wal-reclaimer.ts). */
  private startReclaimingWalDirectories(): void {
    const { walDir, walReclaimAfterMs } = this.options.config;
    const node = this.requireNode();
    const metadata = this.storage!.metadata;
    const reclaimer = new WalReclaimer({ walRoot: walDir, graceMs: walReclaimAfterMs, deleter: `epoch-${node.epoch}`, logger: this.logger });
    let passing = false;
    this.reclaimTimer = setInterval(
      () => {
        if (passing || !node.isController()) return;
        passing = true;
        reclaimer
          .pass(metadata.state.get(clusterSection))
          .catch((error: unknown) => this.logger.warn({ err: error, walRoot: walDir }, 'WAL directory reclaim pass failed; the next one tries again'))
          .finally(() => (passing = false));
      },
      Math.min(60_000, Math.max(1_000, walReclaimAfterMs / 4)),
    );
    this.reclaimTimer.unref();
  }

  get view(): ClusterView {
    return this.requireNode().view;
  }

  get clusterNode(): ClusterNode {
    return this.requireNode();
  }

  /** Listeners hear about partitions this broker stopped owning (the group coordinator unloads them). */
  onPartitionLeft(listener: (partition: TopicPartition) => void): void {
    this.requireNode().onPartitionLeft(listener);
  }

  /** The __consumer_offsets partitions this broker serves now (the group coordinator's ownsPartition). */
  ownsOffsetsPartition(partition: number): boolean {
    return this.requireNode().servesLocally(OFFSETS_TOPIC, partition);
  }

  /**
   * Arms the drain: `shutDown` closes the listener and the storage engine once the partitions are
   * handed off. Starts watching the instance metadata for Spot and lifecycle notices.
   */
  async armDrain(shutDown: ShutDown): Promise<void> {
    const { config } = this.options;
    const metadata =
      config.instanceMetadata === 'off'
        ? undefined
        : new InstanceMetadataClient({ endpoint: config.instanceMetadata === 'auto' ? DEFAULT_IMDS_ENDPOINT : config.instanceMetadata });
    this.drain = new Drain({
      logger: this.logger,
      deadlineMs: config.drainDeadlineMs,
      exit: this.options.exit,
      steps: {
        handOff: () => this.handOff(),
        shutDown,
        cleanUp: () => this.removeWal(),
        completeLifecycle: () => this.completeLifecycle(),
      },
    });
    if (metadata !== undefined) {
      this.watch = new InterruptionWatch({
        metadata,
        logger: this.logger,
        onNotice: (notice) => void this.drain?.start(notice.source),
      });
      await this.watch.start();
    }
  }

  /** Starts the drain (SIGTERM / SIGINT); a second call returns the drain under way. */
  startDrain(trigger: DrainTrigger): Promise<void> {
    if (this.drain === undefined) throw new Error('the drain is not armed');
    return this.drain.start(trigger);
  }

  private async join(epoch: number): Promise<void> {
    const node = this.requireNode();
    await node.join(epoch);
    node.startTimers();
    await node.waitUntilWalReusable();
  }

  private async handOff(): Promise<void> {
    this.watch?.stop();
    clearInterval(this.reclaimTimer);
    const node = this.requireNode();
    await node.drain(() => this.host!.uploadAll(node.ownedPartitions()));
  }

  /**
   * The drain's clean-up, run only after hand-off and shutdown completed in time: deletes this
   * node's WAL directory, which nobody needs once this epoch left (its records are committed, and
   * older epochs of the node id were replayed or had left before it opened the WAL) and the storage
   * engine closed the WAL empty. In any doubt the directory stays, and the log says why (and the
   * controller's reclaimer deletes it later, once the epoch is finished). The directory is this
   * epoch's own, so no later incarnation is writing into it meanwhile.
   */
  private async removeWal(): Promise<void> {
    const node = this.requireNode();
    const storage = this.storage!;
    const keep = (reason: string): void => this.logger.warn({ dir: storage.walDirectory, reason }, 'drain: keeping the WAL directory');
    if (node.fenced) return keep('this broker was fenced: its WAL belongs to the replay');
    if (!node.left) return keep('the metadata log does not say that this broker left');
    const removal = await storage.removeWalIfEmpty();
    if (!removal.removed) return keep(removal.reason);
    this.logger.info({ dir: storage.walDirectory, bytes: removal.bytes }, 'drain: deleted the WAL directory (everything in it was committed)');
  }

  private async completeLifecycle(): Promise<void> {
    const { lifecycleHookName, autoScalingGroupName } = this.options.config;
    const instanceId = this.watch?.instanceId;
    if (lifecycleHookName === undefined || autoScalingGroupName === undefined || instanceId === undefined) return;
    await completeLifecycleAction({ hookName: lifecycleHookName, groupName: autoScalingGroupName, instanceId }, this.logger);
  }

  private requireNode(): ClusterNode {
    if (this.node === undefined) throw new Error('ClusterRuntime.attach() was not called');
    return this.node;
  }
}
