import { decodeGroupRecord, encodeGroupRecord } from '../../../broker/coordinator/group-records';
import type { GroupLogRecord } from '../../../broker/coordinator/group-log';

const offsetRecord: GroupLogRecord = {
  kind: 'offset',
  groupId: 'g',
  topic: 't',
  partition: 3,
  value: { offset: 42n, leaderEpoch: 7, metadata: 'm', commitTimestampMs: 1_700_000_000_000, expireTimestampMs: undefined },
};

const groupRecord: GroupLogRecord = {
  kind: 'group',
  groupId: 'g',
  value: {
    protocolType: 'consumer',
    generationId: 5,
    protocolName: 'range',
    leaderId: 'a-1',
    stateTimestampMs: 1_700_000_000_123,
    members: [
      {
        memberId: 'a-1',
        groupInstanceId: null,
        clientId: 'a',
        clientHost: '/127.0.0.1',
        rebalanceTimeoutMs: 60_000,
        sessionTimeoutMs: 10_000,
        subscription: Buffer.from([0, 0, 0, 0]),
        assignment: Buffer.from([1, 2, 3]),
      },
    ],
  },
};

describe('__consumer_offsets records (Kafka formats)', () => {
  test('an offset commit key is OffsetCommitKey v1: int16 version, group, topic, int32 partition', () => {
    const { key } = encodeGroupRecord(offsetRecord);
    expect(key.toString('hex')).toBe(['0001', '0001', '67', '0001', '74', '00000003'].join(''));
  });

  test('an offset commit value is OffsetCommitValue v3: offset, leader epoch, metadata, commit timestamp', () => {
    const { value } = encodeGroupRecord(offsetRecord);
    const expected = Buffer.alloc(2 + 8 + 4 + 3 + 8);
    expected.writeInt16BE(3, 0);
    expected.writeBigInt64BE(42n, 2);
    expected.writeInt32BE(7, 10);
    expected.writeInt16BE(1, 14);
    expected.write('m', 16);
    expected.writeBigInt64BE(1_700_000_000_000n, 17);
    expect(value).toEqual(expected);
  });

  test('a commit with an explicit expiry is OffsetCommitValue v1, the only version that has one', () => {
    const record: GroupLogRecord = { ...offsetRecord, value: { ...offsetRecord.value!, expireTimestampMs: 1_700_000_360_000 } };
    const { key, value } = encodeGroupRecord(record);
    expect(value!.readInt16BE(0)).toBe(1);
    expect(value!.readBigInt64BE(value!.length - 8)).toBe(1_700_000_360_000n);
    // v1 has no leader epoch: it reads back as unknown.
    expect(decodeGroupRecord(key, value)).toEqual({ ...record, value: { ...record.value, leaderEpoch: -1 } });
  });

  test('a group key is GroupMetadataKey v2: int16 version and the group id', () => {
    expect(encodeGroupRecord(groupRecord).key.toString('hex')).toBe('0002000167');
  });

  test.each([
    ['an offset commit', offsetRecord],
    ['a group generation', groupRecord],
    ['an offset tombstone', { ...offsetRecord, value: null }],
    ['a group tombstone', { ...groupRecord, value: null }],
  ])('%s reads back as written', (_, record) => {
    const { key, value } = encodeGroupRecord(record);
    expect(decodeGroupRecord(key, value)).toEqual(record);
  });

  test('key versions this broker does not write (the new consumer protocol, 3+) are skipped', () => {
    expect(decodeGroupRecord(Buffer.from('00030001670000', 'hex'), null)).toBeUndefined();
  });

  test('a value of an unknown version is an error, not a silent zero', () => {
    const { key } = encodeGroupRecord(offsetRecord);
    expect(() => decodeGroupRecord(key, Buffer.from('0009', 'hex'))).toThrow('OffsetCommitValue version 9 is not one of 0-3');
  });
});
