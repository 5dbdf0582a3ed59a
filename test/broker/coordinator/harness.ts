/** A coordinator on a manual clock and an in-memory log, and helpers that play group members. */
import { DEFAULT_COORDINATOR_CONFIG, type CoordinatorConfig } from '../../../broker/coordinator/config';
import { ConsumerProtocolSubscription } from '../../../broker/coordinator/consumer-protocol';
import { GroupCoordinator } from '../../../broker/coordinator/coordinator';
import type { JoinGroupInput, JoinGroupResult, OffsetCommitInput, SyncGroupResult } from '../../../broker/coordinator/operations';
import { ErrorCode } from '../../../broker/protocol/error-codes';
import { Writer } from '../../../broker/protocol/primitives';
import { encodeMessage } from '../../../broker/protocol/schema';
import { ManualScheduler, settle } from './manual-scheduler';
import { MemoryGroupLog } from './memory-group-log';

export const PARTITIONS = 4;

export const TEST_CONFIG: CoordinatorConfig = {
  ...DEFAULT_COORDINATOR_CONFIG,
  initialRebalanceDelayMs: 3_000,
  offsetsRetentionMs: 24 * 60 * 60_000,
  offsetsRetentionCheckIntervalMs: 60_000,
  // Rare, so that tests that let days pass do not fire it thousands of times.
  ownershipCheckIntervalMs: 60_000,
};

/** A consumer's subscription metadata (ConsumerProtocolSubscription v0). */
export function subscription(topics: string[]): Buffer {
  const writer = new Writer();
  writer.int16(0);
  encodeMessage(ConsumerProtocolSubscription, 0, { topics, userData: null, ownedPartitions: [], rackId: null }, writer);
  return writer.toBuffer();
}

export class Harness {
  readonly scheduler = new ManualScheduler();
  owned = new Set([...Array(PARTITIONS).keys()]);
  coordinator: GroupCoordinator;

  constructor(
    readonly log = new MemoryGroupLog(),
    readonly config: CoordinatorConfig = TEST_CONFIG,
  ) {
    this.coordinator = this.newCoordinator();
  }

  static async started(log?: MemoryGroupLog, config?: CoordinatorConfig): Promise<Harness> {
    const harness = new Harness(log, config);
    await harness.coordinator.start();
    return harness;
  }

  newCoordinator(): GroupCoordinator {
    return new GroupCoordinator({
      config: this.config,
      partitionCount: PARTITIONS,
      log: this.log,
      scheduler: this.scheduler,
      ownsPartition: (partition) => this.owned.has(partition),
    });
  }

  /** A second broker process over the same log: what a restart or a failover sees. */
  async restart(): Promise<void> {
    this.coordinator.close();
    this.coordinator = this.newCoordinator();
    await this.coordinator.start();
  }

  advance(ms: number): Promise<void> {
    return this.scheduler.advance(ms);
  }
}

export function joinInput(overrides: Partial<JoinGroupInput> = {}): JoinGroupInput {
  return {
    groupId: 'group',
    memberId: '',
    groupInstanceId: null,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['topic']) }],
    requireKnownMemberId: true,
    ...overrides,
  };
}

/** A promise whose outcome a test can inspect without awaiting it. */
export class Pending<T> {
  value: T | undefined;
  settled = false;

  constructor(readonly promise: Promise<T>) {
    void promise.then((value) => {
      this.value = value;
      this.settled = true;
    });
  }

  /** The value, which must already be there. */
  get result(): T {
    if (!this.settled) throw new Error('still pending');
    return this.value as T;
  }
}

/**
 * A new member's first JoinGroup (v4+: MEMBER_ID_REQUIRED) and its second one, which the
 * coordinator holds until the join phase ends.
 */
export async function joinNewMember(
  coordinator: GroupCoordinator,
  overrides: Partial<JoinGroupInput> = {},
): Promise<{ memberId: string; join: Pending<JoinGroupResult> }> {
  const first = await coordinator.joinGroup(joinInput(overrides));
  if (first.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) throw new Error(`expected MEMBER_ID_REQUIRED, got ${first.errorCode}`);
  const join = new Pending(coordinator.joinGroup(joinInput({ ...overrides, memberId: first.memberId })));
  await settle();
  return { memberId: first.memberId, join };
}

export function sync(
  coordinator: GroupCoordinator,
  memberId: string,
  generationId: number,
  assignments: Map<string, Buffer> = new Map(),
  groupId = 'group',
): Pending<SyncGroupResult> {
  return new Pending(
    coordinator.syncGroup({ groupId, generationId, memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments }),
  );
}

export function commitInput(overrides: Partial<OffsetCommitInput> & { offsets: OffsetCommitInput['offsets'] }): OffsetCommitInput {
  return { groupId: 'group', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, ...overrides };
}

export function offset(topic: string, partition: number, value: bigint, metadata: string | null = null) {
  return { topic, partition, offset: value, leaderEpoch: -1, metadata, commitTimestampMs: -1 };
}
