import { offsetsPartitionFor } from '../../../broker/coordinator/offsets-topic';
import { ErrorCode } from '../../../broker/protocol/error-codes';
import { settle } from './manual-scheduler';
import { MemoryGroupLog } from './memory-group-log';
import { Harness, PARTITIONS, Pending, commitInput, joinInput, joinNewMember, offset, sync } from './harness';

const partitionOfGroup = offsetsPartitionFor('group', PARTITIONS);

describe('which broker coordinates a group', () => {
  test("a group's partition is Kafka's: abs(String.hashCode) modulo the partition count", () => {
    // Hash codes printed by java.lang.String#hashCode on OpenJDK 17.
    expect(offsetsPartitionFor('group', 50)).toBe(98629247 % 50);
    expect(offsetsPartitionFor('console-consumer-1', 50)).toBe(35782224 % 50);
    expect(offsetsPartitionFor('', 50)).toBe(0);
    // Non-ASCII ids hash by UTF-16 code unit; negative hashes use their absolute value.
    expect(offsetsPartitionFor('grüppe', 50)).toBe(1233264812 % 50);
    // Integer.MIN_VALUE has no absolute value: Kafka's Utils.abs maps it to 0.
    expect(offsetsPartitionFor('polygenelubricants', 50)).toBe(0);
  });

  test('requests for a group whose partition another broker owns get NOT_COORDINATOR', async () => {
    const harness = await Harness.started();
    harness.owned.delete(partitionOfGroup);
    expect((await harness.coordinator.joinGroup(joinInput())).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(harness.coordinator.heartbeat({ groupId: 'group', generationId: 1, memberId: 'm', groupInstanceId: null })).toBe(
      ErrorCode.NOT_COORDINATOR,
    );
    expect((await harness.coordinator.commitOffsets(commitInput({ offsets: [offset('t', 0, 1n)] })))[0].errorCode).toBe(
      ErrorCode.NOT_COORDINATOR,
    );
    expect(harness.coordinator.fetchOffsets('group', null).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
  });

  test('while its partition loads: COORDINATOR_LOAD_IN_PROGRESS, heartbeats answered blindly, syncs told to rejoin', async () => {
    const log = new MemoryGroupLog();
    let finishReplay: () => void = () => undefined;
    const bounds = log.bounds.bind(log);
    log.bounds = async (partition) => {
      await new Promise<void>((resolve) => (finishReplay = resolve));
      return bounds(partition);
    };
    const harness = new Harness(log);
    harness.owned.clear();
    await harness.coordinator.start();
    harness.owned.add(partitionOfGroup); // the cluster hands the partition over

    expect((await harness.coordinator.joinGroup(joinInput())).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(harness.coordinator.fetchOffsets('group', null).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(harness.coordinator.heartbeat({ groupId: 'group', generationId: 1, memberId: 'm', groupInstanceId: null })).toBe(ErrorCode.NONE);
    expect((await sync(harness.coordinator, 'm', 1).promise).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(harness.coordinator.listGroups().errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    finishReplay();
    await settle();
    expect((await harness.coordinator.joinGroup(joinInput())).errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(log.loads).toBe(1);
  });

  test('a group moves with its partition: the old coordinator answers NOT_COORDINATOR, the new one has its state', async () => {
    const log = new MemoryGroupLog();
    const oldBroker = await Harness.started(log);
    const { memberId, join } = await joinNewMember(oldBroker.coordinator);
    await oldBroker.advance(oldBroker.config.initialRebalanceDelayMs);
    await sync(oldBroker.coordinator, memberId, 1, new Map([[memberId, Buffer.from('a')]])).promise;
    await oldBroker.coordinator.commitOffsets(commitInput({ memberId, generationId: 1, offsets: [offset('topic', 0, 99n)] }));
    expect(join.result.generationId).toBe(1);

    // A second member is mid-join when the partition moves away.
    const late = await joinNewMember(oldBroker.coordinator, { clientId: 'late' });
    oldBroker.owned.delete(partitionOfGroup);
    expect(oldBroker.coordinator.heartbeat({ groupId: 'group', generationId: 1, memberId, groupInstanceId: null })).toBe(
      ErrorCode.NOT_COORDINATOR,
    );
    await settle();
    expect(late.join.result.errorCode).toBe(ErrorCode.NOT_COORDINATOR);

    const newBroker = new Harness(log);
    newBroker.owned = new Set([partitionOfGroup]);
    await newBroker.coordinator.start();
    expect(newBroker.coordinator.describeGroup('group')).toMatchObject({ state: 'Stable' });
    expect(newBroker.coordinator.heartbeat({ groupId: 'group', generationId: 1, memberId, groupInstanceId: null })).toBe(ErrorCode.NONE);
    expect(newBroker.coordinator.fetchOffsets('group', [{ topic: 'topic', partition: 0 }]).offsets[0].offset).toBe(99n);
  });

  test('the coordinator follows ownership changes on its own, within the ownership check interval', async () => {
    const log = new MemoryGroupLog();
    const oldBroker = await Harness.started(log);
    await oldBroker.coordinator.commitOffsets(commitInput({ offsets: [offset('t', 0, 5n)] }));
    expect(oldBroker.coordinator.listGroups().groups).toHaveLength(1);
    const newBroker = new Harness(log);
    newBroker.owned.clear();
    await newBroker.coordinator.start();
    expect(newBroker.coordinator.listGroups().groups).toEqual([]);

    // The cluster moves the group's partition; nobody sends a request meanwhile.
    oldBroker.owned.delete(partitionOfGroup);
    newBroker.owned.add(partitionOfGroup);
    await oldBroker.advance(oldBroker.config.ownershipCheckIntervalMs);
    await newBroker.advance(newBroker.config.ownershipCheckIntervalMs);
    expect(oldBroker.coordinator.listGroups().groups).toEqual([]);
    expect(newBroker.coordinator.listGroups()).toEqual({ errorCode: ErrorCode.NONE, groups: [{ groupId: 'group', protocolType: '' }] });
    expect(newBroker.coordinator.fetchOffsets('group', null).offsets.map((fetched) => fetched.offset)).toEqual([5n]);
  });

  test('unloadPartition drops the groups and answers their held requests with NOT_COORDINATOR', async () => {
    const harness = await Harness.started();
    const { join } = await joinNewMember(harness.coordinator);
    harness.coordinator.unloadPartition(partitionOfGroup);
    await settle();
    expect(join.result.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(harness.scheduler.pendingTimers).toBe(2); // only the offset expiry and ownership checks remain
  });

  test('close answers held joins with NOT_COORDINATOR and stops serving', async () => {
    const harness = await Harness.started();
    const { join } = await joinNewMember(harness.coordinator);
    harness.coordinator.close();
    await settle();
    expect(join.result.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await harness.coordinator.joinGroup(joinInput())).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(harness.coordinator.listGroups().errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(harness.scheduler.pendingTimers).toBe(0);
  });
});

describe('ListGroups, DescribeGroups, DeleteGroups', () => {
  test('list and describe show groups as Kafka does', async () => {
    const harness = await Harness.started();
    const { memberId } = await joinNewMember(harness.coordinator, { clientId: 'consumer-a' });
    await harness.coordinator.commitOffsets(commitInput({ groupId: 'simple', offsets: [offset('t', 0, 1n)] }));
    expect(harness.coordinator.listGroups()).toEqual({
      errorCode: ErrorCode.NONE,
      groups: expect.arrayContaining([
        { groupId: 'group', protocolType: 'consumer' },
        { groupId: 'simple', protocolType: '' },
      ]),
    });
    // During a rebalance members are listed without metadata or assignment.
    expect(harness.coordinator.describeGroup('group')).toEqual({
      errorCode: ErrorCode.NONE,
      groupId: 'group',
      state: 'PreparingRebalance',
      protocolType: 'consumer',
      protocolName: '',
      members: [
        { memberId, groupInstanceId: null, clientId: 'consumer-a', clientHost: '/127.0.0.1', metadata: Buffer.alloc(0), assignment: Buffer.alloc(0) },
      ],
    });
    await harness.advance(harness.config.initialRebalanceDelayMs);
    await sync(harness.coordinator, memberId, 1, new Map([[memberId, Buffer.from('mine')]])).promise;
    expect(harness.coordinator.describeGroup('group')).toMatchObject({
      state: 'Stable',
      protocolName: 'range',
      members: [expect.objectContaining({ assignment: Buffer.from('mine') })],
    });
    expect(harness.coordinator.describeGroup('never-seen')).toMatchObject({ errorCode: ErrorCode.NONE, state: 'Dead', members: [] });
  });

  test('DeleteGroups deletes Empty groups with their offsets, and refuses the others', async () => {
    const harness = await Harness.started();
    await joinNewMember(harness.coordinator);
    await harness.coordinator.commitOffsets(commitInput({ groupId: 'simple', offsets: [offset('t', 0, 1n), offset('t', 1, 2n)] }));
    const results = await harness.coordinator.deleteGroups(['simple', 'group', 'missing']);
    expect(results).toEqual([
      { groupId: 'simple', errorCode: ErrorCode.NONE },
      { groupId: 'group', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'missing', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    expect(harness.coordinator.fetchOffsets('simple', null).offsets).toEqual([]);
    await harness.restart();
    expect(harness.coordinator.describeGroup('simple').state).toBe('Dead');
    expect(harness.coordinator.fetchOffsets('simple', null).offsets).toEqual([]);
  });

  test('a group deleted while a member of it waits for its held join is not resurrected', async () => {
    const harness = await Harness.started();
    const pending = new Pending(harness.coordinator.joinGroup(joinInput()));
    await settle();
    expect(pending.result.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    // The group is Empty with a pending member id: deleting it is allowed, as in Kafka.
    expect((await harness.coordinator.deleteGroups(['group']))[0].errorCode).toBe(ErrorCode.NONE);
    const rejoin = await harness.coordinator.joinGroup(joinInput({ memberId: pending.result.memberId }));
    expect(rejoin.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });
});
