/**
 * The classic group coordinator: membership, rebalances and committed offsets for the groups whose
 * __consumer_offsets partition this broker owns.
 *
 * It follows Kafka's GroupCoordinator (3.x) step by step, error codes included:
 *
 *   Empty --join--> PreparingRebalance --all joined / timeout--> CompletingRebalance
 *     --leader's SyncGroup stored--> Stable --join / leave / expiry--> PreparingRebalance ...
 *   any --delete / expiry of all offsets / partition moved away--> Dead
 *
 * Timers (all from the injected Scheduler): the initial rebalance delay of an Empty group, the
 * rebalance timeout of the join phase, each member's session timeout (reset by heartbeats), the
 * join timeout of new members, the forgetting of ids handed out with MEMBER_ID_REQUIRED, the
 * pending-sync timeout (members that never send SyncGroup), and the periodic offset expiry.
 *
 * Durability: a group generation (at SyncGroup, or when the group becomes Empty) and every
 * committed offset are records appended to the group's __consumer_offsets partition through the
 * GroupLog; commits are acknowledged only after the append is durable. When this broker becomes
 * the owner of a partition, its groups are rebuilt by replaying the partition; when it stops
 * being the owner, the groups are dropped and their clients told NOT_COORDINATOR.
 *
 * This file is the membership state machine and the facade the API handlers call; which groups
 * are served (ownership, loading) is group-partitions.ts, committed offsets offset-manager.ts.
 *
 * Static members (group.instance.id, KIP-345): a client that comes back with the instance id of a
 * member still in the group takes that member's place under a new member id, fencing the old one
 * (FENCED_INSTANCE_ID), and in a Stable group whose protocol it does not change it gets its old
 * assignment without a rebalance. Deliberate differences from Kafka: a static member that does
 * not rejoin during a rebalance is removed, as a dynamic one is; a held JoinGroup or SyncGroup
 * that would be left unanswered by Kafka (superseded by a newer one from the same member, or its
 * member removed) is answered with an error, so that a connection never waits for a response
 * that cannot come.
 */
import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { ErrorCode } from '../protocol/error-codes';
import type { TopicPartition } from '../storage/storage';
import type { CoordinatorConfig } from './config';
import { GroupState, type Group } from './group';
import { appendErrorCode, type GroupLog } from './group-log';
import { GroupPartitions } from './group-partitions';
import { Member } from './member';
import { OffsetManager } from './offset-manager';
import {
  UNKNOWN_MEMBER_ID,
  type DeletedGroup,
  type DescribedGroup,
  type HeartbeatInput,
  type JoinGroupInput,
  type JoinGroupResult,
  type LeaveGroupResult,
  type LeavingMember,
  type ListGroupsResult,
  type OffsetCommitInput,
  type OffsetFetchResult,
  type PartitionResult,
  type SyncGroupInput,
  type SyncGroupResult,
} from './operations';
import type { CancelTimer, Scheduler } from './scheduler';

export interface GroupCoordinatorOptions {
  readonly config: CoordinatorConfig;
  /** The partition count of __consumer_offsets as it exists (see ensureOffsetsTopic). */
  readonly partitionCount: number;
  readonly log: GroupLog;
  readonly scheduler: Scheduler;
  /** Is this broker the owner of that __consumer_offsets partition right now? */
  readonly ownsPartition: (partition: number) => boolean;
  readonly logger?: Logger;
}

function joinError(memberId: string, errorCode: ErrorCode): JoinGroupResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leaderId: '', memberId, members: [] };
}

function syncError(errorCode: ErrorCode): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
}

export class GroupCoordinator {
  private readonly config: CoordinatorConfig;
  private readonly scheduler: Scheduler;
  private readonly logger: Logger;
  private readonly groups: GroupPartitions;
  private readonly offsets: OffsetManager;
  private retentionTimer: CancelTimer | undefined;
  private ownershipTimer: CancelTimer | undefined;

