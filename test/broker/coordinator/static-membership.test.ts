/**
 * Static membership (group.instance.id, KIP-345): a restarted client that comes back with its
 * instance id takes its old place without a rebalance; the old member id is fenced.
 */
import { ErrorCode, KafkaError } from '../../../broker/protocol/error-codes';
import { commitInput, Harness, joinInput, offset, Pending, subscription, sync } from './harness';
import { settle } from './manual-scheduler';

/** Static members a and b (instance ids "a" and "b"), Stable in generation 1; a leads. */
async function stableStaticPair(harness: Harness) {
  const { coordinator } = harness;
  // Static members join at once: no MEMBER_ID_REQUIRED round.
  const a = new Pending(coordinator.joinGroup(joinInput({ clientId: 'a', groupInstanceId: 'a' })));
  const b = new Pending(coordinator.joinGroup(joinInput({ clientId: 'b', groupInstanceId: 'b' })));
  await harness.advance(harness.config.initialRebalanceDelayMs * 2);
  const [aId, bId] = [a.result.memberId, b.result.memberId];
  expect(a.result).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, leaderId: aId });
  const assignments = new Map([[aId, Buffer.from('partitions of a')], [bId, Buffer.from('partitions of b')]]);
  const syncs = [sync(coordinator, aId, 1, assignments), sync(coordinator, bId, 1)];
  await settle();
  expect(syncs.map((s) => s.result.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
  return { aId, bId };
}

const heartbeat = (harness: Harness, memberId: string, groupInstanceId: string | null, generationId = 1) =>
  harness.coordinator.heartbeat({ groupId: 'group', generationId, memberId, groupInstanceId });

describe('static membership', () => {
  test('a restarted member takes its place under a new id, with its assignment, and nobody rebalances', async () => {
    const harness = await Harness.started();
    const { aId, bId } = await stableStaticPair(harness);

    const rejoin = await harness.coordinator.joinGroup(joinInput({ clientId: 'b', groupInstanceId: 'b' }));
    expect(rejoin.errorCode).toBe(ErrorCode.NONE);
    expect(rejoin.memberId).not.toBe(bId);
    // The current generation, and the leader as it was: the new member must not assign.
    expect(rejoin).toMatchObject({ generationId: 1, leaderId: aId, members: [], protocolName: 'range' });

    const resync = sync(harness.coordinator, rejoin.memberId, 1);
    await settle();
    expect(resync.result).toMatchObject({ errorCode: ErrorCode.NONE, assignment: Buffer.from('partitions of b') });
    expect(heartbeat(harness, aId, 'a')).toBe(ErrorCode.NONE);
    expect(harness.coordinator.describeGroup('group')).toMatchObject({ state: 'Stable' });
    expect(harness.coordinator.describeGroup('group').members.map((m) => [m.groupInstanceId, m.memberId])).toEqual([
      ['a', aId],
      ['b', rejoin.memberId],
    ]);
  });

  test('the old member id is fenced everywhere: heartbeat, sync, commit, leave and join', async () => {
    const harness = await Harness.started();
    const { bId } = await stableStaticPair(harness);
    await harness.coordinator.joinGroup(joinInput({ clientId: 'b', groupInstanceId: 'b' }));

    expect(heartbeat(harness, bId, 'b')).toBe(ErrorCode.FENCED_INSTANCE_ID);
    const staleSync = new Pending(harness.coordinator.syncGroup({
      groupId: 'group', generationId: 1, memberId: bId, groupInstanceId: 'b', protocolType: null, protocolName: null, assignments: new Map(),
    }));
    await settle();
    expect(staleSync.result.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    const commit = await harness.coordinator.commitOffsets(commitInput({ generationId: 1, memberId: bId, groupInstanceId: 'b', offsets: [offset('topic', 0, 5n)] }));
    expect(commit.map((partition) => partition.errorCode)).toEqual([ErrorCode.FENCED_INSTANCE_ID]);
    expect(harness.coordinator.leaveGroup('group', [{ memberId: bId, groupInstanceId: 'b' }]).members[0].errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await harness.coordinator.joinGroup(joinInput({ memberId: bId, groupInstanceId: 'b' }))).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    // Without its instance id the old id is simply unknown.
    expect(heartbeat(harness, bId, null)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  test('the new member id is durable: a coordinator that loads the group knows it, and fences the old one', async () => {
    const harness = await Harness.started();
    const { bId } = await stableStaticPair(harness);
    const rejoin = await harness.coordinator.joinGroup(joinInput({ clientId: 'b', groupInstanceId: 'b' }));
    await harness.restart();
    await settle();
    expect(heartbeat(harness, rejoin.memberId, 'b')).toBe(ErrorCode.NONE);
    expect(heartbeat(harness, bId, 'b')).toBe(ErrorCode.FENCED_INSTANCE_ID);
  });

  test('if the new id cannot be stored, the old member stays and the new instance is told the error', async () => {
    const harness = await Harness.started();
    const { bId } = await stableStaticPair(harness);
    harness.log.failWith(new KafkaError(ErrorCode.NOT_COORDINATOR, 'moved'));
    const rejoin = await harness.coordinator.joinGroup(joinInput({ clientId: 'b', groupInstanceId: 'b' }));
    harness.log.failWith(undefined);
    expect(rejoin.errorCode).not.toBe(ErrorCode.NONE);
    expect(heartbeat(harness, bId, 'b')).toBe(ErrorCode.NONE);
  });

  test('a restarted leader keeps the leadership under its new id, still without a rebalance', async () => {
    const harness = await Harness.started();
    const { aId, bId } = await stableStaticPair(harness);
    const rejoin = await harness.coordinator.joinGroup(joinInput({ clientId: 'a', groupInstanceId: 'a' }));
    expect(rejoin).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, leaderId: aId, members: [] });
    expect(heartbeat(harness, bId, 'b')).toBe(ErrorCode.NONE);
    // When the group next rebalances, the new id leads it.
    void harness.coordinator.joinGroup(joinInput({ clientId: 'b', memberId: bId, groupInstanceId: 'b', protocols: [{ name: 'range', metadata: subscription(['other']) }] }));
    await settle();
    const leaderJoin = new Pending(harness.coordinator.joinGroup(joinInput({ clientId: 'a', memberId: rejoin.memberId, groupInstanceId: 'a' })));
    await settle();
    expect(leaderJoin.result).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2, leaderId: rejoin.memberId });
  });

  test('a restart that changes the group\'s protocol rebalances it', async () => {
    const harness = await Harness.started();
    const first = new Pending(harness.coordinator.joinGroup(joinInput({ clientId: 'a', groupInstanceId: 'a' })));
    await harness.advance(harness.config.initialRebalanceDelayMs);
    void sync(harness.coordinator, first.result.memberId, 1, new Map([[first.result.memberId, Buffer.from('all')]]));
    await settle();
    // The only member now prefers roundrobin: the group's choice would change.
    const protocols = [{ name: 'roundrobin', metadata: subscription(['topic']) }, { name: 'range', metadata: subscription(['topic']) }];
    const rejoin = new Pending(harness.coordinator.joinGroup(joinInput({ clientId: 'a', groupInstanceId: 'a', protocols })));
    await settle();
    expect(rejoin.result).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2, protocolName: 'roundrobin' });
    expect(rejoin.result.leaderId).toBe(rejoin.result.memberId);
  });

  test('during a rebalance the new instance joins in the old one\'s place', async () => {
    const harness = await Harness.started();
    const { aId, bId } = await stableStaticPair(harness);
    // The leader rejoins: a rebalance starts, and waits for b.
    const leaderJoin = new Pending(harness.coordinator.joinGroup(joinInput({ clientId: 'a', memberId: aId, groupInstanceId: 'a' })));
    await settle();
    expect(leaderJoin.settled).toBe(false);
    const newJoin = new Pending(harness.coordinator.joinGroup(joinInput({ clientId: 'b', groupInstanceId: 'b' })));
    await settle();
    expect(newJoin.result).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2, leaderId: aId });
    expect(leaderJoin.result.members.map((member) => member.memberId)).toEqual([aId, newJoin.result.memberId]);
    expect(heartbeat(harness, bId, 'b', 2)).toBe(ErrorCode.FENCED_INSTANCE_ID);
  });

  test('while the leader assigns, the new instance fences the old one\'s held sync and the group rebalances', async () => {
    const harness = await Harness.started();
    const { aId, bId } = await stableStaticPair(harness);
    const leaderJoin = new Pending(harness.coordinator.joinGroup(joinInput({ clientId: 'a', memberId: aId, groupInstanceId: 'a' })));
    void harness.coordinator.joinGroup(joinInput({ clientId: 'b', memberId: bId, groupInstanceId: 'b' }));
    await settle();
    expect(leaderJoin.result.generationId).toBe(2);
    const oldSync = sync(harness.coordinator, bId, 2);
    await settle();
    expect(oldSync.settled).toBe(false); // waiting for the leader's assignment

    const newJoin = new Pending(harness.coordinator.joinGroup(joinInput({ clientId: 'b', groupInstanceId: 'b' })));
    await settle();
    expect(oldSync.result.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(harness.coordinator.describeGroup('group').state).toBe('PreparingRebalance');
    expect(heartbeat(harness, aId, 'a', 2)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    void harness.coordinator.joinGroup(joinInput({ clientId: 'a', memberId: aId, groupInstanceId: 'a' }));
    await settle();
    expect(newJoin.result).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 3 });
  });
});
