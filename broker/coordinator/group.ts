/**
 * One classic group: its state, generation, chosen protocol, leader, members and committed offsets.
 *
 * This class keeps the group's invariants (legal state transitions, the leader is a member,
 * protocol support counts); the coordinator decides when to call what and owns the timers. All of
 * a group's changes happen synchronously on the event loop, so one operation never observes
 * another half done; code that resumes after an await (a durable append) re-checks the generation
 * and state first, as Kafka's coordinator does.
 */
import { CommittedOffsets, type CommittedPartition } from './committed-offsets';
import { subscribedTopics } from './consumer-protocol';
import type { StoredGroup } from './group-log';
import type { Member } from './member';
import type { DescribedMember, JoinedMember } from './operations';
import type { CancelTimer } from './scheduler';

export enum GroupState {
  /** No members; may still hold committed offsets. */
  Empty = 'Empty',
  /** Waiting for the members to (re)join. */
  PreparingRebalance = 'PreparingRebalance',
  /** Joined; waiting for the leader's assignment in SyncGroup. */
  CompletingRebalance = 'CompletingRebalance',
  Stable = 'Stable',
  /** Deleted, expired, or moved to another coordinator: no longer served here. */
  Dead = 'Dead',
}

/** The states a group may enter each state from (Kafka's GroupMetadata.validPreviousStates). */
const VALID_PREVIOUS_STATES: Readonly<Record<GroupState, readonly GroupState[]>> = {
  [GroupState.Empty]: [GroupState.PreparingRebalance],
  [GroupState.PreparingRebalance]: [GroupState.Stable, GroupState.CompletingRebalance, GroupState.Empty],
  [GroupState.CompletingRebalance]: [GroupState.PreparingRebalance],
  [GroupState.Stable]: [GroupState.CompletingRebalance],
  [GroupState.Dead]: [
    GroupState.Stable,
    GroupState.PreparingRebalance,
    GroupState.CompletingRebalance,
    GroupState.Empty,
    GroupState.Dead,
  ],
};

/** The protocol type of Kafka consumers, whose subscriptions the broker can read. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** Which timer drives the end of the join phase. */
export type JoinPhase = 'initial-delay' | 'rebalance';

export class Group {
  private currentState: GroupState;
  private stateTimestamp: number;
  generationId = 0;
  /** Set by the first member; undefined for groups that only commit offsets ("simple" groups). */
  protocolType: string | undefined;
  protocolName: string | undefined;
  leaderId: string | undefined;
  readonly members = new Map<string, Member>();
  /** Ids handed out with MEMBER_ID_REQUIRED, with the timer that forgets them. */
  readonly pendingMembers = new Map<string, CancelTimer>();
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  /** Set when a member joins during the initial delay, which then extends the delay. */
  newMemberAdded = false;
  /** Topics the members subscribe to (consumer groups only), whose offsets never expire. */
  subscribedTopics: ReadonlySet<string> | undefined;
  readonly offsets = new CommittedOffsets();
  /** The group's generation as last stored in __consumer_offsets (what a snapshot repeats). */
  storedGeneration: StoredGroup | undefined;
  private storedGenerationOffset = -1n;
  joinTimer: { phase: JoinPhase; cancel: CancelTimer } | undefined;
  syncTimer: CancelTimer | undefined;

  constructor(
    readonly groupId: string,
    /** The __consumer_offsets partition that holds this group's records. */
    readonly partition: number,
    nowMs: number,
    initialState: GroupState.Empty | GroupState.Stable = GroupState.Empty,
  ) {
    this.currentState = initialState;
    this.stateTimestamp = nowMs;
  }

  get state(): GroupState {
    return this.currentState;
  }

  /** When the group entered its current state (retention counts from when it became Empty). */
  get stateTimestampMs(): number {
    return this.stateTimestamp;
  }

  /** Restores the timestamp stored in the group's metadata record when it is loaded. */
  restoreStateTimestamp(timestampMs: number): void {
    this.stateTimestamp = timestampMs;
  }

  is(state: GroupState): boolean {
    return this.currentState === state;
  }

  transitionTo(state: GroupState, nowMs: number): void {
    if (!VALID_PREVIOUS_STATES[state].includes(this.currentState)) {
      throw new Error(`group ${this.groupId} cannot go from ${this.currentState} to ${state}`);
    }
    this.currentState = state;
    this.stateTimestamp = nowMs;
  }

