/**
 * What a drain does with the broker's WAL directory, on real parts: the ClusterRuntime and its
 * ClusterNode (real timers, lease 2 s), the storage engine with its WAL files in a temporary
 * "shared" root, and the local-directory object store. A drain that completed deletes the
 * directory; one that could not upload in time, or a fenced broker, keeps it; the node id started
 * again formats a new WAL.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ClusterRuntime } from '../../../broker/cluster/cluster-runtime';
import { clusterSection } from '../../../broker/cluster/cluster-section';
import { createLogger } from '../../../broker/log';
import { DATA_PATH_SECTIONS, MetadataLog } from '../../../broker/metadata';
import { createStorage, replayWal, RecordType, type StorageEngine } from '../../../broker/storage';
import type { ObjectStore } from '../../../broker/storage/object-store';
import { FileObjectStore } from '../../../broker/storage/object-stores';
import { readRecords } from '../../../broker/protocol/record-batch';
import { HEADER_FILE, HEADER_SLOT_BYTES } from '../../../broker/storage/wal/format';
import { stallableStore } from '../../support/stallable-store';
import { produce, readAll, silentLogger, tempDirs, type TempDirs } from '../storage/engine/helpers';

const NODE_ID = 1;
const WAL_CAPACITY_MIB = 1;

interface Member {
  readonly runtime: ClusterRuntime;
  readonly storage: StorageEngine;
  readonly exits: number[];
  readonly logs: Record<string, unknown>[];
}

let dirs: TempDirs;
beforeEach(async () => {
  dirs = await tempDirs();
});
afterEach(() => dirs.remove());

/**
 * Starts node NODE_ID as main.ts does in cluster mode (runtime, storage, drain armed) and waits
 * until it serves partition t-0. Uploads wait a minute: what is produced stays in the WAL until
 * the drain uploads it.
 */
async function startMember(store: ObjectStore, drainDeadlineMs = 30_000): Promise<Member> {
  const logs: Record<string, unknown>[] = [];
  const exits: number[] = [];
  const logger = createLogger('info', { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) });
  const runtime = new ClusterRuntime({
    config: {
      nodeId: NODE_ID,
      advertisedHost: '127.0.0.1',
      zone: 'test-a',
      clusterId: 'test',
      walDir: dirs.walDir,
      leaseMs: 2000,
      leaseRenewMs: 500,
      clusterPollMs: 100,
      drainDeadlineMs,
      walReclaimAfterMs: 600_000,
      instanceMetadata: 'off',
      lifecycleHookName: undefined,
      autoScalingGroupName: undefined,
    },
    port: 9092,
    store,
    logger,
    exit: (code) => exits.push(code),
  });
  const storage = createStorage(
    { nodeId: NODE_ID, walDir: dirs.walDir, objectStore: store, walCapacityMiB: WAL_CAPACITY_MIB, uploadAgeMs: 60_000, ...runtime.storageOptions() },
    logger,
  );
  runtime.attach(storage);
  await storage.start();
  runtime.storageStarted();
  await runtime.armDrain(() => storage.close());
  if (storage.describeTopic('t') === undefined) await storage.createTopic('t', 1, {});
  await until(() => runtime.clusterNode.servesLocally('t', 0));
  return { runtime, storage, exits, logs };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** The values of the data records in the WAL directory, read as a replaying broker would. */
async function walValues(dir: string): Promise<string[]> {
  const values: string[] = [];
  await replayWal(dir, (record) => {
    if (record.type === RecordType.Data) values.push(...readRecords(record.payload).map((r) => r.value!.toString()));
  });
  return values;
}

test('a completed drain deletes the WAL directory; the node id started again formats a new WAL, serves, and has every record', async () => {
  const store = new FileObjectStore(path.join(dirs.root, 'objects'));
  const first = await startMember(store);
  const walDir = first.storage.walDirectory;
  expect(walDir).toBe(path.join(dirs.walDir, `${NODE_ID}.${first.storage.epoch}`));
  await produce(first.storage, 't', 0, ['a', 'b', 'c']);
  expect(await walValues(walDir)).toEqual(['a', 'b', 'c']);

  await first.runtime.startDrain('SIGTERM');
  expect(first.exits).toEqual([0]);
  expect(existsSync(walDir)).toBe(false);
  const deleted = first.logs.find((line) => line.msg === 'drain: deleted the WAL directory (everything in it was committed)');
  expect(deleted).toMatchObject({ dir: walDir, bytes: WAL_CAPACITY_MIB * 1024 * 1024 + 2 * HEADER_SLOT_BYTES });

  const second = await startMember(store);
  // Nothing to take over: a directory of its own, formatted.
  expect(second.logs.filter((line) => line.msg === 'WAL formatted').map((line) => line.dir)).toEqual([second.storage.walDirectory]);
  expect(second.logs.some((line) => line.msg === 'took over the WAL directory of an earlier incarnation')).toBe(false);
  expect(await produce(second.storage, 't', 0, ['d'])).toMatchObject({ baseOffset: 3n });
  // a, b and c were only in the deleted WAL when the drain began: they come from the object store.
  expect((await readAll(second.storage, 't', 0)).map(([, value]) => value)).toEqual(['a', 'b', 'c', 'd']);
  await second.runtime.startDrain('SIGTERM');
  expect(second.exits).toEqual([0]);
});

test('a drain that cannot upload before its deadline keeps the WAL directory and its records, also once the upload ends late', async () => {
  const objects = stallableStore(path.join(dirs.root, 'objects'));
  const member = await startMember(objects.store, 1000);
  const walDir = member.storage.walDirectory;
  await produce(member.storage, 't', 0, ['a', 'b']);
  objects.stall();

  await member.runtime.startDrain('SIGTERM');
  expect(member.exits).toEqual([1]);
  expect(objects.stalledPuts()).toBeGreaterThan(0);
  expect(await walValues(walDir)).toEqual(['a', 'b']);

  // In production the process is gone by now. Here the store comes back and the hand-off and the
  // shutdown finish after the deadline: the directory still stays.
  objects.resume();
  await until(() => member.logs.some((line) => line.msg === 'storage closed'));
  await new Promise((resolve) => setImmediate(resolve));
  expect(existsSync(path.join(walDir, HEADER_FILE))).toBe(true);
  expect(member.logs.some((line) => String(line.msg).startsWith('drain: deleted'))).toBe(false);
});

test('a fenced broker keeps its WAL directory even when its WAL is empty: it belongs to the replay', async () => {
  const store = new FileObjectStore(path.join(dirs.root, 'objects'));
  const member = await startMember(store);
  const walDir = member.storage.walDirectory;
  const controller = new MetadataLog({ store, sections: [...DATA_PATH_SECTIONS, clusterSection], nodeId: 2, logger: silentLogger });
  await controller.open();
  await controller.append(() => ({ kind: 'broker-fenced', epoch: member.storage.epoch, by: 0 }));
  await until(() => member.runtime.clusterNode.fenced);
  expect(member.exits).toEqual([75]);

  await member.runtime.startDrain('SIGTERM');
  expect(existsSync(path.join(walDir, HEADER_FILE))).toBe(true);
  expect(member.logs.find((line) => line.msg === 'drain: keeping the WAL directory')).toMatchObject({
    dir: walDir,
    reason: 'this broker was fenced: its WAL belongs to the replay',
  });
  await controller.close();
});
