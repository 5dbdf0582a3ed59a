/**
 * The coordinator cuts a __consumer_offsets partition before its last complete snapshot, over the
 * real storage engine (WAL, uploads, metadata log on real files): the log start moves there once
 * the snapshot is uploaded, and restarted coordinators and brokers still load every offset.
 */
import { GroupCoordinator } from '../../../broker/coordinator/coordinator';
import type { GroupLogRecord } from '../../../broker/coordinator/group-log';
import { ensureOffsetsTopic, OFFSETS_TOPIC } from '../../../broker/coordinator/offsets-topic';
import { StorageGroupLog } from '../../../broker/coordinator/storage-group-log';
import { silentLogger } from '../../../broker/log';
import { ErrorCode } from '../../../broker/protocol/error-codes';
import type { StorageEngine } from '../../../broker/storage';
import { EARLIEST_TIMESTAMP } from '../../../broker/storage/storage';
import { engineFixture } from '../storage/engine/helpers';
import { TEST_CONFIG, commitInput, offset } from './harness';
import { ManualScheduler } from './manual-scheduler';

const fixture = engineFixture();
const config = { ...TEST_CONFIG, offsetsSnapshotMinRecords: 50 };
const P = 0; // one partition of __consumer_offsets: every group lives in it
const GROUPS = ['g0', 'g1', 'g2'];

function groupLog(engine: StorageEngine, scheduler: ManualScheduler): StorageGroupLog {
  return new StorageGroupLog(engine, { appendTimeoutMs: 5_000, nowMs: () => scheduler.nowMs(), logger: silentLogger() });
}

async function startCoordinator(engine: StorageEngine, scheduler: ManualScheduler): Promise<GroupCoordinator> {
  await ensureOffsetsTopic(engine, 1);
  const coordinator = new GroupCoordinator({
    config,
    partitionCount: 1,
    log: groupLog(engine, scheduler),
    scheduler,
    ownsPartition: () => true,
  });
  await coordinator.start();
  return coordinator;
}

const logStart = async (engine: StorageEngine) =>
  (await engine.offsetForTimestamp({ topic: OFFSETS_TOPIC, partition: P }, EARLIEST_TIMESTAMP)).offset;

const committed = (coordinator: GroupCoordinator) =>
  Object.fromEntries(
    GROUPS.map((groupId) => [
      groupId,
      coordinator
        .fetchOffsets(groupId, null)
        .offsets.map((fetched) => [fetched.partition, fetched.offset])
        .sort(([a], [b]) => Number(a) - Number(b)),
    ]),
  );

test('the log is cut at the last snapshot once it is uploaded; restarts still load every offset', async () => {
  // Nothing is uploaded until the test flushes.
  let engine = await fixture.start({ uploadAgeMs: 3_600_000, objectDeleteGraceMs: 0 });
  const scheduler = new ManualScheduler(Date.now());
  let coordinator = await startCoordinator(engine, scheduler);

  // 6 live keys, so a snapshot (7 records) follows every 50 records: after commits 50 and 100.
  // Commit 101 waited for the second one, so none is being written after commit 120.
  for (let i = 0; i < 120; i++) {
    const result = await coordinator.commitOffsets(commitInput({ groupId: GROUPS[i % 3], offsets: [offset('topic', i % 2, BigInt(i))] }));
    expect(result).toEqual([{ topic: 'topic', partition: i % 2, errorCode: ErrorCode.NONE }]);
  }
  const expected = committed(coordinator);
  expect(expected).toEqual({ g0: [[0, 114n], [1, 117n]], g1: [[0, 118n], [1, 115n]], g2: [[0, 116n], [1, 119n]] });

  const markers: bigint[] = [];
  await groupLog(engine, scheduler).read(P, 0n, (record: GroupLogRecord) => {
    if (record.kind === 'snapshot-marker') markers.push(record.snapshotStart);
  });
  expect(markers).toHaveLength(2);
  const lastSnapshotStart = markers[1];
  expect(lastSnapshotStart).toBeGreaterThan(100n);

  // The snapshot is durable in the WAL but not uploaded: the storage refuses to cut there yet.
  await coordinator.trimLogs();
  expect(await logStart(engine)).toBe(0n);

  await engine.flush();
  await coordinator.trimLogs();
  expect(await logStart(engine)).toBe(lastSnapshotStart);
  const [below] = await engine.fetch([{ topic: OFFSETS_TOPIC, partition: P, fetchOffset: 0n, maxBytes: 10_000 }], {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 10_000,
  });
  expect(below.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);

  // A new coordinator over the cut log (a failover) loads the same offsets.
  coordinator.close();
  coordinator = await startCoordinator(engine, scheduler);
  expect(committed(coordinator)).toEqual(expected);

  // So does one on a restarted broker: the log start came back from the metadata log.
  coordinator.close();
  await fixture.stop();
  engine = await fixture.start({ uploadAgeMs: 3_600_000, objectDeleteGraceMs: 0 });
  coordinator = await startCoordinator(engine, scheduler);
  expect(await logStart(engine)).toBe(lastSnapshotStart);
  expect(committed(coordinator)).toEqual(expected);

  // It goes on cutting. The load found 20 records after the snapshot, so commit 150 waits for
  // the third snapshot; commits 150-169 and the last one follow it (21 records: no fourth).
  for (let i = 120; i < 170; i++) {
    await coordinator.commitOffsets(commitInput({ groupId: GROUPS[i % 3], offsets: [offset('topic', i % 2, BigInt(i))] }));
  }
  await coordinator.commitOffsets(commitInput({ groupId: 'g0', offsets: [offset('topic', 0, 1_000n)] }));
  await engine.flush();
  await coordinator.trimLogs();
  const newStart = await logStart(engine);
  expect(newStart).toBeGreaterThan(lastSnapshotStart);
  const markersLeft: bigint[] = [];
  await groupLog(engine, scheduler).read(P, newStart, (record) => {
    if (record.kind === 'snapshot-marker') markersLeft.push(record.snapshotStart);
  });
  expect(markersLeft).toEqual([newStart]);
  const latest = committed(coordinator);
  coordinator.close();
  coordinator = await startCoordinator(engine, scheduler);
  expect(committed(coordinator)).toEqual(latest);
  expect(latest.g0).toEqual([[0, 1_000n], [1, 165n]]);
  coordinator.close();
});
