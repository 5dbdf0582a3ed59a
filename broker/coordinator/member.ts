/**
 * One member of a classic consumer group: what it sent in its last JoinGroup, the assignment the
 * leader gave it, and the requests of its that the coordinator is holding.
 */
import type { JoinGroupResult, SyncGroupResult } from './operations';
import type { CancelTimer } from './scheduler';

export interface GroupProtocol {
  readonly name: string;
  /** Opaque to the broker (for consumers: the ConsumerProtocol subscription). */
  readonly metadata: Buffer;
}

/** Who a member is and the timeouts it asked for, as its JoinGroup said and its record stores. */
export interface MemberIdentity {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  readonly sessionTimeoutMs: number;
}

export interface MemberDescription extends MemberIdentity {
  readonly protocolType: string;
  readonly protocols: readonly GroupProtocol[];
}

const NO_BYTES = Buffer.alloc(0);

export class Member {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly protocolType: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocols: readonly GroupProtocol[];
  /** The leader's assignment for this member in the current generation. */
  assignment: Buffer = NO_BYTES;
  /**
   * True from the first JoinGroup until the join completes: such a member has no generation yet,
   * so it cannot heartbeat, and only the new-member join timeout can expire it.
   */
  isNew = false;
  /** The held JoinGroup of this member, answered when the join phase completes. */
  awaitingJoin: ((result: JoinGroupResult) => void) | undefined;
  /** The held SyncGroup of this member, answered with the leader's assignment. */
  awaitingSync: ((result: SyncGroupResult) => void) | undefined;
  /** The session (or new-member join) timer, reset by every heartbeat. */
  expiry: CancelTimer | undefined;

  constructor(description: MemberDescription) {
    this.memberId = description.memberId;
    this.groupInstanceId = description.groupInstanceId;
    this.clientId = description.clientId;
    this.clientHost = description.clientHost;
    this.protocolType = description.protocolType;
    this.rebalanceTimeoutMs = description.rebalanceTimeoutMs;
    this.sessionTimeoutMs = description.sessionTimeoutMs;
    this.protocols = description.protocols;
  }

  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== undefined;
  }

  get isAwaitingSync(): boolean {
    return this.awaitingSync !== undefined;
  }

  protocolNames(): string[] {
    return this.protocols.map((protocol) => protocol.name);
  }

  /** The metadata this member sent for `protocolName` (empty if it does not support it). */
  metadataFor(protocolName: string): Buffer {
    return this.protocols.find((protocol) => protocol.name === protocolName)?.metadata ?? NO_BYTES;
  }

  /** True when a rejoin carries exactly the protocols (names, order and metadata) of the last one. */
  matches(protocols: readonly GroupProtocol[]): boolean {
    return (
      protocols.length === this.protocols.length &&
      protocols.every(
        (protocol, index) =>
          protocol.name === this.protocols[index].name && protocol.metadata.equals(this.protocols[index].metadata),
      )
    );
  }

  /** The member's most preferred protocol among those every member supports. */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.protocols.find((protocol) => candidates.has(protocol.name));
    if (!choice) throw new Error(`member ${this.memberId} supports none of ${[...candidates].join(', ')}`);
    return choice.name;
  }

  answerJoin(result: JoinGroupResult): void {
    const answer = this.awaitingJoin;
    this.awaitingJoin = undefined;
    answer?.(result);
  }

  answerSync(result: SyncGroupResult): void {
    const answer = this.awaitingSync;
    this.awaitingSync = undefined;
    answer?.(result);
  }

  cancelExpiry(): void {
    this.expiry?.();
    this.expiry = undefined;
  }
}
