import { ErrorCode, KafkaError } from '../../../broker/protocol/error-codes';
import { settle } from './manual-scheduler';
import { Harness, Pending, commitInput, joinInput, joinNewMember, offset, subscription, sync } from './harness';

const HOUR_MS = 60 * 60_000;

const LONG_SESSION_MS = 30 * 60_000;

/** A one-member consumer group, Stable in generation 1, subscribed to `topics`. */
async function stableMember(harness: Harness, topics = ['topic'], sessionTimeoutMs = 10_000) {
  const { memberId, join } = await joinNewMember(harness.coordinator, {
    protocols: [{ name: 'range', metadata: subscription(topics) }],
    sessionTimeoutMs,
  });
  await harness.advance(harness.config.initialRebalanceDelayMs);
  expect(join.result.generationId).toBe(1);
  await sync(harness.coordinator, memberId, 1, new Map([[memberId, Buffer.from('assigned')]])).promise;
  return memberId;
}

/** Lets `ms` pass while the member heartbeats every half session. */
async function keepAlive(harness: Harness, memberId: string, ms: number) {
  for (let elapsed = 0; elapsed < ms; elapsed += LONG_SESSION_MS / 2) {
    expect(harness.coordinator.heartbeat({ groupId: 'group', generationId: 1, memberId, groupInstanceId: null })).toBe(ErrorCode.NONE);
    await harness.advance(Math.min(LONG_SESSION_MS / 2, ms - elapsed));
  }
}

