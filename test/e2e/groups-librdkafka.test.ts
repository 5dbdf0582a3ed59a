/**
 * librdkafka 2.0.2 group consumers against a real broker process on the real storage engine:
 * `kcat -G` (auto commit on close) alone and two at once, and python3-confluent-kafka with
 * automatic and with manual synchronous commits. Each consumer started again reads only what
 * was produced after its group's last commit. Static members (group.instance.id): a consumer
 * restarted with its instance id gets its partitions back without a rebalance.
 */
import type { BrokerProcess } from '../support/broker-process';
import { kcat, runPython, type KcatMessage } from './clients';
import { duplicates, kafkaClient, startGroupBroker } from './groups-support';

async function createTopic(bootstrap: string, topic: string, numPartitions: number): Promise<void> {
  const admin = kafkaClient(bootstrap, 'test-admin').admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions }] });
  } finally {
    await admin.disconnect();
  }
}

/** Produces `count` messages `${prefix}-${i}` spread over the topic's partitions (kcat -P with a key). */
async function produce(bootstrap: string, topic: string, prefix: string, count: number, partitions: number): Promise<string[]> {
  const values = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  for (let partition = 0; partition < partitions; partition++) {
    const lines = values.filter((_, i) => i % partitions === partition);
    await kcat(bootstrap, ['-P', '-t', topic, '-p', String(partition)], { input: `${lines.join('\n')}\n` });
  }
  return values;
}

/** A `kcat -G` consumer that reads until every assigned partition is at its end (-e), then leaves. */
async function kcatGroup(bootstrap: string, group: string, topic: string): Promise<{ messages: KcatMessage[]; assigned: number[][] }> {
  // Not "-o beginning": with -G, kcat would apply it to every assignment and ignore the commits.
  const args = ['-G', group, '-e', '-J', '-X', 'auto.offset.reset=earliest', '-X', 'session.timeout.ms=6000', topic];
  const { stdout, stderr } = await kcat(bootstrap, args, {
    timeoutMs: 90_000,
  });
  const messages = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as KcatMessage);
  // "% Group g rebalanced (memberid ...): assigned: t [0], t [2]"
  const assigned = [...stderr.matchAll(/rebalanced \(memberid [^)]*\): assigned: (.*)/g)].map((match) =>
    [...match[1].matchAll(/\[(\d+)\]/g)].map((partition) => Number(partition[1])),
  );
  return { messages, assigned };
}

interface ConfluentRun {
  messages: [number, number, string][];
  assigned: number[];
  committed: Record<string, number>;
}

describe('librdkafka group consumers', () => {
  let broker: BrokerProcess;

  beforeAll(async () => {
    broker = await startGroupBroker();
  });
  afterAll(async () => {
    await broker?.stop();
    broker?.removeDataDir();
  });

  test('kcat -G reads everything, commits, and a second run reads only the new messages', async () => {
    const first = await produce(broker.bootstrap, 'kcat-solo', 'first', 30, 1); // auto-creates the topic
    const run1 = await kcatGroup(broker.bootstrap, 'kcat-solo-group', 'kcat-solo');
    expect(run1.messages.map((m) => m.payload)).toEqual(first);

    const second = await produce(broker.bootstrap, 'kcat-solo', 'second', 10, 1);
    const run2 = await kcatGroup(broker.bootstrap, 'kcat-solo-group', 'kcat-solo');
    expect(run2.messages.map((m) => m.payload)).toEqual(second);
    expect(run2.messages[0].offset).toBe(first.length);
  });

  test('two kcat -G members split the partitions and together read every message once', async () => {
    const topic = 'kcat-pair';
    await createTopic(broker.bootstrap, topic, 4);
    const sent = await produce(broker.bootstrap, topic, 'pair', 80, 4);

    const [x, y] = await Promise.all([kcatGroup(broker.bootstrap, 'kcat-pair-group', topic), kcatGroup(broker.bootstrap, 'kcat-pair-group', topic)]);
    // Both joined the first generation (the initial delay waits for the second) and split the partitions.
    expect([...x.assigned[0], ...y.assigned[0]].sort()).toEqual([0, 1, 2, 3]);
    expect(x.assigned[0].length).toBe(2);
    const values = [...x.messages, ...y.messages].map((m) => m.payload!);
    expect(duplicates(values)).toEqual([]);
    expect(values.sort()).toEqual([...sent].sort());
  });

  test.each(['manual', 'auto'])('confluent-kafka with %s commits resumes from its committed offsets', async (mode) => {
    const topic = `confluent-${mode}`;
    const group = `confluent-${mode}-group`;
    await createTopic(broker.bootstrap, topic, 3);

    const first = await produce(broker.bootstrap, topic, 'first', 30, 3);
    const run1 = await runPython<ConfluentRun>('groups_confluent.py', [broker.bootstrap, group, topic, '30', mode]);
    expect(run1.assigned).toEqual([0, 1, 2]);
    expect(run1.messages.map(([, , value]) => value).sort()).toEqual([...first].sort());
    expect(run1.committed).toEqual({ 0: 10, 1: 10, 2: 10 });

    const second = await produce(broker.bootstrap, topic, 'second', 15, 3);
    const run2 = await runPython<ConfluentRun>('groups_confluent.py', [broker.bootstrap, group, topic, '15', mode]);
    expect(run2.messages.map(([, , value]) => value).sort()).toEqual([...second].sort());
    for (const [partition, offset] of run2.messages.filter(([, , value]) => value === second[0])) {
      expect(offset).toBe(run1.committed[partition]); // second-0 is the first new message of partition 0
    }
    expect(run2.committed).toEqual({ 0: 15, 1: 15, 2: 15 });
  });

  test('a static member restarted with its instance id gets its partitions back, and the other member sees no rebalance', async () => {
    const topic = 'static-members';
    await createTopic(broker.bootstrap, topic, 4);
    const run = await runPython<Record<'a' | 'b' | 'b-again' | 'a-during-restart', [string, number[]][]>>('groups_static_confluent.py', [
      broker.bootstrap, 'static-group', topic,
    ]);
    const [[, aPartitions]] = run.a.slice(-1);
    const [[, bPartitions]] = run.b.slice(-1);
    expect([...aPartitions, ...bPartitions].sort()).toEqual([0, 1, 2, 3]);
    expect(bPartitions.length).toBeGreaterThan(0);
    expect(run['b-again']).toEqual([['assigned', bPartitions]]);
    expect(run['a-during-restart']).toEqual([]);
    await broker.waitForLog((line) => line.msg === 'static member rejoined' && line.groupInstanceId === 'instance-b', 10_000);
  });
});
