/**
 * The key and value of each record in __consumer_offsets, in Kafka's own formats (the
 * OffsetCommitKey/Value and GroupMetadataKey/Value schemas of Kafka 3.x, "type": "data"), so the
 * topic reads like a Kafka one. Every key and value starts with an int16 version:
 *
 *   key v0-1: OffsetCommitKey   { group, topic, partition }   -> value: OffsetCommitValue (v1 or v3)
 *   key v2:   GroupMetadataKey  { group }                     -> value: GroupMetadataValue v3
 *   key 0x7f00 (this broker's own): a snapshot marker          -> value: { snapshotStart int64 }
 *
 * A null value is a tombstone. OffsetCommitValue v1 is written only for commits with an explicit
 * expiry (OffsetCommit v2-4 retention), v3 otherwise, as Kafka does.
 */
import { Reader, Writer } from '../protocol/primitives';
import {
  bytes,
  decodeMessage,
  encodeMessage,
  int32,
  int64,
  message,
  string,
  structs,
  type Decoded,
  type Encodable,
  type MessageSchema,
} from '../protocol/schema';
import type { CommittedOffset } from './committed-offsets';
import type { GroupLogRecord, StoredGroup } from './group-log';

const OffsetCommitKey = message({
  name: 'OffsetCommitKey',
  apiKey: -1,
  validVersions: '0-1',
  flexibleVersions: 'none',
  fields: {
    group: string('0+'),
    topic: string('0+'),
    partition: int32('0+'),
  },
});

const OffsetCommitValue = message({
  name: 'OffsetCommitValue',
  apiKey: -1,
  validVersions: '0-3',
  flexibleVersions: 'none',
  fields: {
    offset: int64('0+'),
    leaderEpoch: int32('3+', { default: -1 }),
    metadata: string('0+'),
    commitTimestamp: int64('0+'),
    expireTimestamp: int64('1', { default: -1n }),
  },
});

const GroupMetadataKey = message({
  name: 'GroupMetadataKey',
  apiKey: -1,
  validVersions: '2',
  flexibleVersions: 'none',
  fields: {
    group: string('2'),
  },
});

const GroupMetadataValue = message({
  name: 'GroupMetadataValue',
  apiKey: -1,
  validVersions: '0-3',
  flexibleVersions: 'none',
  fields: {
    protocolType: string('0+'),
    generation: int32('0+'),
    protocol: string('0+', { nullableVersions: '0+' }),
    leader: string('0+', { nullableVersions: '0+' }),
    currentStateTimestamp: int64('2+', { default: -1n }),
    members: structs('0+', {
      memberId: string('0+'),
      groupInstanceId: string('3+', { nullableVersions: '3+', default: null }),
      clientId: string('0+'),
      clientHost: string('0+'),
      rebalanceTimeout: int32('1+'),
      sessionTimeout: int32('0+'),
      subscription: bytes('0+'),
      assignment: bytes('0+'),
    }),
  },
});

/**
 * This broker's own record (Kafka has nothing like it): the end of a snapshot, with the offset its
 * first record got. Its key is the version alone; the version is far above Kafka's (0-2 for
 * classic groups, small numbers for the records of newer protocols).
 */
const SnapshotMarkerValue = message({
  name: 'SnapshotMarkerValue',
  apiKey: -1,
  validVersions: '0',
  flexibleVersions: 'none',
  fields: {
    snapshotStart: int64('0+'),
  },
});

const SNAPSHOT_MARKER_KEY_VERSION = 0x7f00;
const OFFSET_KEY_VERSION = 1;
const GROUP_KEY_VERSION = 2;
const OFFSET_VALUE_VERSION = 3;
/** The only version with an expire timestamp. */
const OFFSET_VALUE_WITH_EXPIRY_VERSION = 1;
const GROUP_VALUE_VERSION = 3;

function encode<M extends MessageSchema>(schema: M, version: number, value: Encodable<M>): Buffer {
  const writer = new Writer();
  writer.int16(version);
  encodeMessage(schema, version, value as never, writer);
  return writer.toBuffer();
}

