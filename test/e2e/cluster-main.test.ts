/**
 * `npm run cluster`: N broker processes on consecutive ports, one zone each, one WAL root and one
 * object store; a client sees all of them with their zones as racks; SIGTERM stops them all.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { waitForPort } from '../../broker/cluster/local-cluster';
import { ErrorCode } from '../../broker/protocol/error-codes';
import { FindCoordinatorRequest, FindCoordinatorResponse } from '../../broker/protocol/messages/find-coordinator';
import { HeartbeatRequest, HeartbeatResponse } from '../../broker/protocol/messages/heartbeat';
import { MetadataRequest, MetadataResponse } from '../../broker/protocol/messages/metadata';
import { ProduceRequest, ProduceResponse } from '../../broker/protocol/messages/produce';
import { buildRecordBatch } from '../../broker/protocol/record-batch';
import { WireClient } from '../support/wire-client';
import { createTopic, kafka, waitForBrokers } from './cluster-clients/workload';
import { until } from './groups-support';

const ROOT = path.join(__dirname, '..', '..');

/** A base port whose next two ports are free too. */
async function freeConsecutivePorts(count: number): Promise<number> {
  const isFree = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const checks = await Promise.all(Array.from({ length: count }, (_, i) => isFree(base + i)));
    if (checks.every(Boolean)) return base;
  }
}

/** The leader of each partition of `topic` (by partition index) as the broker on `port` sees it; empty while it does not know the topic. */
async function partitionLeaders(port: number, topic: string): Promise<number[]> {
  const wire = await WireClient.connect(port);
  try {
    const metadata = await wire.request(MetadataRequest, MetadataResponse, 4, { topics: [{ name: topic }], allowAutoTopicCreation: false });
    const known = metadata.topics.find((t) => t.name === topic && t.errorCode === Number(ErrorCode.NONE));
    if (!known) return [];
    const leaders: number[] = [];
    for (const partition of known.partitions) leaders[partition.partitionIndex] = partition.leaderId;
    return leaders;
  } finally {
    wire.close();
  }
}

let dataDir: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'dk-cluster-main-'));
});

afterAll(async () => {
  // After a failed test: SIGTERM, so that the supervisor stops its brokers (they run in their own
  // process groups, and a SIGKILL would leave them running); SIGKILL only if it does not exit.
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child!.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
  await rm(dataDir, { recursive: true, force: true });
});

test('npm run cluster -- --brokers 3: three brokers in three zones, requests to non-owners redirected, SIGTERM stops all', async () => {
  const port = await freeConsecutivePorts(3);
  const metricsPort = await freeConsecutivePorts(3);
  child = spawn(
    process.execPath,
    [
      '--import', 'tsx', path.join(ROOT, 'broker', 'cluster-main.ts'), '--brokers', '3', '--port', String(port), '--data-dir', dataDir,
      '--instance-metadata', 'off', '--wal-capacity-mib', '16', '--metrics-port', String(metricsPort),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
  await Promise.all([0, 1, 2].map((i) => waitForPort('127.0.0.1', port + i, 60_000)));
  // Each broker serves its metrics on its own port, counting up from --metrics-port.
  await Promise.all([0, 1, 2].map((i) => waitForPort('127.0.0.1', metricsPort + i, 60_000)));
  for (const i of [0, 1, 2]) {
    const scraped = await fetch(`http://127.0.0.1:${metricsPort + i}/metrics`);
    expect([scraped.status, (await scraped.text()).includes('# TYPE diskless_kafka_wal_used_bytes gauge')]).toEqual([200, true]);
  }

  const bootstrap = [`127.0.0.1:${port}`];
  const admin = kafka(bootstrap, 'cluster-main-admin').admin();
  await admin.connect();
  await waitForBrokers(admin, 3);
  await createTopic(admin, 'spread', 6);
  const { brokers } = await admin.describeCluster();
  await admin.disconnect();
  expect(brokers.map((b) => [b.nodeId, b.port]).sort()).toEqual([
    [1, port],
    [2, port + 1],
    [3, port + 2],
  ]);
  // Each broker learns of the topic when it next polls the metadata log, as Kafka's brokers learn
  // of it from the controller: wait until all three answer with the same leaders. A broker the
  // controller did not count as live yet when the topic was created gets its share when it is
  // (a loaded machine shows that first state: all six on one broker): wait for the balance too.
  let views: number[][] = [];
  const balanced = (view: number[]): boolean => JSON.stringify([...view].sort()) === JSON.stringify([1, 1, 2, 2, 3, 3]);
  await until(
    'the three brokers to report the same balanced leaders for the new topic',
    async () => {
      views = await Promise.all([0, 1, 2].map((i) => partitionLeaders(port + i, 'spread')));
      return views.every((view) => view.length === 6 && JSON.stringify(view) === JSON.stringify(views[0])) && balanced(views[0]);
    },
    15_000,
    () => views,
  );
  const leaders = views[0];
  // Every broker leads two of the six partitions: one topic spread over the three zones.
  expect([...leaders].sort()).toEqual([1, 1, 2, 2, 3, 3]);
  // Zones are reported as racks (Metadata v1+).
  const wire = await WireClient.connect(port + 1);
  const metadata = await wire.request(MetadataRequest, MetadataResponse, 4, { topics: [], allowAutoTopicCreation: false });
  wire.close();
  expect(metadata.brokers.map((b) => [b.nodeId, b.rack]).sort()).toEqual([
    [1, 'local-a'],
    [2, 'local-b'],
    [3, 'local-c'],
  ]);
  // A broker that does not own a partition sends producers to its owner...
  const notOwner = leaders.findIndex((leader) => leader !== 1);
  const toBroker1 = await WireClient.connect(port);
  const produced = await toBroker1.request(ProduceRequest, ProduceResponse, 7, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: 'spread', partitionData: [{ index: notOwner, records: buildRecordBatch([{ value: 'x' }]) }] }],
  });
  expect(produced.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  // ...and group members to the group's coordinator, which every broker names alike once their
  // views of the assignment agree (each follows the metadata log by polling it).
  let coordinators: number[] = [];
  await until(
    'the three brokers to name the same coordinator',
    async () => {
      coordinators = await Promise.all(
        [0, 1, 2].map(async (i) => {
          const wire = await WireClient.connect(port + i);
          const answer = await wire.request(FindCoordinatorRequest, FindCoordinatorResponse, 1, { key: 'some-group', keyType: 0 });
          wire.close();
          return answer.nodeId;
        }),
      );
      return new Set(coordinators).size === 1 && coordinators[0] > 0;
    },
    15_000,
    () => coordinators,
  );
  const other = [1, 2, 3].find((node) => node !== coordinators[0])!;
  const toOther = await WireClient.connect(port + other - 1);
  const heartbeat = await toOther.request(HeartbeatRequest, HeartbeatResponse, 1, { groupId: 'some-group', generationId: 1, memberId: 'm' });
  expect(heartbeat.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
  toBroker1.close();
  toOther.close();

  // One WAL directory per node (one per incarnation: <node>.<epoch>) under the shared root.
  expect((await readdir(path.join(dataDir, 'wal'))).map((name) => name.split('.')[0]).sort()).toEqual(['1', '2', '3']);
  expect((await readdir(path.join(dataDir, 'wal'))).every((name) => /^\d+\.\d+$/.test(name))).toBe(true);

  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(stderr).toContain('zone local-a');
  expect(stderr).toContain('zone local-c');
  expect(stderr).toContain('draining and stopping 3 brokers');
});
