import { ErrorCode, KafkaError } from '../../../broker/protocol/error-codes';
import { settle } from './manual-scheduler';
import type { JoinGroupInput } from '../../../broker/coordinator/operations';
import { Harness, Pending, joinInput, joinNewMember, subscription, sync } from './harness';

/** Three members join an Empty group within the initial delay, then sync: generation 1, Stable. */
async function stableGroupOfThree(harness: Harness) {
  const { coordinator } = harness;
  const a = await joinNewMember(coordinator, { clientId: 'a' });
  const b = await joinNewMember(coordinator, { clientId: 'b' });
  const c = await joinNewMember(coordinator, { clientId: 'c' });
  await harness.advance(harness.config.initialRebalanceDelayMs * 2);
  const leaderId = a.join.result.leaderId;
  const assignments = new Map([a, b, c].map(({ memberId }, index) => [memberId, Buffer.from(`assignment-${index}`)]));
  const syncs = [a, b, c].map(({ memberId }) =>
    sync(coordinator, memberId, 1, memberId === leaderId ? assignments : new Map()),
  );
  await settle();
  return { members: [a, b, c], leaderId, syncs, assignments };
}

/** Two members a and b joined in generation 1 (a, the first, leads); nobody has synced yet. */
async function joinedPair(harness: Harness, overrides: Partial<JoinGroupInput> = {}) {
  const a = await joinNewMember(harness.coordinator, { clientId: 'a', ...overrides });
  const b = await joinNewMember(harness.coordinator, { clientId: 'b', ...overrides });
  await harness.advance(harness.config.initialRebalanceDelayMs * 2); // b extended the initial delay
  expect(a.join.result.leaderId).toBe(a.memberId);
  return { a, b };
}