describe('OffsetCommit and OffsetFetch', () => {
  test('a simple consumer (generation -1, no member) commits to a group that did not exist', async () => {
    const harness = await Harness.started();
    const results = await harness.coordinator.commitOffsets(
      commitInput({ offsets: [offset('orders', 0, 42n, 'note'), offset('orders', 1, 7n)] }),
    );
    expect(results).toEqual([
      { topic: 'orders', partition: 0, errorCode: ErrorCode.NONE },
      { topic: 'orders', partition: 1, errorCode: ErrorCode.NONE },
    ]);
    const fetched = harness.coordinator.fetchOffsets('group', [
      { topic: 'orders', partition: 0 },
      { topic: 'orders', partition: 1 },
      { topic: 'orders', partition: 2 },
    ]);
    expect(fetched).toEqual({
      errorCode: ErrorCode.NONE,
      offsets: [
        { topic: 'orders', partition: 0, offset: 42n, leaderEpoch: -1, metadata: 'note', errorCode: ErrorCode.NONE },
        { topic: 'orders', partition: 1, offset: 7n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE },
        { topic: 'orders', partition: 2, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE },
      ],
    });
    // Null partitions: every committed offset of the group.
    expect(harness.coordinator.fetchOffsets('group', null).offsets.map((fetchedOffset) => fetchedOffset.offset)).toEqual([42n, 7n]);
    expect(harness.coordinator.describeGroup('group')).toMatchObject({ state: 'Empty', protocolType: '' });
  });

  test('an unknown group has no offsets: -1 for each partition asked for', async () => {
    const harness = await Harness.started();
    expect(harness.coordinator.fetchOffsets('nobody', [{ topic: 't', partition: 3 }]).offsets).toEqual([
      { topic: 't', partition: 3, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE },
    ]);
    expect(harness.coordinator.fetchOffsets('nobody', null).offsets).toEqual([]);
  });

  test('a commit is acknowledged only once its record is durable', async () => {
    const harness = await Harness.started();
    harness.log.hold();
    const commit = new Pending(harness.coordinator.commitOffsets(commitInput({ offsets: [offset('t', 0, 5n)] })));
    await settle();
    expect(commit.settled).toBe(false);
    expect(harness.coordinator.fetchOffsets('group', [{ topic: 't', partition: 0 }]).offsets[0].offset).toBe(-1n);
    harness.log.releaseAll();
    await settle();
    expect(commit.result[0].errorCode).toBe(ErrorCode.NONE);
    expect(harness.coordinator.fetchOffsets('group', [{ topic: 't', partition: 0 }]).offsets[0].offset).toBe(5n);
  });

  test.each([
    [new KafkaError(ErrorCode.REQUEST_TIMED_OUT, 'WAL full'), ErrorCode.COORDINATOR_NOT_AVAILABLE],
    [new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'moved'), ErrorCode.NOT_COORDINATOR],
    [new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, 'big'), ErrorCode.INVALID_COMMIT_OFFSET_SIZE],
    [new Error('EIO'), ErrorCode.COORDINATOR_NOT_AVAILABLE],
  ])('a failed append (%s) fails the commit with the code Kafka uses', async (error, expected) => {
    const harness = await Harness.started();
    harness.log.failWith(error);
    const results = await harness.coordinator.commitOffsets(commitInput({ offsets: [offset('t', 0, 5n)] }));
    expect(results[0].errorCode).toBe(expected);
    expect(harness.coordinator.fetchOffsets('group', [{ topic: 't', partition: 0 }]).offsets[0].offset).toBe(-1n);
  });

  test('metadata longer than offset.metadata.max.bytes is OFFSET_METADATA_TOO_LARGE for that partition only', async () => {
    const harness = await Harness.started();
    const results = await harness.coordinator.commitOffsets(
      commitInput({ offsets: [offset('t', 0, 1n, 'x'.repeat(4097)), offset('t', 1, 2n, 'x'.repeat(4096))] }),
    );
    expect(results.map((result) => result.errorCode)).toEqual([ErrorCode.OFFSET_METADATA_TOO_LARGE, ErrorCode.NONE]);
  });

  test('members commit with their generation; other commits get the errors Kafka gives', async () => {
    const harness = await Harness.started();
    const memberId = await stableMember(harness);
    const commit = (overrides: Parameters<typeof commitInput>[0]) => harness.coordinator.commitOffsets(commitInput(overrides));
    const offsets = [offset('topic', 0, 10n)];
    expect((await commit({ memberId, generationId: 1, offsets }))[0].errorCode).toBe(ErrorCode.NONE);
    expect((await commit({ memberId, generationId: 0, offsets }))[0].errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await commit({ memberId: 'stranger', generationId: 1, offsets }))[0].errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    // A simple commit into a group that has members.
    expect((await commit({ offsets }))[0].errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    // A generation for a group this coordinator does not know.
    expect((await commit({ groupId: 'other', memberId, generationId: 3, offsets }))[0].errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
  });

  test('commits are allowed while preparing a rebalance but not while completing one', async () => {
    const harness = await Harness.started();
    const memberId = await stableMember(harness);
    const offsets = [offset('topic', 0, 10n)];
    // A second member joins: PreparingRebalance until the first rejoins.
    const second = await harness.coordinator.joinGroup(joinInput({ clientId: 'second' }));
    void harness.coordinator.joinGroup(joinInput({ clientId: 'second', memberId: second.memberId }));
    await settle();
    expect(harness.coordinator.describeGroup('group').state).toBe('PreparingRebalance');
    expect((await harness.coordinator.commitOffsets(commitInput({ memberId, generationId: 1, offsets })))[0].errorCode).toBe(ErrorCode.NONE);
    const rejoin = await harness.coordinator.joinGroup(joinInput({ memberId }));
    expect(harness.coordinator.describeGroup('group').state).toBe('CompletingRebalance');
    expect((await harness.coordinator.commitOffsets(commitInput({ memberId, generationId: rejoin.generationId, offsets })))[0].errorCode).toBe(
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
  });
});

describe('durability: the log rebuilds everything', () => {
  test('after a restart, committed offsets and the Stable group with its assignment are back', async () => {
    const harness = await Harness.started();
    const memberId = await stableMember(harness);
    await harness.coordinator.commitOffsets(commitInput({ memberId, generationId: 1, offsets: [offset('topic', 0, 10n), offset('topic', 1, 20n)] }));
    await harness.coordinator.commitOffsets(commitInput({ memberId, generationId: 1, offsets: [offset('topic', 0, 11n, 'later')] }));
    await harness.coordinator.commitOffsets(commitInput({ groupId: 'simple', offsets: [offset('other', 0, 3n)] }));

    await harness.restart();
    expect(harness.coordinator.fetchOffsets('group', null).offsets).toEqual([
      { topic: 'topic', partition: 0, offset: 11n, leaderEpoch: -1, metadata: 'later', errorCode: ErrorCode.NONE },
      { topic: 'topic', partition: 1, offset: 20n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE },
    ]);
    expect(harness.coordinator.fetchOffsets('simple', null).offsets.map((fetched) => fetched.offset)).toEqual([3n]);
    const described = harness.coordinator.describeGroup('group');
    expect(described).toMatchObject({ state: 'Stable', protocolType: 'consumer', protocolName: 'range' });
    expect(described.members).toEqual([
      expect.objectContaining({ memberId, clientId: 'client', assignment: Buffer.from('assigned'), metadata: subscription(['topic']) }),
    ]);
    // The member carries on as if nothing happened.
    expect(harness.coordinator.heartbeat({ groupId: 'group', generationId: 1, memberId, groupInstanceId: null })).toBe(ErrorCode.NONE);
    expect((await sync(harness.coordinator, memberId, 1).promise).assignment).toEqual(Buffer.from('assigned'));
  });

  test('after a restart, members that do not come back expire after their session timeout', async () => {
    const harness = await Harness.started();
    const memberId = await stableMember(harness);
    await harness.restart();
    await harness.advance(10_000);
    expect(harness.coordinator.heartbeat({ groupId: 'group', generationId: 1, memberId, groupInstanceId: null })).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    expect(harness.coordinator.describeGroup('group').state).toBe('Empty');
  });

  test('a rebalance in progress is lost by a restart: the old generation is Stable again', async () => {
    const harness = await Harness.started();
    const memberId = await stableMember(harness);
    void harness.coordinator.joinGroup(joinInput({ memberId })); // leader rejoin: PreparingRebalance
    await settle();
    await harness.restart();
    expect(harness.coordinator.describeGroup('group')).toMatchObject({ state: 'Stable' });
  });
});

describe('offset retention (offsets.retention.minutes)', () => {
  test('an Empty consumer group keeps its offsets for the retention after it became Empty, then is removed', async () => {
    const harness = await Harness.started();
    const memberId = await stableMember(harness, ['topic'], LONG_SESSION_MS);
    await harness.coordinator.commitOffsets(commitInput({ memberId, generationId: 1, offsets: [offset('topic', 0, 10n)] }));
    await keepAlive(harness, memberId, 2 * harness.config.offsetsRetentionMs); // Stable and subscribed: nothing expires
    expect(harness.coordinator.fetchOffsets('group', null).offsets).toHaveLength(1);

    harness.coordinator.leaveGroup('group', [{ memberId, groupInstanceId: null }]);
    await settle();
    expect(harness.coordinator.describeGroup('group').state).toBe('Empty');
    await harness.advance(harness.config.offsetsRetentionMs - HOUR_MS);
    expect(harness.coordinator.fetchOffsets('group', null).offsets).toHaveLength(1);
    await harness.advance(HOUR_MS + harness.config.offsetsRetentionCheckIntervalMs);
    expect(harness.coordinator.fetchOffsets('group', null).offsets).toEqual([]);
    expect(harness.coordinator.describeGroup('group').state).toBe('Dead');
    // Tombstones make the removal survive a restart.
    expect(harness.log.allRecords().slice(-2)).toEqual([
      { kind: 'offset', groupId: 'group', topic: 'topic', partition: 0, value: null },
      { kind: 'group', groupId: 'group', value: null },
    ]);
    await harness.restart();
    expect(harness.coordinator.describeGroup('group').state).toBe('Dead');
  });

  test('a Stable consumer group loses only the offsets of topics it no longer subscribes to', async () => {
    const harness = await Harness.started();
    const memberId = await stableMember(harness, ['kept'], LONG_SESSION_MS);
    await harness.coordinator.commitOffsets(
      commitInput({ memberId, generationId: 1, offsets: [offset('kept', 0, 1n), offset('dropped', 0, 2n)] }),
    );
    await keepAlive(harness, memberId, harness.config.offsetsRetentionMs + harness.config.offsetsRetentionCheckIntervalMs);
    expect(harness.coordinator.fetchOffsets('group', null).offsets.map((fetched) => fetched.topic)).toEqual(['kept']);
  });

  test("a simple group's offsets expire one by one, a retention after their commit", async () => {
    const harness = await Harness.started();
    await harness.coordinator.commitOffsets(commitInput({ offsets: [offset('t', 0, 1n)] }));
    await harness.advance(harness.config.offsetsRetentionMs / 2);
    await harness.coordinator.commitOffsets(commitInput({ offsets: [offset('t', 1, 1n)] }));
    await harness.advance(harness.config.offsetsRetentionMs / 2 + harness.config.offsetsRetentionCheckIntervalMs);
    expect(harness.coordinator.fetchOffsets('group', null).offsets.map((fetched) => fetched.partition)).toEqual([1]);
  });

  test('an explicit retention time (OffsetCommit v2-4) sets the expiry of that commit', async () => {
    const harness = await Harness.started();
    await harness.coordinator.commitOffsets(commitInput({ retentionTimeMs: HOUR_MS, offsets: [offset('t', 0, 1n)] }));
    await harness.advance(HOUR_MS + harness.config.offsetsRetentionCheckIntervalMs);
    expect(harness.coordinator.fetchOffsets('group', null).offsets).toEqual([]);
  });
});
