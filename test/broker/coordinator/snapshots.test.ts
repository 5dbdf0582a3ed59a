/**
 * Snapshots of a __consumer_offsets partition: loading reads only the log from the last complete
 * snapshot on, and gets exactly what replaying the whole log gets.
 */
import { loadGroups } from '../../../broker/coordinator/group-loader';
import type { GroupLogRecord } from '../../../broker/coordinator/group-log';
import { GroupWriter } from '../../../broker/coordinator/group-writer';
import { silentLogger } from '../../../broker/log';
import { settle } from './manual-scheduler';
import { MemoryGroupLog } from './memory-group-log';
import { Harness, Pending, TEST_CONFIG, commitInput, joinNewMember, offset, sync } from './harness';

const P = 0;

const commitRecord = (groupId: string, topic: string, partition: number, value: bigint | null): GroupLogRecord => ({
  kind: 'offset',
  groupId,
  topic,
  partition,
  value: value === null ? null : { offset: value, leaderEpoch: -1, metadata: '', commitTimestampMs: 1, expireTimestampMs: undefined },
});

const load = (log: MemoryGroupLog) =>
  loadGroups(log, P, { partitionOf: () => P, nowMs: 0, logger: silentLogger() });

const offsetsOf = (groups: Awaited<ReturnType<typeof load>>['groups']) =>
  Object.fromEntries(
    groups.flatMap((group) => [...group.offsets.entries()].map(({ topic, partition, committed }) => [`${group.groupId}/${topic}/${partition}`, committed.offset])),
  );

describe('loading from the last snapshot', () => {
  test('without a marker the whole log is replayed', async () => {
    const log = new MemoryGroupLog();
    await log.append(P, [commitRecord('g', 't', 0, 1n), commitRecord('g', 't', 1, 2n), commitRecord('g', 't', 0, null)]);
    const loaded = await load(log);
    expect(offsetsOf(loaded.groups)).toEqual({ 'g/t/1': 2n });
    expect(loaded).toMatchObject({ recordsSinceSnapshot: 3, snapshotSize: 0 });
  });

  test('replay starts at the last complete snapshot; a later partial snapshot changes nothing', async () => {
    const log = new MemoryGroupLog();
    // A long history: many commits, and a key deleted before the snapshot.
    for (let i = 0; i < 5_000; i++) await log.append(P, [commitRecord('g', 't', i % 4, BigInt(i))]);
    await log.append(P, [commitRecord('g', 't', 3, null)]);
    const snapshotStart = BigInt(log.records(P).length);
    await log.append(P, [commitRecord('g', 't', 0, 4996n), commitRecord('g', 't', 1, 4997n), commitRecord('g', 't', 2, 4998n)]);
    await log.append(P, [{ kind: 'snapshot-marker', snapshotStart }]);
    await log.append(P, [commitRecord('g', 't', 0, 7000n)]);
    // A snapshot that a crash cut short, before its marker.
    await log.append(P, [commitRecord('g', 't', 0, 7000n), commitRecord('g', 't', 1, 4997n)]);

    log.recordsRead = 0;
    const loaded = await load(log);
    expect(offsetsOf(loaded.groups)).toEqual({ 'g/t/0': 7000n, 'g/t/1': 4997n, 'g/t/2': 4998n });
    expect(loaded).toMatchObject({ recordsSinceSnapshot: 3, snapshotSize: 4 });
    // The 1,024-record window at the end found the marker: far less than the 5,000 records before.
    expect(log.recordsRead).toBeLessThan(1_100);
  });

  test('the window grows until it finds a marker far from the end', async () => {
    const log = new MemoryGroupLog();
    await log.append(P, [commitRecord('g', 't', 0, 1n)]);
    await log.append(P, [{ kind: 'snapshot-marker', snapshotStart: 0n }]);
    for (let i = 0; i < 3_000; i++) await log.append(P, [commitRecord('g', 't', 1, BigInt(i))]);
    const loaded = await load(log);
    expect(offsetsOf(loaded.groups)).toEqual({ 'g/t/0': 1n, 'g/t/1': 2999n });
    expect(loaded.recordsSinceSnapshot).toBe(3_000);
  });
});

describe('GroupWriter', () => {
  test('a snapshot waits for appends in flight and holds back those that arrive meanwhile', async () => {
    const log = new MemoryGroupLog();
    const state = new Map<number, bigint>();
    const writer = new GroupWriter({
      log,
      logger: silentLogger(),
      snapshotMinRecords: 1_000_000,
      capture: () => [...state].map(([partition, value]) => commitRecord('g', 't', partition, value)),
    });
    log.hold();
    const first = new Pending(writer.append(P, [commitRecord('g', 't', 0, 1n)], () => state.set(0, 1n)));
    const snapshot = new Pending(writer.snapshot(P));
    await settle();
    const later = new Pending(writer.append(P, [commitRecord('g', 't', 0, 2n)], () => state.set(0, 2n)));
    await settle();
    expect(log.heldAppends).toBe(1); // only the first: the snapshot waits for it, the later one for the snapshot
    log.releaseAll();
    await settle();
    expect([first.settled, snapshot.settled, later.settled]).toEqual([true, true, true]);
    expect(log.records(P)).toEqual([
      commitRecord('g', 't', 0, 1n),
      commitRecord('g', 't', 0, 1n), // the snapshot saw the first append applied
      { kind: 'snapshot-marker', snapshotStart: 1n },
      commitRecord('g', 't', 0, 2n),
    ]);
  });
});

describe('snapshots written by the coordinator', () => {
  const config = { ...TEST_CONFIG, offsetsSnapshotMinRecords: 50 };

  test('a long history of commits loads from a snapshot into the same state', async () => {
    const harness = await Harness.started(undefined, config);
    const { memberId } = await joinNewMember(harness.coordinator);
    await harness.advance(config.initialRebalanceDelayMs);
    await sync(harness.coordinator, memberId, 1, new Map([[memberId, Buffer.from('mine')]])).promise;
    for (let i = 0; i < 3_000; i++) {
      await harness.coordinator.commitOffsets(commitInput({ memberId, generationId: 1, offsets: [offset('topic', i % 3, BigInt(i))] }));
    }
    await harness.coordinator.commitOffsets(commitInput({ groupId: 'simple', offsets: [offset('other', 0, 9n)] }));
    await settle();
    const partition = harness.coordinator.partitionFor('group');
    const records = harness.log.records(partition);
    expect(records.filter((record) => record.kind === 'snapshot-marker').length).toBeGreaterThan(2);

    harness.log.recordsRead = 0;
    await harness.restart();
    expect(harness.coordinator.fetchOffsets('group', null).offsets.map((fetched) => [fetched.partition, fetched.offset])).toEqual([
      [0, 2_997n],
      [1, 2_998n],
      [2, 2_999n],
    ]);
    expect(harness.coordinator.fetchOffsets('simple', null).offsets.map((fetched) => fetched.offset)).toEqual([9n]);
    // The generation record was written once, long before the last snapshot: the snapshot has it.
    expect(harness.coordinator.describeGroup('group')).toMatchObject({
      state: 'Stable',
      members: [expect.objectContaining({ memberId, assignment: Buffer.from('mine') })],
    });
    // A whole replay would read the 3,000 commits; the end of the log held a recent marker.
    expect(harness.log.recordsRead).toBeLessThan(records.length / 2);
  });
});
