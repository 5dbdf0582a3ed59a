/**
 * Starting the group coordinator of a broker: __consumer_offsets is created if missing, the
 * coordinator's records go through the broker's Storage, and it coordinates the groups whose
 * partition the cluster view says this broker owns (all of them for a single broker).
 *
 * When the cluster moves __consumer_offsets partitions, the coordinator follows on its own: a
 * request for a group of a partition it no longer owns unloads that partition (NOT_COORDINATOR);
 * one for a partition it newly owns loads it (COORDINATOR_LOAD_IN_PROGRESS meanwhile). The
 * cluster may also call loadPartition / unloadPartition as soon as ownership changes.
 */
import type { Logger } from 'pino';
import type { ClusterView } from '../cluster/cluster-view';
import type { Storage } from '../storage/storage';
import type { BrokerConfig } from '../config';
import { DEFAULT_COORDINATOR_CONFIG, type CoordinatorConfig } from './config';
import { GroupCoordinator } from './coordinator';
import { ensureOffsetsTopic, OFFSETS_TOPIC } from './offsets-topic';
import { systemScheduler, type Scheduler } from './scheduler';
import { StorageGroupLog } from './storage-group-log';

export { DEFAULT_COORDINATOR_CONFIG, type CoordinatorConfig } from './config';
export { GroupCoordinator } from './coordinator';

export async function startGroupCoordinator(
  storage: Storage,
  cluster: ClusterView,
  config: CoordinatorConfig,
  log: Logger,
  scheduler: Scheduler = systemScheduler,
): Promise<GroupCoordinator> {
  const logger = log.child({ component: 'group-coordinator' });
  const topic = await ensureOffsetsTopic(storage, config.offsetsTopicPartitions, logger);
  const coordinator = new GroupCoordinator({
    config,
    partitionCount: topic.partitionCount,
    log: new StorageGroupLog(storage, { appendTimeoutMs: config.offsetsCommitTimeoutMs, nowMs: () => scheduler.nowMs(), logger }),
    scheduler,
    ownsPartition: (partition) => cluster.ownerOfPartition(OFFSETS_TOPIC, partition) === cluster.localNodeId,
    logger,
  });
  await coordinator.start();
  return coordinator;
}

/** The coordinator's settings from the broker's flags (the rest keep Kafka's defaults). */
export function coordinatorConfigOf(config: BrokerConfig): CoordinatorConfig {
  return {
    ...DEFAULT_COORDINATOR_CONFIG,
    offsetsTopicPartitions: config.offsetsTopicPartitions,
    initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
    minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
    maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
    offsetsRetentionMs: config.offsetsRetentionMinutes * 60_000,
    offsetsRetentionCheckIntervalMs: config.offsetsRetentionCheckIntervalMs,
    offsetsSnapshotMinRecords: config.offsetsSnapshotMinRecords,
  };
}