describe('JoinGroup', () => {
  test('a new member first gets an id with MEMBER_ID_REQUIRED (v4+), then joins with it', async () => {
    const harness = await Harness.started();
    const first = await harness.coordinator.joinGroup(joinInput({ clientId: 'consumer-1' }));
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(first.memberId).toMatch(/^consumer-1-[0-9a-f-]{36}$/);
    expect(first.generationId).toBe(-1);

    const join = new Pending(harness.coordinator.joinGroup(joinInput({ clientId: 'consumer-1', memberId: first.memberId })));
    await harness.advance(harness.config.initialRebalanceDelayMs - 1);
    expect(join.settled).toBe(false); // the initial delay holds the first join
    await harness.advance(1);
    expect(join.result).toMatchObject({
      errorCode: ErrorCode.NONE,
      generationId: 1,
      memberId: first.memberId,
      leaderId: first.memberId,
      protocolType: 'consumer',
      protocolName: 'range',
    });
    expect(join.result.members.map((member) => member.memberId)).toEqual([first.memberId]);
  });

  test('before v4 an unknown member joins at once with a generated id', async () => {
    const harness = await Harness.started();
    const join = new Pending(harness.coordinator.joinGroup(joinInput({ requireKnownMemberId: false })));
    await harness.advance(harness.config.initialRebalanceDelayMs);
    expect(join.result.errorCode).toBe(ErrorCode.NONE);
    expect(join.result.memberId).toMatch(/^client-/);
    expect(join.result.generationId).toBe(1);
  });

  test('members arriving during the initial delay extend it, within the rebalance timeout', async () => {
    const harness = await Harness.started();
    const delay = harness.config.initialRebalanceDelayMs;
    const a = await joinNewMember(harness.coordinator, { clientId: 'a' });
    await harness.advance(delay - 100);
    const b = await joinNewMember(harness.coordinator, { clientId: 'b' });
    await harness.advance(100);
    expect(a.join.settled).toBe(false); // b arrived: one more delay
    await harness.advance(delay);
    expect(a.join.result.generationId).toBe(1);
    expect(b.join.result.generationId).toBe(1);
  });

  test('the initial delay never outlasts the rebalance timeout', async () => {
    const harness = await Harness.started();
    const a = await joinNewMember(harness.coordinator, { clientId: 'a', rebalanceTimeoutMs: 5_000 });
    // A new member every 2.5 s would extend the delay for ever without the cap.
    for (let i = 0; i < 6 && !a.join.settled; i++) {
      await joinNewMember(harness.coordinator, { clientId: `m${i}`, rebalanceTimeoutMs: 5_000 });
      await harness.advance(2_500);
    }
    expect(a.join.settled).toBe(true);
  });

  test('only the leader receives the member list, with each member metadata for the chosen protocol', async () => {
    const harness = await Harness.started();
    const { members, leaderId } = await stableGroupOfThree(harness);
    const leader = members.find((member) => member.memberId === leaderId)!;
    expect(leaderId).toBe(members[0].memberId); // the first member to join leads
    expect(leader.join.result.members.map((member) => member.memberId).sort()).toEqual(
      members.map((member) => member.memberId).sort(),
    );
    expect(leader.join.result.members[0].metadata).toEqual(subscription(['topic']));
    for (const follower of members.filter((member) => member.memberId !== leaderId)) {
      expect(follower.join.result.members).toEqual([]);
      expect(follower.join.result.leaderId).toBe(leaderId);
    }
  });

  test('the protocol is chosen by vote among those every member supports', async () => {
    const harness = await Harness.started();
    const metadata = Buffer.from('m');
    const protocols = (...names: string[]) => names.map((name) => ({ name, metadata }));
    // Everyone supports range and roundrobin; two of three prefer roundrobin; only one knows sticky.
    const a = await joinNewMember(harness.coordinator, { clientId: 'a', protocols: protocols('sticky', 'range', 'roundrobin') });
    await joinNewMember(harness.coordinator, { clientId: 'b', protocols: protocols('roundrobin', 'range') });
    await joinNewMember(harness.coordinator, { clientId: 'c', protocols: protocols('roundrobin', 'range') });
    await harness.advance(harness.config.initialRebalanceDelayMs * 2);
    expect(a.join.result.protocolName).toBe('roundrobin');
  });

  test('a member whose protocols the group does not support gets INCONSISTENT_GROUP_PROTOCOL', async () => {
    const harness = await Harness.started();
    await joinNewMember(harness.coordinator);
    const other = await harness.coordinator.joinGroup(
      joinInput({ protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }], requireKnownMemberId: false }),
    );
    expect(other.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const otherType = await harness.coordinator.joinGroup(joinInput({ protocolType: 'connect', requireKnownMemberId: false }));
    expect(otherType.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const none = await harness.coordinator.joinGroup(joinInput({ groupId: 'fresh', protocols: [] }));
    expect(none.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  test.each([
    ['below the minimum', 5_999],
    ['above the maximum', 30 * 60_000 + 1],
  ])('a session timeout %s is INVALID_SESSION_TIMEOUT', async (_, sessionTimeoutMs) => {
    const harness = await Harness.started();
    const result = await harness.coordinator.joinGroup(joinInput({ sessionTimeoutMs }));
    expect(result.errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
  });

  test('an empty group id is INVALID_GROUP_ID; a known member id in an unknown group is UNKNOWN_MEMBER_ID', async () => {
    const harness = await Harness.started();
    expect((await harness.coordinator.joinGroup(joinInput({ groupId: '' }))).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    const stale = await harness.coordinator.joinGroup(joinInput({ memberId: 'client-gone' }));
    expect(stale).toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, memberId: 'client-gone' });
  });

  test('a follower rejoining a Stable group unchanged gets the current generation without a rebalance', async () => {
    const harness = await Harness.started();
    const { members, leaderId } = await stableGroupOfThree(harness);
    const follower = members.find((member) => member.memberId !== leaderId)!;
    const rejoin = await harness.coordinator.joinGroup(joinInput({ clientId: 'b', memberId: follower.memberId }));
    expect(rejoin).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, members: [] });
    expect(harness.coordinator.describeGroup('group').state).toBe('Stable');
  });

  test('the leader rejoining a Stable group starts a rebalance', async () => {
    const harness = await Harness.started();
    const { members, leaderId } = await stableGroupOfThree(harness);
    const rejoin = new Pending(harness.coordinator.joinGroup(joinInput({ clientId: 'a', memberId: leaderId })));
    await settle();
    expect(harness.coordinator.describeGroup('group').state).toBe('PreparingRebalance');
    // The followers learn it from their heartbeats, rejoin, and the join completes at once.
    for (const follower of members.filter((member) => member.memberId !== leaderId)) {
      expect(harness.coordinator.heartbeat({ groupId: 'group', generationId: 1, memberId: follower.memberId, groupInstanceId: null })).toBe(
        ErrorCode.REBALANCE_IN_PROGRESS,
      );
      void harness.coordinator.joinGroup(joinInput({ memberId: follower.memberId }));
    }
    await settle();
    expect(rejoin.result).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2, leaderId });
  });
});