  /** Rebalances are started from these states; during PreparingRebalance one is already running. */
  canRebalance(): boolean {
    return this.is(GroupState.Stable) || this.is(GroupState.CompletingRebalance) || this.is(GroupState.Empty);
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): Member {
    const member = this.members.get(memberId);
    if (!member) throw new Error(`member ${memberId} is not in group ${this.groupId}`);
    return member;
  }

  memberByInstanceId(groupInstanceId: string): Member | undefined {
    return [...this.members.values()].find((member) => member.groupInstanceId === groupInstanceId);
  }

  /**
   * True when `memberId` claims a static member's instance id that now belongs to another member
   * id: a newer instance of the same client replaced it (KIP-345), so it is fenced.
   */
  isFencedStaticMember(memberId: string, groupInstanceId: string | null): boolean {
    if (groupInstanceId === null) return false;
    const current = this.memberByInstanceId(groupInstanceId);
    return current !== undefined && current.memberId !== memberId;
  }

  /**
   * Puts `replacement` (a static member's new instance) where `replaced` was: the same place in
   * the generation, the leadership if it had it, and the sync the generation waits for.
   */
  replaceMember(replaced: Member, replacement: Member): void {
    this.members.delete(replaced.memberId);
    this.members.set(replacement.memberId, replacement);
    if (this.isLeader(replaced.memberId)) this.leaderId = replacement.memberId;
    if (this.pendingSyncMembers.delete(replaced.memberId)) this.pendingSyncMembers.add(replacement.memberId);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  add(member: Member): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    this.leaderId ??= member.memberId;
    this.forgetPendingMember(member.memberId);
  }

  /** Removes a member; the leadership passes to the oldest remaining member. */
  remove(memberId: string): Member | undefined {
    const member = this.members.get(memberId);
    this.members.delete(memberId);
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value;
    this.forgetPendingMember(memberId);
    this.pendingSyncMembers.delete(memberId);
    return member;
  }

  forgetPendingMember(memberId: string): void {
    this.pendingMembers.get(memberId)?.();
    this.pendingMembers.delete(memberId);
  }

  /**
   * Can a member of `protocolType` supporting `protocolNames` join? An empty group takes any
   * non-empty type and list; otherwise the type must match and at least one of the names must be
   * supported by every current member.
   */
  supportsProtocols(protocolType: string, protocolNames: readonly string[]): boolean {
    if (this.is(GroupState.Empty)) return protocolType !== '' && protocolNames.length > 0;
    return (
      this.protocolType === protocolType &&
      protocolNames.some((name) => [...this.members.values()].every((member) => member.protocolNames().includes(name)))
    );
  }

  /** The join phase may end early once every member has rejoined and no new member is pending. */
  hasAllMembersJoined(): boolean {
    return this.pendingMembers.size === 0 && [...this.members.values()].every((member) => member.isAwaitingJoin);
  }

  /** The rebalance waits as long as the most patient member allows. */
  rebalanceTimeoutMs(): number {
    return Math.max(0, ...[...this.members.values()].map((member) => member.rebalanceTimeoutMs));
  }

  /**
   * If the leader did not rejoin, hands the leadership to a member that did. False when no member
   * rejoined at all.
   */
  electJoinedLeader(): boolean {
    if (this.leaderId === undefined) return false;
    if (this.get(this.leaderId).isAwaitingJoin) return true;
    const joined = [...this.members.values()].find((member) => member.isAwaitingJoin);
    if (!joined) return false;
    this.leaderId = joined.memberId;
    return true;
  }

