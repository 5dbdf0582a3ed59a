/**
 * Two controllers at once (a takeover while the old one is paused, say), as real processes on the
 * real local-directory store: both compute their decisions from the same old state and race to
 * append them. The log orders them; deterministic apply keeps the first and ignores the outdated
 * second, and every process ends up with the same ownership.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { clusterSection } from '../../../broker/cluster/cluster-section';
import { DATA_PATH_SECTIONS, MetadataLog } from '../../../broker/metadata';
import { FileObjectStore } from '../../../broker/storage/object-stores';

const run = promisify(execFile);
let tempDir: string;
beforeAll(async () => {
  tempDir = await mkdtemp(path.join(tmpdir(), 'controller-race-'));
});
afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

test('racing controllers: one assignment per partition wins, the outdated one is ignored everywhere', async () => {
  const root = path.join(tempDir, 'store');
  const log = new MetadataLog({ store: new FileObjectStore(root), sections: [...DATA_PATH_SECTIONS, clusterSection], nodeId: 0, logger: pino({ level: 'silent' }) });
  await log.open();
  const register = async (nodeId: number) =>
    (await log.append(() => ({ kind: 'broker-registered', nodeId, host: 'h', port: nodeId, zone: null })))!.sequence;
  const [a, b, victim] = [await register(1), await register(2), await register(3)];
  await log.append(() => ({ kind: 'topic-created', name: 't', topicId: 'cd'.repeat(16), partitionCount: 8, configs: {}, internal: false }));

  const startFile = path.join(tempDir, 'start');
  const script = path.join(__dirname, 'fixtures', 'controller-racer.ts');
  const racers = [
    { nodeId: 1, owner: a },
    { nodeId: 2, owner: b },
  ].map(({ nodeId, owner }) =>
    run(process.execPath, ['--import', 'tsx', script, root, String(nodeId), String(owner), String(victim), '8', startFile], { timeout: 60_000 }),
  );
  await new Promise((resolve) => setTimeout(resolve, 1500)); // both processes open the log
  await writeFile(startFile, '');
  const results = (await Promise.all(racers)).map((r) => JSON.parse(r.stdout) as {
    head: number;
    assignedIgnored: number;
    fenceRejected: boolean;
    owners: { owner: number; version: number }[];
    victim: string;
  });

  await log.catchUp();
  const state = log.state.get(clusterSection);
  const owners = Array.from({ length: 8 }, (_, p) => state.partition('t', p).owner);
  // All partitions went to the controller whose entry came first, none to the other.
  expect(new Set(owners).size).toBe(1);
  expect([a, b]).toContain(owners[0]);
  // The loser's whole assignment was ignored, and exactly one fence took effect.
  expect(results.map((r) => r.assignedIgnored).sort()).toEqual([0, 8]);
  expect(results.map((r) => r.fenceRejected).sort()).toEqual([false, true]);
  // Every process, and a third reader, agree on the outcome.
  for (const result of results) {
    expect(result.owners.map((o) => o.owner)).toEqual(owners);
    expect(result.victim).toBe('fenced');
  }
  expect(state.broker(victim)?.status).toBe('fenced');
});