export interface EncodedRecord {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

export function encodeGroupRecord(record: GroupLogRecord): EncodedRecord {
  if (record.kind === 'snapshot-marker') {
    const key = new Writer().int16(SNAPSHOT_MARKER_KEY_VERSION).toBuffer();
    return { key, value: encode(SnapshotMarkerValue, 0, { snapshotStart: record.snapshotStart }) };
  }
  if (record.kind === 'offset') {
    const key = encode(OffsetCommitKey, OFFSET_KEY_VERSION, {
      group: record.groupId,
      topic: record.topic,
      partition: record.partition,
    });
    return { key, value: record.value && encodeOffsetValue(record.value) };
  }
  const key = encode(GroupMetadataKey, GROUP_KEY_VERSION, { group: record.groupId });
  return { key, value: record.value && encodeGroupValue(record.value) };
}

function encodeOffsetValue(committed: CommittedOffset): Buffer {
  const withExpiry = committed.expireTimestampMs !== undefined;
  return encode(OffsetCommitValue, withExpiry ? OFFSET_VALUE_WITH_EXPIRY_VERSION : OFFSET_VALUE_VERSION, {
    offset: committed.offset,
    leaderEpoch: committed.leaderEpoch,
    metadata: committed.metadata,
    commitTimestamp: BigInt(committed.commitTimestampMs),
    expireTimestamp: BigInt(committed.expireTimestampMs ?? -1),
  });
}

function encodeGroupValue(group: StoredGroup): Buffer {
  return encode(GroupMetadataValue, GROUP_VALUE_VERSION, {
    protocolType: group.protocolType,
    generation: group.generationId,
    protocol: group.protocolName,
    leader: group.leaderId,
    currentStateTimestamp: BigInt(group.stateTimestampMs),
    members: group.members.map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      rebalanceTimeout: member.rebalanceTimeoutMs,
      sessionTimeout: member.sessionTimeoutMs,
      subscription: member.subscription,
      assignment: member.assignment,
    })),
  });
}

/** Reads an int16 version, then the struct of that version (which must be one `schema` knows). */
function decode<M extends MessageSchema>(schema: M, bytes: Buffer): { version: number; value: Decoded<M> } {
  const reader = new Reader(bytes);
  const version = reader.int16();
  if (!schema.validVersions.includes(version)) {
    throw new RangeError(`${schema.name} version ${version} is not one of ${schema.validVersions.toString()}`);
  }
  return { version, value: decodeMessage(schema, version, reader) as Decoded<M> };
}

/**
 * The record a key/value pair of __consumer_offsets holds, or undefined for key versions this
 * broker does not write (Kafka 3.x's records of the new consumer-group protocol, versions 3+).
 * Throws MalformedDataError or RangeError for a record it should understand but cannot.
 */
export function decodeGroupRecord(key: Buffer, value: Buffer | null): GroupLogRecord | undefined {
  const keyVersion = new Reader(key).int16();
  if (keyVersion === 0 || keyVersion === 1) {
    const { value: offsetKey } = decode(OffsetCommitKey, key);
    return {
      kind: 'offset',
      groupId: offsetKey.group,
      topic: offsetKey.topic,
      partition: offsetKey.partition,
      value: value && decodeOffsetValue(value),
    };
  }
  if (keyVersion === SNAPSHOT_MARKER_KEY_VERSION && value) {
    return { kind: 'snapshot-marker', snapshotStart: decode(SnapshotMarkerValue, value).value.snapshotStart };
  }
  if (keyVersion === GROUP_KEY_VERSION) {
    const { value: groupKey } = decode(GroupMetadataKey, key);
    return { kind: 'group', groupId: groupKey.group, value: value && decodeGroupValue(value) };
  }
  return undefined;
}

function decodeOffsetValue(bytes: Buffer): CommittedOffset {
  const { version, value } = decode(OffsetCommitValue, bytes);
  return {
    offset: value.offset,
    leaderEpoch: value.leaderEpoch,
    metadata: value.metadata,
    commitTimestampMs: Number(value.commitTimestamp),
    expireTimestampMs: version === OFFSET_VALUE_WITH_EXPIRY_VERSION ? Number(value.expireTimestamp) : undefined,
  };
}

function decodeGroupValue(bytes: Buffer): StoredGroup {
  const { value } = decode(GroupMetadataValue, bytes);
  return {
    protocolType: value.protocolType,
    generationId: value.generation,
    protocolName: value.protocol,
    leaderId: value.leader,
    stateTimestampMs: Number(value.currentStateTimestamp),
    members: value.members.map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      rebalanceTimeoutMs: member.rebalanceTimeout,
      sessionTimeoutMs: member.sessionTimeout,
      subscription: Buffer.from(member.subscription),
      assignment: Buffer.from(member.assignment),
    })),
  };
}