  /**
   * The protocol every member supports that most members prefer (each votes for its first choice
   * among the candidates; a tie goes to the candidate the leader lists first).
   */
  selectProtocol(): string {
    const members = [...this.members.values()];
    if (members.length === 0) throw new Error(`group ${this.groupId} has no members to select a protocol`);
    const candidates = new Set(
      members[0].protocolNames().filter((name) => members.every((member) => member.protocolNames().includes(name))),
    );
    const votes = new Map<string, number>();
    for (const member of members) {
      const choice = member.vote(candidates);
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    const leaderOrder = (this.leaderId !== undefined ? this.get(this.leaderId) : members[0]).protocolNames();
    let winner = '';
    let most = 0;
    for (const name of leaderOrder) {
      const count = votes.get(name) ?? 0;
      if (count > most) {
        winner = name;
        most = count;
      }
    }
    return winner;
  }

  /** Ends the join phase: a new generation, Empty if nobody is left, else CompletingRebalance. */
  initNextGeneration(nowMs: number): void {
    this.generationId += 1;
    this.pendingSyncMembers.clear();
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.refreshSubscribedTopics();
      this.transitionTo(GroupState.CompletingRebalance, nowMs);
      for (const memberId of this.members.keys()) this.pendingSyncMembers.add(memberId);
    } else {
      this.protocolName = undefined;
      this.refreshSubscribedTopics();
      this.transitionTo(GroupState.Empty, nowMs);
    }
  }

  /** The member list the leader receives: each member with its metadata for the chosen protocol. */
  joinedMembers(): JoinedMember[] {
    const protocolName = this.protocolName ?? '';
    return [...this.members.values()].map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      metadata: member.metadataFor(protocolName),
    }));
  }

  /** Notes a durable generation record, unless a later one of the log is already noted. */
  recordStoredGeneration(stored: StoredGroup, logOffset: bigint): void {
    if (logOffset < this.storedGenerationOffset) return;
    this.storedGeneration = stored;
    this.storedGenerationOffset = logOffset;
  }

  /** The group's generation as its record in __consumer_offsets stores it. */
  toStored(assignments: ReadonlyMap<string, Buffer>): StoredGroup {
    const protocolName = this.protocolName ?? null;
    return {
      protocolType: this.protocolType ?? '',
      generationId: this.generationId,
      protocolName,
      leaderId: this.leaderId ?? null,
      stateTimestampMs: this.stateTimestamp,
      members: [...this.members.values()].map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        rebalanceTimeoutMs: member.rebalanceTimeoutMs,
        sessionTimeoutMs: member.sessionTimeoutMs,
        subscription: member.metadataFor(protocolName ?? ''),
        assignment: assignments.get(member.memberId) ?? Buffer.alloc(0),
      })),
    };
  }

  /** DescribeGroups shows metadata and assignments only once the group is Stable. */
  describedMembers(): DescribedMember[] {
    const stable = this.is(GroupState.Stable);
    const protocolName = this.protocolName ?? '';
    return [...this.members.values()].map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      metadata: stable ? member.metadataFor(protocolName) : Buffer.alloc(0),
      assignment: stable ? member.assignment : Buffer.alloc(0),
    }));
  }

  /**
   * The committed offsets to expire now (KIP-211). An Empty group with a protocol type loses all
   * its offsets `retentionMs` after it became Empty; a Stable consumer group whose subscriptions
   * are known loses only the offsets of topics nobody subscribes to any more, `retentionMs` after
   * their commit; a simple group (no protocol type) loses each offset `retentionMs` after its
   * commit. Explicit per-commit expiry times (OffsetCommit v2-4) apply in those same cases.
   */
  expiredOffsets(nowMs: number, retentionMs: number): CommittedPartition[] {
    if (this.protocolType === undefined) {
      return this.offsets.expired(nowMs, retentionMs, (committed) => committed.commitTimestampMs);
    }
    if (this.is(GroupState.Empty)) {
      return this.offsets.expired(nowMs, retentionMs, () => this.stateTimestamp);
    }
    if (this.protocolType === CONSUMER_PROTOCOL_TYPE && this.subscribedTopics && this.is(GroupState.Stable)) {
      return this.offsets.expired(nowMs, retentionMs, (committed) => committed.commitTimestampMs, this.subscribedTopics);
    }
    return [];
  }

  /**
   * Recomputes the union of the members' subscriptions (consumer groups only; undefined when a
   * subscription cannot be read), after a new generation or a load.
   */
  refreshSubscribedTopics(): void {
    this.subscribedTopics = this.readSubscribedTopics();
  }

  private readSubscribedTopics(): ReadonlySet<string> | undefined {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE || this.protocolName === undefined) return undefined;
    const topics = new Set<string>();
    for (const member of this.members.values()) {
      const memberTopics = subscribedTopics(member.metadataFor(this.protocolName));
      if (!memberTopics) return undefined;
      for (const topic of memberTopics) topics.add(topic);
    }
    return topics;
  }
}