describe('SyncGroup', () => {
  test('followers wait for the leader; everyone gets its own assignment once it is stored', async () => {
    const harness = await Harness.started();
    const { coordinator } = harness;
    const { a, b } = await joinedPair(harness);
    const leaderId = a.memberId;
    const follower = b;
    const followerSync = sync(coordinator, follower.memberId, 1);
    await settle();
    expect(followerSync.settled).toBe(false);

    harness.log.hold();
    const assignments = new Map([
      [a.memberId, Buffer.from('for-a')],
      [b.memberId, Buffer.from('for-b')],
    ]);
    const leaderSync = sync(coordinator, leaderId, 1, assignments);
    await settle();
    expect(leaderSync.settled).toBe(false); // not durable yet
    expect(followerSync.settled).toBe(false);
    harness.log.releaseAll();
    await settle();
    expect(leaderSync.result).toMatchObject({ errorCode: ErrorCode.NONE, protocolType: 'consumer', protocolName: 'range' });
    expect(followerSync.result.assignment).toEqual(assignments.get(follower.memberId));
    expect(leaderSync.result.assignment).toEqual(assignments.get(leaderId));
    expect(coordinator.describeGroup('group').state).toBe('Stable');
    // The generation is one record of the group's partition.
    const stored = harness.log.allRecords().filter((record) => record.kind === 'group');
    expect(stored).toHaveLength(1);
    expect(stored[0].value?.members.map((member) => member.assignment.toString()).sort()).toEqual(['for-a', 'for-b']);
  });

  test('members the leader leaves out get an empty assignment', async () => {
    const harness = await Harness.started();
    const { a, b } = await joinedPair(harness);
    const followerSync = sync(harness.coordinator, b.memberId, 1);
    sync(harness.coordinator, a.memberId, 1, new Map([[a.memberId, Buffer.from('all')]]));
    await settle();
    expect(followerSync.result).toMatchObject({ errorCode: ErrorCode.NONE, assignment: Buffer.alloc(0) });
  });

  test('a stale generation is ILLEGAL_GENERATION, an unknown member UNKNOWN_MEMBER_ID, a rebalance REBALANCE_IN_PROGRESS', async () => {
    const harness = await Harness.started();
    const { members, leaderId } = await stableGroupOfThree(harness);
    expect((await sync(harness.coordinator, leaderId, 0).promise).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await sync(harness.coordinator, 'nobody', 1).promise).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await sync(harness.coordinator, leaderId, 1, new Map(), 'no-such-group').promise).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    void harness.coordinator.joinGroup(joinInput({ memberId: leaderId }));
    await settle();
    expect((await sync(harness.coordinator, members[1].memberId, 1).promise).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  test('a mismatched protocol type or name is INCONSISTENT_GROUP_PROTOCOL (SyncGroup v5 fields)', async () => {
    const harness = await Harness.started();
    const { leaderId } = await stableGroupOfThree(harness);
    const base = { groupId: 'group', generationId: 1, memberId: leaderId, groupInstanceId: null, assignments: new Map() };
    expect((await harness.coordinator.syncGroup({ ...base, protocolType: 'connect', protocolName: null })).errorCode).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    expect((await harness.coordinator.syncGroup({ ...base, protocolType: 'consumer', protocolName: 'roundrobin' })).errorCode).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    expect((await harness.coordinator.syncGroup({ ...base, protocolType: 'consumer', protocolName: 'range' })).errorCode).toBe(ErrorCode.NONE);
  });

  test('a member that never sends SyncGroup is removed after the rebalance timeout and the group rebalances', async () => {
    const harness = await Harness.started();
    const { a, b } = await joinedPair(harness, { rebalanceTimeoutMs: 20_000 });
    const leaderSync = sync(harness.coordinator, a.memberId, 1, new Map([[a.memberId, Buffer.from('x')]]));
    await settle();
    expect(leaderSync.result.errorCode).toBe(ErrorCode.NONE);
    // b keeps heartbeating but never syncs.
    for (let elapsed = 0; elapsed < 20_000; elapsed += 3_000) {
      harness.coordinator.heartbeat({ groupId: 'group', generationId: 1, memberId: a.memberId, groupInstanceId: null });
      harness.coordinator.heartbeat({ groupId: 'group', generationId: 1, memberId: b.memberId, groupInstanceId: null });
      await harness.advance(3_000);
    }
    expect(harness.coordinator.describeGroup('group').members.map((member) => member.memberId)).toEqual([a.memberId]);
    expect(harness.coordinator.heartbeat({ groupId: 'group', generationId: 1, memberId: b.memberId, groupInstanceId: null })).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    expect(harness.coordinator.heartbeat({ groupId: 'group', generationId: 1, memberId: a.memberId, groupInstanceId: null })).toBe(
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
  });

  test('a failed store of the assignment answers every held sync with the mapped error and rebalances', async () => {
    const harness = await Harness.started();
    const { a, b } = await joinedPair(harness);
    const followerSync = sync(harness.coordinator, b.memberId, 1);
    harness.log.failWith(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, 'WAL full'));
    const leaderSync = sync(harness.coordinator, a.memberId, 1, new Map());
    await settle();
    expect(leaderSync.result.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(followerSync.result.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(harness.coordinator.describeGroup('group').state).toBe('PreparingRebalance');
  });
});

describe('Heartbeat, session expiry and LeaveGroup', () => {
  test('heartbeats keep a member; without them it is removed after its session timeout', async () => {
    const harness = await Harness.started();
    const { members } = await stableGroupOfThree(harness);
    const [a, b, c] = members;
    const beat = (memberId: string, generationId = 1) =>
      harness.coordinator.heartbeat({ groupId: 'group', generationId, memberId, groupInstanceId: null });
    for (let elapsed = 0; elapsed < 9_000; elapsed += 3_000) {
      expect(beat(a.memberId)).toBe(ErrorCode.NONE);
      expect(beat(b.memberId)).toBe(ErrorCode.NONE);
      expect(beat(c.memberId)).toBe(ErrorCode.NONE);
      await harness.advance(3_000);
    }
    // c stops; a and b go on.
    for (let elapsed = 0; elapsed < 9_000; elapsed += 3_000) {
      expect(beat(a.memberId)).toBe(ErrorCode.NONE);
      expect(beat(b.memberId)).toBe(ErrorCode.NONE);
      await harness.advance(3_000);
    }
    await harness.advance(1_000);
    // c's 10 s session is over: it is gone, and a rebalance began.
    expect(beat(c.memberId)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(beat(a.memberId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoinA = new Pending(harness.coordinator.joinGroup(joinInput({ clientId: 'a', memberId: a.memberId })));
    const rejoinB = new Pending(harness.coordinator.joinGroup(joinInput({ clientId: 'b', memberId: b.memberId })));
    await settle();
    expect(rejoinA.result.generationId).toBe(2);
    expect(rejoinB.result.generationId).toBe(2);
    const leader = [rejoinA, rejoinB].find((join) => join.result.members.length > 0)!;
    expect(leader.result.members.map((member) => member.memberId).sort()).toEqual([a.memberId, b.memberId].sort());
  });

  test('heartbeat errors: ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, INVALID_GROUP_ID', async () => {
    const harness = await Harness.started();
    const { members } = await stableGroupOfThree(harness);
    const beat = (input: Partial<{ groupId: string; generationId: number; memberId: string }>) =>
      harness.coordinator.heartbeat({ groupId: 'group', generationId: 1, memberId: members[0].memberId, groupInstanceId: null, ...input });
    expect(beat({ generationId: 0 })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(beat({ memberId: 'nobody' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(beat({ groupId: 'unknown-group' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(beat({ groupId: '' })).toBe(ErrorCode.INVALID_GROUP_ID);
  });

  test('a member that does not rejoin during a rebalance is removed when the rebalance times out', async () => {
    const harness = await Harness.started();
    const { members } = await stableGroupOfThree(harness);
    const [a, b, c] = members;
    const rejoinA = new Pending(harness.coordinator.joinGroup(joinInput({ clientId: 'a', memberId: a.memberId })));
    const rejoinB = new Pending(harness.coordinator.joinGroup(joinInput({ clientId: 'b', memberId: b.memberId })));
    // c keeps heartbeating (REBALANCE_IN_PROGRESS) but never rejoins.
    for (let elapsed = 0; elapsed < 30_000; elapsed += 3_000) {
      harness.coordinator.heartbeat({ groupId: 'group', generationId: 1, memberId: c.memberId, groupInstanceId: null });
      await harness.advance(3_000);
      if (elapsed < 27_000) expect(rejoinA.settled).toBe(false);
    }
    expect(rejoinA.result.generationId).toBe(2);
    expect(rejoinB.result.generationId).toBe(2);
    expect(harness.coordinator.describeGroup('group').members).toHaveLength(2);
  });

  test('LeaveGroup removes the member at once and rebalances the rest', async () => {
    const harness = await Harness.started();
    const { members } = await stableGroupOfThree(harness);
    const [a, b, c] = members;
    const left = harness.coordinator.leaveGroup('group', [{ memberId: c.memberId, groupInstanceId: null }, { memberId: 'nobody', groupInstanceId: null }]);
    expect(left).toEqual({
      errorCode: ErrorCode.NONE,
      members: [
        { memberId: c.memberId, groupInstanceId: null, errorCode: ErrorCode.NONE },
        { memberId: 'nobody', groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID },
      ],
    });
    const rejoinA = new Pending(harness.coordinator.joinGroup(joinInput({ memberId: a.memberId })));
    const rejoinB = new Pending(harness.coordinator.joinGroup(joinInput({ memberId: b.memberId })));
    await settle(); // no timer needed: everyone left has rejoined
    expect(rejoinA.result.generationId).toBe(2);
    expect(rejoinB.result.generationId).toBe(2);
  });

  test('the last member leaving makes the group Empty, which is stored', async () => {
    const harness = await Harness.started();
    const a = await joinNewMember(harness.coordinator);
    await harness.advance(harness.config.initialRebalanceDelayMs);
    await sync(harness.coordinator, a.memberId, 1).promise;
    harness.coordinator.leaveGroup('group', [{ memberId: a.memberId, groupInstanceId: null }]);
    await settle();
    const described = harness.coordinator.describeGroup('group');
    expect(described).toMatchObject({ state: 'Empty', members: [] });
    const last = harness.log.allRecords().at(-1)!;
    expect(last).toMatchObject({ kind: 'group', groupId: 'group', value: { generationId: 2, members: [], protocolName: null } });
  });

  test('a new member whose join is held too long is removed with UNKNOWN_MEMBER_ID', async () => {
    const harness = await Harness.started();
    const { members } = await stableGroupOfThree(harness);
    // A rebalance that never ends: the old members keep heartbeating but never rejoin, and their
    // rebalance timeout is longer than the new-member join timeout.
    const late = await joinNewMember(harness.coordinator, { clientId: 'late', rebalanceTimeoutMs: 10 * 60_000 });
    for (let elapsed = 0; elapsed <= harness.config.newMemberJoinTimeoutMs; elapsed += 3_000) {
      for (const member of members) {
        harness.coordinator.heartbeat({ groupId: 'group', generationId: 1, memberId: member.memberId, groupInstanceId: null });
      }
      await harness.advance(3_000);
    }
    expect(late.join.result).toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, memberId: '' });
  });

  test('an id handed out with MEMBER_ID_REQUIRED is forgotten after the session timeout', async () => {
    const harness = await Harness.started();
    const first = await harness.coordinator.joinGroup(joinInput());
    await harness.advance(10_000);
    const late = await harness.coordinator.joinGroup(joinInput({ memberId: first.memberId }));
    expect(late.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });
});
