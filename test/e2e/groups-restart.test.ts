/**
 * kill -9 of the broker while a kafkajs group is consuming and committing. The broker comes back
 * with a new, empty local data directory (the machine and its disk are gone), on the same WAL
 * directory (the shared file system) and object store; the same consumers find it again (their
 * bootstrap follows the new port), the group re-forms, and it continues from the offsets it had
 * committed: every commit the broker acknowledged before it died is still there, and no
 * partition is read again from before it.
 */
import type { Admin, Producer } from 'kafkajs';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BrokerProcess, makeTempDir } from '../support/broker-process';
import { GroupLog, InProcessMember, kafkaClient, produce, until } from './groups-support';

const TOPIC = 'restart-topic';
const PARTITIONS = 4;
const GROUP = 'restart-group';
/** Long enough for the test to read the committed offsets before the re-formed group commits. */
const GROUP_FLAGS = [
  '--group-initial-rebalance-delay-ms', '2000',
  '--group-min-session-timeout-ms', '1000',
  // Frequent snapshots, so that the restart loads the group's partition from one.
  '--offsets-snapshot-min-records', '20',
];
/** Stands in for the shared file system and the bucket: what outlives a broker's machine. */
const shared = makeTempDir('dk-shared-');
const SHARED_FLAGS = ['--wal-dir', path.join(shared, 'wal'), '--object-store', pathToFileURL(path.join(shared, 'objects')).href];

async function committedOffsets(admin: Admin): Promise<Map<number, number>> {
  const [topic] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
  return new Map(topic.partitions.map(({ partition, offset }) => [partition, Number(offset)]));
}

describe('a consumer group across kill -9 of the broker', () => {
  let broker: BrokerProcess;
  let bootstrap = '';
  const log = new GroupLog();
  const members: InProcessMember[] = [];
  let producer: Producer | undefined;

  afterAll(async () => {
    for (const member of members) await member.stop().catch(() => undefined);
    await producer?.disconnect();
    await broker?.stop();
    broker?.removeDataDir();
    rmSync(shared, { recursive: true, force: true });
  });

  test('the group re-forms and continues from its last committed offsets, none lost', async () => {
    broker = await BrokerProcess.start({ args: [...GROUP_FLAGS, ...SHARED_FLAGS] });
    bootstrap = broker.bootstrap;
    const admin = kafkaClient(bootstrap, 'test-admin').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
    producer = kafkaClient(bootstrap, 'test-producer').producer();
    await producer.connect();
    const before = await produce(producer, TOPIC, PARTITIONS, 'before', 2_000);
    await producer.disconnect();
    await admin.disconnect();

    // Slow consumers, so that the kill comes in the middle of the topic.
    const slow = () => new Promise<void>((resolve) => setTimeout(resolve, 2));
    members.push(...(await Promise.all(['a', 'b'].map((name) => InProcessMember.start(() => bootstrap, GROUP, TOPIC, name, log, slow)))));
    await until('some records consumed and committed', () => log.messages.length >= 300 && new Set(log.commits.map((c) => c.partition)).size === PARTITIONS);

    await broker.kill();
    await new Promise((resolve) => setTimeout(resolve, 500)); // answers already on the wire count too
    const acknowledged = new Map<number, number>();
    for (const { partition, offset } of log.commits) acknowledged.set(partition, Math.max(acknowledged.get(partition) ?? 0, offset));
    const consumedBeforeRestart = log.messages.length;
    const joinsBeforeRestart = log.joins.length;
    expect(consumedBeforeRestart).toBeLessThan(before.length); // really mid-consumption

    broker.removeDataDir(); // the local disk is lost with the machine
    broker = await BrokerProcess.start({ args: [...GROUP_FLAGS, ...SHARED_FLAGS] });
    bootstrap = broker.bootstrap;
    const checker = kafkaClient(bootstrap, 'test-checker').admin();
    await checker.connect();
    const afterRestart = await committedOffsets(checker);
    await checker.disconnect();
    for (const [partition, offset] of acknowledged) {
      expect({ partition, committed: afterRestart.get(partition) }).toEqual({ partition, committed: offset });
    }

    const rejoins = () => log.joins.slice(joinsBeforeRestart);
    await until('the group re-formed with both members', () => ['a', 'b'].every((name) => rejoins().some((join) => join.member === name)));
    // More records after the restart, so that even a partition read to its end before the kill
    // shows where the group resumes.
    producer = kafkaClient(() => bootstrap, 'test-producer').producer();
    await producer.connect();
    const after = await produce(producer, TOPIC, PARTITIONS, 'after', 40);
    const all = new Set([...before, ...after]);
    await until('every record consumed', () => new Set(log.messages.map((m) => m.value)).size >= all.size, 120_000, () => log.messages.length);
    expect(new Set(log.messages.map((m) => m.value))).toEqual(all);
    // The group's partition was loaded from a snapshot, not from its first record.
    const loadedFrom = await broker.waitForLog((line) => line.msg === 'loaded group partition' && (line.snapshotSize as number) > 0);
    expect(loadedFrom.recordsSinceSnapshot).toBeLessThan(log.commits.length);
    // What the members read once the group had re-formed (before, they may still have been
    // finishing batches fetched before the kill).
    const resumed = log.messages.slice(Math.min(...rejoins().map((join) => join.messagesBefore)));
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const first = resumed.find((m) => m.partition === partition);
      // The first record of each partition after the restart is the one after the last commit.
      expect({ partition, first: first?.offset }).toEqual({ partition, first: afterRestart.get(partition) });
    }
  });
});
