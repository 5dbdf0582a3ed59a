/**
 * The WAL reclaimer on real directories, against a ClusterState built from real entries: what is
 * deleted (finished epochs, after the grace period) and what stays.
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { type ClusterEntry, ClusterState } from '../../../broker/cluster/cluster-state';
import { WalReclaimer } from '../../../broker/cluster/wal-reclaimer';
import { DELETING_PREFIX } from '../../../broker/storage/wal/directory';
import { applyAll, register } from './fixtures/cluster-entries';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'wal-reclaim-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

test('deletes the directories of finished epochs once the grace period has passed, and nothing else', async () => {
  // Epochs 1..4 are nodes 1, 2, 3 and 1 again; epoch 1 owned t/0, epoch 4 owns t/1.
  const state = new ClusterState();
  const entries: ClusterEntry[] = [
    register(1),
    register(2),
    register(3),
    register(1),
    {
      kind: 'partitions-assigned',
      by: 2,
      changes: [
        { topic: 't', partition: 0, owner: 1, expectedVersion: 0 },
        { topic: 't', partition: 1, owner: 4, expectedVersion: 0 },
      ],
    },
    { kind: 'broker-fenced', epoch: 1, by: 2 }, // 6: t/0 waits for a replay of epoch 1
    { kind: 'partitions-assigned', by: 2, changes: [{ topic: 't', partition: 0, owner: 2, expectedVersion: 6 }] },
    { kind: 'partition-recovered', epoch: 2, topic: 't', partition: 0 }, // 8: epoch 1 is finished
    { kind: 'broker-left', epoch: 3 }, // 9: epoch 3 is finished
    { kind: 'broker-fenced', epoch: 4, by: 2 }, // 10: t/1 waits for a replay of epoch 4
  ];
  expect(applyAll(state, 1, entries).every((outcome) => outcome.applied)).toBe(true);
  const names = ['1.1', '2.2', '3.3', '1.4', '9.1', '8.77', '3', `${DELETING_PREFIX}5.5-by-epoch-2`];
  for (const name of names) await mkdir(path.join(root, name));

  let now = 0;
  const reclaimer = new WalReclaimer({ walRoot: root, graceMs: 1000, deleter: 'epoch-2', logger: pino({ level: 'silent' }), clock: () => now });
  expect(await reclaimer.pass(state)).toEqual([]);
  // The half-done deletion is finished at once; the rest waits for the grace period.
  expect((await readdir(root)).sort()).toEqual(['1.1', '1.4', '2.2', '3', '3.3', '8.77', '9.1']);
  now = 999;
  expect(await reclaimer.pass(state)).toEqual([]);
  now = 1000;
  expect((await reclaimer.pass(state)).sort()).toEqual(['1.1', '3.3']);
  // Active (2), waiting for a replay (1.4), another node's name for epoch 1 (9.1), an unknown
  // epoch (8.77) and the legacy name stay.
  expect((await readdir(root)).sort()).toEqual(['1.4', '2.2', '3', '8.77', '9.1']);

  // Epoch 4 replayed: its grace period starts when this reclaimer first sees it finished.
  applyAll(state, 11, [
    { kind: 'partitions-assigned', by: 2, changes: [{ topic: 't', partition: 1, owner: 2, expectedVersion: 10 }] },
    { kind: 'partition-recovered', epoch: 2, topic: 't', partition: 1 },
  ]);
  now = 1500;
  expect(await reclaimer.pass(state)).toEqual([]);
  now = 2499;
  expect(await reclaimer.pass(state)).toEqual([]);
  now = 2500;
  expect(await reclaimer.pass(state)).toEqual(['1.4']);
  expect((await readdir(root)).sort()).toEqual(['2.2', '3', '8.77', '9.1']);
});