  constructor(options: GroupCoordinatorOptions) {
    this.config = options.config;
    this.scheduler = options.scheduler;
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.groups = new GroupPartitions({
      partitionCount: options.partitionCount,
      log: options.log,
      scheduler: options.scheduler,
      ownsPartition: options.ownsPartition,
      logger: this.logger,
      snapshotMinRecords: options.config.offsetsSnapshotMinRecords,
      // A loaded group's members get a full session to find this coordinator.
      onLoaded: (group) => group.members.forEach((member) => this.scheduleSessionExpiry(group, member)),
      onUnloaded: (group) => this.dropGroup(group, ErrorCode.NOT_COORDINATOR),
    });
    this.offsets = new OffsetManager({
      config: options.config,
      writer: this.groups.writer,
      scheduler: options.scheduler,
      logger: this.logger,
      groups: this.groups,
      keepAlive: (group, member) => this.scheduleSessionExpiry(group, member),
      drop: (group) => this.dropGroup(group, ErrorCode.COORDINATOR_NOT_AVAILABLE),
    });
  }

  partitionFor(groupId: string): number {
    return this.groups.partitionFor(groupId);
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle and ownership

  /**
   * Loads every partition this broker owns, then serves; the expiry of old offsets and the
   * ownership check start.
   */
  async start(): Promise<void> {
    this.groups.active = true;
    await this.groups.loadOwned();
    this.scheduleRetentionCheck();
    this.scheduleOwnershipCheck();
  }

  /** Stops serving: held joins and syncs are answered NOT_COORDINATOR, timers are cancelled. */
  close(): void {
    this.groups.active = false;
    this.retentionTimer?.();
    this.retentionTimer = undefined;
    this.ownershipTimer?.();
    this.ownershipTimer = undefined;
    this.groups.unloadAll();
  }

  /**
   * Rebuilds the groups of a partition this broker now owns by replaying it (the cluster may call
   * this as soon as it hands the partition over; the ownership check does it otherwise).
   */
  loadPartition(partition: number): Promise<void> {
    return this.groups.load(partition);
  }

  /** Drops the groups of a partition this broker no longer owns; their clients get NOT_COORDINATOR. */
  unloadPartition(partition: number): void {
    this.groups.unload(partition);
  }

  /**
   * Follows the cluster: loads the partitions this broker has become the owner of (so that their
   * groups' members get their full session to find the new coordinator), drops those it lost (so
   * that no timer of a group it no longer coordinates writes to its partition).
   */
  checkOwnership(): void {
    this.groups.checkOwnership();
  }

  /**
   * Cuts each loaded partition's log before its last complete snapshot, where the storage has
   * uploaded the snapshot (GroupWriter.trim); the ownership check does it every time.
   */
  trimLogs(): Promise<void> {
    return this.groups.writer.trim();
  }

  private scheduleOwnershipCheck(): void {
    this.ownershipTimer = this.scheduler.schedule(this.config.ownershipCheckIntervalMs, () => {
      this.checkOwnership();
      void this.trimLogs();
      if (this.groups.active) this.scheduleOwnershipCheck();
    });
  }

  private scheduleRetentionCheck(): void {
    this.retentionTimer = this.scheduler.schedule(this.config.offsetsRetentionCheckIntervalMs, () => {
      this.expireOffsets()
        .catch((error: unknown) => this.logger.error({ err: error }, 'offset expiry failed'))
        .finally(() => {
          if (this.groups.active) this.scheduleRetentionCheck();
        });
    });
  }

  /** Marks a group Dead, answers what it holds with `errorCode`, and forgets it. */
  private dropGroup(group: Group, errorCode: ErrorCode): void {
    group.transitionTo(GroupState.Dead, this.scheduler.nowMs());
    group.joinTimer?.cancel();
    group.joinTimer = undefined;
    this.cancelSyncTimer(group);
    for (const memberId of [...group.pendingMembers.keys()]) group.forgetPendingMember(memberId);
    for (const member of group.members.values()) {
      member.cancelExpiry();
      member.answerJoin(joinError(member.memberId, errorCode));
      member.answerSync(syncError(errorCode));
    }
    this.groups.forget(group);
  }

  // -------------------------------------------------------------------------------------------
  // JoinGroup

  joinGroup(input: JoinGroupInput): Promise<JoinGroupResult> {
    const status = this.groups.status(input.groupId, 'non-empty');
    if (status !== ErrorCode.NONE) return Promise.resolve(joinError(input.memberId, status));
    if (input.sessionTimeoutMs < this.config.minSessionTimeoutMs || input.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      return Promise.resolve(joinError(input.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const isUnknownMember = input.memberId === UNKNOWN_MEMBER_ID;
    let group = this.groups.get(input.groupId);
    if (!group) {
      // Only a member without an id may create a group; a known id means the group was lost.
      if (!isUnknownMember) return Promise.resolve(joinError(input.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      group = this.groups.create(input.groupId);
    }
    const joined = group;
    return new Promise((answer) => {
      if (isUnknownMember) this.joinUnknownMember(joined, input, answer);
      else this.joinKnownMember(joined, input, answer);
      if (joined.is(GroupState.PreparingRebalance)) this.tryCompleteJoin(joined);
    });
  }

  private joinUnknownMember(group: Group, input: JoinGroupInput, answer: (result: JoinGroupResult) => void): void {
    if (group.is(GroupState.Dead)) return answer(joinError(UNKNOWN_MEMBER_ID, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(input.protocolType, input.protocols.map((protocol) => protocol.name))) {
      return answer(joinError(UNKNOWN_MEMBER_ID, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const memberId = `${input.groupInstanceId ?? input.clientId}-${randomUUID()}`;
    const staticMember = input.groupInstanceId === null ? undefined : group.memberByInstanceId(input.groupInstanceId);
    if (staticMember) return this.replaceStaticMember(group, staticMember, input, memberId, answer);
    // Static members need no second join: their instance id already tells their joins apart.
    if (input.requireKnownMemberId && input.groupInstanceId === null) {
      // The member must come back with this id; forget it if it does not within its session.
      group.pendingMembers.set(
        memberId,
        this.scheduler.schedule(input.sessionTimeoutMs, () => this.expirePendingMember(group, memberId)),
      );
      return answer(joinError(memberId, ErrorCode.MEMBER_ID_REQUIRED));
    }
    this.addMemberAndRebalance(group, input, memberId, answer);
  }

  private joinKnownMember(group: Group, input: JoinGroupInput, answer: (result: JoinGroupResult) => void): void {
    const { memberId } = input;
    if (group.is(GroupState.Dead)) return answer(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(input.protocolType, input.protocols.map((protocol) => protocol.name))) {
      return answer(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    if (group.pendingMembers.has(memberId)) return this.addMemberAndRebalance(group, input, memberId, answer);
    if (group.isFencedStaticMember(memberId, input.groupInstanceId)) return answer(joinError(memberId, ErrorCode.FENCED_INSTANCE_ID));
    if (!group.has(memberId)) return answer(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    const member = group.get(memberId);
    switch (group.state) {
      case GroupState.PreparingRebalance:
        return this.updateMemberAndRebalance(group, member, input, answer);
      case GroupState.CompletingRebalance:
        // Same metadata: the member probably missed the join response; give it again.
        if (member.matches(input.protocols)) return answer(this.joinResult(group, member));
        return this.updateMemberAndRebalance(group, member, input, answer);
      case GroupState.Stable:
        // The leader rejoins to trigger a rebalance (e.g. its topics' partitions changed).
        if (group.isLeader(memberId) || !member.matches(input.protocols)) {
          return this.updateMemberAndRebalance(group, member, input, answer);
        }
        return answer(this.joinResult(group, member));
      case GroupState.Empty:
      case GroupState.Dead:
        return answer(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  /**
   * A static member's new instance takes the old one's place (KIP-345). The old member id is
   * fenced: its held requests are answered FENCED_INSTANCE_ID, and so is anything it sends later.
   * In a Stable group whose protocol the new instance does not change, it gets the current
   * generation at once (its old assignment comes with SyncGroup), once the new member id is
   * durable; otherwise the group rebalances.
   */
  private replaceStaticMember(
    group: Group,
    replaced: Member,
    input: JoinGroupInput,
    memberId: string,
    answer: (result: JoinGroupResult) => void,
  ): void {
    const leaderBefore = group.leaderId;
    const replacement = new Member({ ...input, memberId });
    replacement.assignment = replaced.assignment;
    replaced.cancelExpiry();
    replaced.answerJoin(joinError(replaced.memberId, ErrorCode.FENCED_INSTANCE_ID));
    replaced.answerSync(syncError(ErrorCode.FENCED_INSTANCE_ID));
    group.replaceMember(replaced, replacement);
    this.logger.info({ groupId: group.groupId, groupInstanceId: input.groupInstanceId, memberId, replaced: replaced.memberId }, 'static member rejoined');
    if (group.is(GroupState.Stable) && group.selectProtocol() === group.protocolName) {
      this.scheduleSessionExpiry(group, replacement);
      const generationId = group.generationId;
      const assignments = new Map([...group.members.values()].map((member) => [member.memberId, member.assignment]));
      this.storeGeneration(group, assignments).then(
        // The old leader id, even if the leader was replaced: a client that sees itself named
        // leader would compute an assignment that a Stable group never hands out.
        () => answer({ ...this.joinResult(group, replacement), leaderId: leaderBefore ?? '', members: [] }),
        (error: unknown) => {
          this.logger.warn({ err: error, groupId: group.groupId, memberId }, 'could not store the static member\'s new id');
          if (group.members.get(memberId) === replacement && group.generationId === generationId) {
            replacement.cancelExpiry();
            group.replaceMember(replacement, replaced);
            this.scheduleSessionExpiry(group, replaced);
          }
          answer(joinError(UNKNOWN_MEMBER_ID, appendErrorCode(error)));
        },
      );
      return;
    }
    // A rebalance gives the new member id its assignment: in CompletingRebalance the leader may
    // be assigning to the old one right now.
    replacement.awaitingJoin = answer;
    if (group.is(GroupState.PreparingRebalance)) this.tryCompleteJoin(group);
    else this.maybePrepareRebalance(group, `static member ${input.groupInstanceId} rejoined as ${memberId}`);
  }

  /** The current generation as one member sees it: only the leader gets the member list. */
  private joinResult(group: Group, member: Member): JoinGroupResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType ?? null,
      protocolName: group.protocolName ?? null,
      leaderId: group.leaderId ?? '',
      memberId: member.memberId,
      members: group.isLeader(member.memberId) ? group.joinedMembers() : [],
    };
  }

  private addMemberAndRebalance(
    group: Group,
    input: JoinGroupInput,
    memberId: string,
    answer: (result: JoinGroupResult) => void,
  ): void {
    const member = new Member({ ...input, memberId });
    member.isNew = true;
    // A member joining during the first rebalance extends the initial delay.
    if (group.is(GroupState.PreparingRebalance) && group.generationId === 0) group.newMemberAdded = true;
    group.add(member);
    member.awaitingJoin = answer;
    // A new member cannot heartbeat; only this timeout removes it if it gave up on its join.
    this.scheduleExpiry(group, member, this.config.newMemberJoinTimeoutMs);
    this.maybePrepareRebalance(group, `member ${memberId} joined`);
  }

  private updateMemberAndRebalance(
    group: Group,
    member: Member,
    input: JoinGroupInput,
    answer: (result: JoinGroupResult) => void,
  ): void {
    member.protocols = input.protocols;
    member.rebalanceTimeoutMs = input.rebalanceTimeoutMs;
    member.sessionTimeoutMs = input.sessionTimeoutMs;
    member.answerJoin(joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS)); // superseded join
    member.awaitingJoin = answer;
    this.maybePrepareRebalance(group, `member ${member.memberId} rejoined`);
  }

  private maybePrepareRebalance(group: Group, reason: string): void {
    if (group.canRebalance()) this.prepareRebalance(group, reason);
  }

  private prepareRebalance(group: Group, reason: string): void {
    // Members waiting for an assignment must rejoin instead.
    if (group.is(GroupState.CompletingRebalance)) this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.cancelSyncTimer(group);
    const firstRebalance = group.is(GroupState.Empty);
    group.transitionTo(GroupState.PreparingRebalance, this.scheduler.nowMs());
    this.logger.info({ groupId: group.groupId, generation: group.generationId, reason }, 'preparing to rebalance');
    if (firstRebalance) {
      const delayMs = this.config.initialRebalanceDelayMs;
      this.scheduleInitialDelay(group, delayMs, Math.max(group.rebalanceTimeoutMs() - delayMs, 0));
    } else {
      this.setJoinTimer(group, 'rebalance', group.rebalanceTimeoutMs(), () => this.completeJoin(group));
      this.tryCompleteJoin(group);
    }
  }

  /**
   * An Empty group waits `delayMs` for more members before its first generation; every member
   * that arrives meanwhile extends the wait, within the rebalance timeout (Kafka's
   * InitialDelayedJoin). The wait never ends early, unlike a later rebalance.
   */
  private scheduleInitialDelay(group: Group, delayMs: number, remainingMs: number): void {
    this.setJoinTimer(group, 'initial-delay', delayMs, () => {
      if (group.newMemberAdded && remainingMs > 0) {
        group.newMemberAdded = false;
        const nextDelayMs = Math.min(this.config.initialRebalanceDelayMs, remainingMs);
        this.scheduleInitialDelay(group, nextDelayMs, Math.max(remainingMs - delayMs, 0));
      } else {
        this.completeJoin(group);
      }
    });
  }

  private setJoinTimer(group: Group, phase: 'initial-delay' | 'rebalance', delayMs: number, task: () => void): void {
    group.joinTimer?.cancel();
    const cancel = this.scheduler.schedule(delayMs, () => {
      group.joinTimer = undefined;
      task();
    });
    group.joinTimer = { phase, cancel };
  }

  /** Ends a rebalance's join phase as soon as every member has rejoined. */
  private tryCompleteJoin(group: Group): void {
    if (group.joinTimer?.phase === 'rebalance' && group.hasAllMembersJoined()) {
      group.joinTimer.cancel();
      group.joinTimer = undefined;
      this.completeJoin(group);
    }
  }

  /** The join phase is over: drop who did not rejoin, start the next generation, answer the joins. */
  private completeJoin(group: Group): void {
    if (group.is(GroupState.Dead)) return;
    for (const member of [...group.members.values()]) {
      if (member.isAwaitingJoin) continue;
      member.cancelExpiry();
      member.answerSync(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      group.remove(member.memberId);
    }
    if (!group.electJoinedLeader() && group.members.size > 0) {
      // Unreachable with dynamic members only (those who did not rejoin were just removed); kept
      // as in Kafka so that the join phase waits rather than starting a leaderless generation.
      this.setJoinTimer(group, 'rebalance', group.rebalanceTimeoutMs(), () => this.completeJoin(group));
      return;
    }
    group.initNextGeneration(this.scheduler.nowMs());
    if (group.is(GroupState.Empty)) {
      this.logger.info({ groupId: group.groupId, generation: group.generationId }, 'group is empty');
      // Kafka only warns when this fails: an empty generation has no member to mislead.
      this.storeGeneration(group, new Map()).catch((error: unknown) =>
        this.logger.warn({ err: error, groupId: group.groupId }, 'could not store the empty group'),
      );
      return;
    }
    this.logger.info(
      { groupId: group.groupId, generation: group.generationId, members: group.members.size, protocol: group.protocolName },
      'group joined; waiting for the leader to assign',
    );
    for (const member of group.members.values()) {
      member.answerJoin(this.joinResult(group, member));
      this.scheduleSessionExpiry(group, member);
      member.isNew = false;
    }
    const generationId = group.generationId;
    group.syncTimer = this.scheduler.schedule(group.rebalanceTimeoutMs(), () => this.expirePendingSync(group, generationId));
  }

  // -------------------------------------------------------------------------------------------
  // Expiry of members

  private scheduleSessionExpiry(group: Group, member: Member): void {
    this.scheduleExpiry(group, member, member.sessionTimeoutMs);
  }

  private scheduleExpiry(group: Group, member: Member, timeoutMs: number): void {
    member.cancelExpiry();
    member.expiry = this.scheduler.schedule(timeoutMs, () => {
      member.expiry = undefined;
      this.expireMember(group, member);
    });
  }

  private expireMember(group: Group, member: Member): void {
    if (group.members.get(member.memberId) !== member) return;
    // A member whose JoinGroup or SyncGroup is held cannot heartbeat: the rebalance timers bound
    // it instead, and its session restarts when the held request is answered.
    if (!member.isNew && (member.isAwaitingJoin || member.isAwaitingSync)) return;
    this.logger.info({ groupId: group.groupId, memberId: member.memberId }, 'member session expired');
    this.removeMemberAndUpdateGroup(group, member, `member ${member.memberId} expired`);
  }

  private removeMemberAndUpdateGroup(group: Group, member: Member, reason: string): void {
    member.cancelExpiry();
    // A new member may expire with its JoinGroup still held: it must rejoin from scratch.
    member.answerJoin(joinError(UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID));
    member.answerSync(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    switch (group.state) {
      case GroupState.Stable:
      case GroupState.CompletingRebalance:
        return this.maybePrepareRebalance(group, reason);
      case GroupState.PreparingRebalance:
        return this.tryCompleteJoin(group);
      case GroupState.Empty:
      case GroupState.Dead:
        return;
    }
  }

  private expirePendingMember(group: Group, memberId: string): void {
    group.pendingMembers.delete(memberId);
    if (group.is(GroupState.PreparingRebalance)) this.tryCompleteJoin(group);
  }

  /** Members of the generation that never sent SyncGroup are removed and the group rebalances. */
  private expirePendingSync(group: Group, generationId: number): void {
    group.syncTimer = undefined;
    if (generationId !== group.generationId) return;
    if (!group.is(GroupState.CompletingRebalance) && !group.is(GroupState.Stable)) return;
    if (group.pendingSyncMembers.size === 0) return;
    const missing = [...group.pendingSyncMembers];
    for (const memberId of missing) {
      group.members.get(memberId)?.cancelExpiry();
      group.remove(memberId);
    }
    this.prepareRebalance(group, `members ${missing.join(', ')} never sent SyncGroup`);
  }

  private cancelSyncTimer(group: Group): void {
    group.syncTimer?.();
    group.syncTimer = undefined;
  }

  // -------------------------------------------------------------------------------------------
  // SyncGroup

  syncGroup(input: SyncGroupInput): Promise<SyncGroupResult> {
    const status = this.groups.status(input.groupId, 'non-empty');
    // A loading coordinator lost the rebalance in progress: the member must rejoin (older
    // clients do not expect COORDINATOR_LOAD_IN_PROGRESS here).
    if (status === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    if (status !== ErrorCode.NONE) return Promise.resolve(syncError(status));
    const group = this.groups.get(input.groupId);
    if (!group) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    const invalid = this.validateSync(group, input);
    if (invalid !== ErrorCode.NONE) return Promise.resolve(syncError(invalid));
    const member = group.get(input.memberId);
    switch (group.state) {
      case GroupState.Empty:
        return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      case GroupState.PreparingRebalance:
        return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case GroupState.CompletingRebalance:
        return new Promise((answer) => {
          member.answerSync(syncError(ErrorCode.REBALANCE_IN_PROGRESS)); // superseded sync
          member.awaitingSync = answer;
          this.removePendingSyncMember(group, member.memberId);
          if (group.isLeader(member.memberId)) this.storeAssignment(group, input.assignments);
        });
      case GroupState.Stable:
        this.removePendingSyncMember(group, member.memberId);
        this.scheduleSessionExpiry(group, member);
        return Promise.resolve({
          errorCode: ErrorCode.NONE,
          protocolType: group.protocolType ?? null,
          protocolName: group.protocolName ?? null,
          assignment: member.assignment,
        });
      case GroupState.Dead:
        return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    }
  }

  private validateSync(group: Group, input: SyncGroupInput): ErrorCode {
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (group.isFencedStaticMember(input.memberId, input.groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (!group.has(input.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (input.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (input.protocolType !== null && input.protocolType !== group.protocolType) return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    if (input.protocolName !== null && input.protocolName !== group.protocolName) return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    return ErrorCode.NONE;
  }

  private removePendingSyncMember(group: Group, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0) this.cancelSyncTimer(group);
  }

  /** Stores the leader's assignment durably, then hands it out and makes the group Stable. */
  private storeAssignment(group: Group, leaderAssignments: ReadonlyMap<string, Buffer>): void {
    // Members the leader left out get an empty assignment.
    const assignments = new Map([...group.members.keys()].map((memberId) => [memberId, leaderAssignments.get(memberId) ?? Buffer.alloc(0)]));
    const generationId = group.generationId;
    const stillCurrent = (): boolean => group.is(GroupState.CompletingRebalance) && group.generationId === generationId;
    this.storeGeneration(group, assignments).then(
      () => {
        if (!stillCurrent()) return;
        for (const member of group.members.values()) member.assignment = assignments.get(member.memberId) ?? Buffer.alloc(0);
        this.propagateAssignment(group, ErrorCode.NONE);
        group.transitionTo(GroupState.Stable, this.scheduler.nowMs());
        this.logger.info({ groupId: group.groupId, generation: generationId }, 'group is stable');
      },
      (error: unknown) => {
        this.logger.warn({ err: error, groupId: group.groupId }, 'could not store the group assignment');
        if (!stillCurrent()) return;
        this.resetAndPropagateAssignmentError(group, appendErrorCode(error));
        this.maybePrepareRebalance(group, 'the assignment could not be stored');
      },
    );
  }

  /** Appends the group's current generation; once durable it is what snapshots repeat. */
  private storeGeneration(group: Group, assignments: ReadonlyMap<string, Buffer>): Promise<bigint> {
    const stored = group.toStored(assignments);
    return this.groups.writer.append(group.partition, [{ kind: 'group', groupId: group.groupId, value: stored }], (logOffset) =>
      group.recordStoredGeneration(stored, logOffset),
    );
  }

  private resetAndPropagateAssignmentError(group: Group, errorCode: ErrorCode): void {
    for (const member of group.members.values()) member.assignment = Buffer.alloc(0);
    this.propagateAssignment(group, errorCode);
  }

  /** Answers the held SyncGroups; their members' sessions start again from now. */
  private propagateAssignment(group: Group, errorCode: ErrorCode): void {
    for (const member of group.members.values()) {
      if (!member.isAwaitingSync) continue;
      member.answerSync(
        errorCode === ErrorCode.NONE
          ? {
              errorCode,
              protocolType: group.protocolType ?? null,
              protocolName: group.protocolName ?? null,
              assignment: member.assignment,
            }
          : syncError(errorCode),
      );
      this.scheduleSessionExpiry(group, member);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Heartbeat and LeaveGroup

  heartbeat(input: HeartbeatInput): ErrorCode {
    const status = this.groups.status(input.groupId, 'non-empty');
    // While loading, the group's state is unknown: answer blindly, as Kafka does.
    if (status === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return ErrorCode.NONE;
    if (status !== ErrorCode.NONE) return status;
    const group = this.groups.get(input.groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (group.isFencedStaticMember(input.memberId, input.groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (!group.has(input.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (input.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    const member = group.get(input.memberId);
    switch (group.state) {
      case GroupState.Empty:
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case GroupState.CompletingRebalance:
      case GroupState.Stable:
        this.scheduleSessionExpiry(group, member);
        return ErrorCode.NONE;
      case GroupState.PreparingRebalance:
        this.scheduleSessionExpiry(group, member);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      case GroupState.Dead:
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  leaveGroup(groupId: string, leaving: readonly LeavingMember[]): LeaveGroupResult {
    const status = this.groups.status(groupId, 'non-empty');
    if (status !== ErrorCode.NONE) return { errorCode: status, members: [] };
    const group = this.groups.get(groupId);
    if (!group) {
      return { errorCode: ErrorCode.NONE, members: leaving.map((member) => ({ ...member, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })) };
    }
    if (group.is(GroupState.Dead)) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    return {
      errorCode: ErrorCode.NONE,
      members: leaving.map((identity) => ({ ...identity, errorCode: this.leave(group, identity) })),
    };
  }

  private leave(group: Group, identity: LeavingMember): ErrorCode {
    if (group.pendingMembers.has(identity.memberId)) {
      group.forgetPendingMember(identity.memberId);
      if (group.is(GroupState.PreparingRebalance)) this.tryCompleteJoin(group);
      return ErrorCode.NONE;
    }
    if (group.isFencedStaticMember(identity.memberId, identity.groupInstanceId) && identity.memberId !== UNKNOWN_MEMBER_ID) {
      return ErrorCode.FENCED_INSTANCE_ID;
    }
    // LeaveGroup v3+ lets an administrator remove a member by its group.instance.id alone.
    const member =
      identity.memberId === UNKNOWN_MEMBER_ID && identity.groupInstanceId !== null
        ? group.memberByInstanceId(identity.groupInstanceId)
        : group.members.get(identity.memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.logger.info({ groupId: group.groupId, memberId: member.memberId }, 'member left');
    this.removeMemberAndUpdateGroup(group, member, `member ${member.memberId} left`);
    return ErrorCode.NONE;
  }

  // -------------------------------------------------------------------------------------------
  // Offsets (offset-manager.ts)

  commitOffsets(input: OffsetCommitInput): Promise<PartitionResult[]> {
    return this.offsets.commit(input);
  }

  /** The committed offsets of the partitions asked for, or all of them when `partitions` is null. */
  fetchOffsets(groupId: string, partitions: readonly TopicPartition[] | null): OffsetFetchResult {
    return this.offsets.fetch(groupId, partitions);
  }

  /** Deletes Empty groups with their offsets, once the tombstones are durable. */
  deleteGroups(groupIds: readonly string[]): Promise<DeletedGroup[]> {
    return this.offsets.deleteGroups(groupIds);
  }

  /** Removes expired offsets and the groups left without any; runs every retention check interval. */
  expireOffsets(): Promise<void> {
    return this.offsets.expire();
  }

  // -------------------------------------------------------------------------------------------
  // ListGroups, DescribeGroups

  listGroups(): ListGroupsResult {
    if (!this.groups.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    this.groups.checkOwnership();
    return {
      errorCode: this.groups.isLoading() ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE,
      groups: this.groups.all().map((group) => ({ groupId: group.groupId, protocolType: group.protocolType ?? '' })),
    };
  }

  describeGroup(groupId: string): DescribedGroup {
    const status = this.groups.status(groupId, 'any');
    if (status !== ErrorCode.NONE) {
      return { errorCode: status, groupId, state: '', protocolType: '', protocolName: '', members: [] };
    }
    const group = this.groups.get(groupId);
    if (!group) {
      return { errorCode: ErrorCode.NONE, groupId, state: GroupState.Dead, protocolType: '', protocolName: '', members: [] };
    }
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocolName: group.is(GroupState.Stable) ? (group.protocolName ?? '') : '',
      members: group.describedMembers(),
    };
  }
}
