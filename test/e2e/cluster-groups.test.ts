/**
 * A consumer group survives the death (kill -9) of its coordinator's broker: the group's
 * __consumer_offsets partition is replayed by its new owner, which becomes the coordinator with
 * the committed offsets; the consumer keeps reading, and a consumer started afterwards in the same
 * group continues exactly from the committed offsets.
 */
import type { Admin, Producer } from 'kafkajs';
import { OFFSETS_TOPIC, offsetsPartitionFor } from '../../broker/coordinator/offsets-topic';
import { ClusterProcess } from '../support/cluster-process';
import { createTopic, kafka, startKafkajsGroupReader, waitForLeaders } from './cluster-clients/workload';

const TOPIC = 'orders';
const PARTITIONS = 6;
const GROUP = 'order-processors';
const OFFSETS_PARTITIONS = 50;

let cluster: ClusterProcess;
let admin: Admin;
let producer: Producer;

beforeAll(async () => {
  cluster = await ClusterProcess.start({ brokers: 3, extraArgs: ['--group-initial-rebalance-delay-ms', '0'] });
  admin = kafka(cluster.bootstrap, 'groups-admin').admin();
  await admin.connect();
  await createTopic(admin, TOPIC, PARTITIONS);
  producer = kafka(cluster.bootstrap, 'groups-producer').producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await cluster?.stop();
});

async function produce(prefix: string, count: number): Promise<void> {
  for (let n = 0; n < count; n += 30) {
    const messages = Array.from({ length: Math.min(30, count - n) }, (_, i) => ({ value: `${prefix}-${n + i}`, partition: (n + i) % PARTITIONS }));
    await producer.send({ topic: TOPIC, acks: -1, messages });
  }
}

async function committed(): Promise<number[]> {
  const [topic] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
  return [...topic.partitions].sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
}

async function waitUntil(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('the group survives its coordinator\'s death and continues from its committed offsets', async () => {
  const offsetsPartition = offsetsPartitionFor(GROUP, OFFSETS_PARTITIONS);
  await waitForLeaders(admin, OFFSETS_TOPIC, OFFSETS_PARTITIONS, () => true);
  await produce('before', 300);
  const first = await startKafkajsGroupReader(cluster.bootstrap, TOPIC, GROUP);
  try {
    await waitUntil('the consumer read the first 300', () => new Set(first.read.map((r) => r.v)).size >= 300);
    await waitUntil('the first 300 are committed', async () => (await committed()).every((offset) => offset === 50));

    const coordinatorLeaders = await waitForLeaders(admin, OFFSETS_TOPIC, OFFSETS_PARTITIONS, () => true);
    const coordinatorNode = coordinatorLeaders[offsetsPartition];
    const victim = cluster.brokers.findIndex((b) => b.spec.nodeId === coordinatorNode);
    const killedAt = Date.now();
    cluster.signal(victim, 'SIGKILL');
    await cluster.waitExit(victim);

    // The load goes on through the failover; the consumer keeps reading.
    await produce('after', 300);
    await waitUntil('the consumer read all 600', () => new Set(first.read.map((r) => r.v)).size >= 600);
    const readAllMs = Date.now() - killedAt;
    const newLeaders = await waitForLeaders(admin, OFFSETS_TOPIC, OFFSETS_PARTITIONS, (leader) => leader !== coordinatorNode);
    await waitUntil('all 600 are committed with the new coordinator', async () => (await committed()).every((offset) => offset === 100));
    process.stdout.write(
      `cluster-groups: killed broker ${coordinatorNode}, coordinator of ${GROUP} (${OFFSETS_TOPIC}-${offsetsPartition}); ` +
        `broker ${newLeaders[offsetsPartition]} took over; the consumer had read all 600 records ${readAllMs} ms after the kill; ` +
        `records read twice (rebalance redelivery): ${first.read.length - new Set(first.read.map((r) => r.v)).size}; ` +
        `retried consumer failures: ${first.retriedCrashes.length} (${[...new Set(first.retriedCrashes)].join('; ')})\n`,
    );
    expect(first.crashes).toEqual([]);
  } finally {
    await first.consumer.disconnect();
  }

  // A new member of the group starts where the group left off: only what came after.
  await produce('later', 60);
  const second = await startKafkajsGroupReader(cluster.bootstrap, TOPIC, GROUP);
  try {
    await waitUntil('the second consumer read the 60 new records', () => second.read.length >= 60);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(second.read.map((r) => r.v).sort()).toEqual(Array.from({ length: 60 }, (_, n) => `later-${n}`).sort());
    const firstOffsets = [...Array(PARTITIONS).keys()].map((p) => Math.min(...second.read.filter((r) => r.p === p).map((r) => r.o)));
    expect(firstOffsets).toEqual(Array(PARTITIONS).fill(100));
    expect(second.crashes).toEqual([]);
  } finally {
    await second.consumer.disconnect();
  }
});
