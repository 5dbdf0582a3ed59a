/**
 * The inputs and outputs of the coordinator's operations, in Kafka terms but free of any protocol
 * version: the API handlers in broker/api translate each request version into these and back.
 */
import type { ErrorCode } from '../protocol/error-codes';
import type { GroupProtocol } from './member';

/** The member id a client sends before it has one. */
export const UNKNOWN_MEMBER_ID = '';
/** The generation of a group that is not managed by the coordinator ("simple" commits). */
export const NO_GENERATION = -1;
/** OffsetFetch's answer for a partition without a committed offset. */
export const NO_OFFSET = -1n;
/** Leader epoch unknown (OffsetCommit < v6, or -1 sent). */
export const NO_LEADER_EPOCH = -1;

export interface JoinGroupInput {
  readonly groupId: string;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  /** As Kafka reports it: "/" followed by the client's IP address. */
  readonly clientHost: string;
  readonly sessionTimeoutMs: number;
  /** JoinGroup v0 has none: the handler passes the session timeout, as Kafka does. */
  readonly rebalanceTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly GroupProtocol[];
  /** JoinGroup v4+: an unknown member first gets an id with MEMBER_ID_REQUIRED. */
  readonly requireKnownMemberId: boolean;
}

export interface JoinedMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly metadata: Buffer;
}

export interface JoinGroupResult {
  readonly errorCode: ErrorCode;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leaderId: string;
  readonly memberId: string;
  /** Every member and its metadata for the chosen protocol: for the leader only, else empty. */
  readonly members: readonly JoinedMember[];
}

export interface SyncGroupInput {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** SyncGroup v5+ only; null when the request has none. */
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  /** Sent by the leader only: member id -> opaque assignment. */
  readonly assignments: ReadonlyMap<string, Buffer>;
}

export interface SyncGroupResult {
  readonly errorCode: ErrorCode;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Buffer;
}

export interface HeartbeatInput {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export interface LeavingMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export interface LeaveGroupResult {
  readonly errorCode: ErrorCode;
  /** One entry per leaving member, in request order. */
  readonly members: readonly (LeavingMember & { readonly errorCode: ErrorCode })[];
}

export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly leaderEpoch: number;
  /** Null is stored as "" (Kafka's NoMetadata). */
  readonly metadata: string | null;
  /** OffsetCommit v1 carries a commit timestamp per partition; -1 (and other versions) mean "now". */
  readonly commitTimestampMs: number;
}

export interface OffsetCommitInput {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** OffsetCommit v2-4 retention; -1 (and other versions) mean the broker's offsets retention. */
  readonly retentionTimeMs: number;
  readonly offsets: readonly OffsetToCommit[];
}

export interface PartitionResult {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: ErrorCode;
}

export interface FetchedOffset {
  readonly topic: string;
  readonly partition: number;
  /** -1 when the group has no committed offset for the partition. */
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly errorCode: ErrorCode;
}

export interface OffsetFetchResult {
  /** A group-level error (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, ...); offsets are then empty. */
  readonly errorCode: ErrorCode;
  readonly offsets: readonly FetchedOffset[];
}

export interface ListedGroup {
  readonly groupId: string;
  readonly protocolType: string;
}

export interface ListGroupsResult {
  readonly errorCode: ErrorCode;
  readonly groups: readonly ListedGroup[];
}

export interface DescribedMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly metadata: Buffer;
  readonly assignment: Buffer;
}

export interface DescribedGroup {
  readonly errorCode: ErrorCode;
  readonly groupId: string;
  /** "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead", or "" on error. */
  readonly state: string;
  readonly protocolType: string;
  readonly protocolName: string;
  readonly members: readonly DescribedMember[];
}

export interface DeletedGroup {
  readonly groupId: string;
  readonly errorCode: ErrorCode;
}
