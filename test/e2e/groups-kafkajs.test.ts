/**
 * kafkajs 2.2.4 consumer groups against a real broker process on the real storage engine: three
 * members share a six-partition topic and read every record exactly once while the group is
 * stable; a member that leaves hands its partitions over at once; a member killed with SIGKILL
 * loses them when its session times out; a consumer started later resumes from the committed
 * offsets.
 */
import type { Admin, Producer } from 'kafkajs';
import type { BrokerProcess } from '../support/broker-process';
import {
  ChildMember,
  GroupLog,
  InProcessMember,
  duplicates,
  kafkaClient,
  produce,
  startGroupBroker,
  until,
} from './groups-support';

const TOPIC = 'orders';
const PARTITIONS = 6;
const GROUP = 'kafkajs-group';

describe('kafkajs consumer group', () => {
  let broker: BrokerProcess;
  let admin: Admin;
  let producer: Producer;
  const log = new GroupLog();
  const members: { stop(): Promise<void> }[] = [];
  let a: InProcessMember;
  let b: InProcessMember;
  let c: ChildMember;

  const owned = (...names: string[]): number[] => names.flatMap((name) => log.latestJoin(name)?.partitions ?? []).sort();
  const ALL = [...Array(PARTITIONS).keys()];
  const valuesWith = (prefix: string): string[] => log.messages.map((m) => m.value).filter((v) => v.startsWith(`${prefix}-`));

  beforeAll(async () => {
    broker = await startGroupBroker();
    const kafka = kafkaClient(broker.bootstrap, 'test-admin');
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
    producer = kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    for (const member of members) await member.stop().catch(() => undefined);
    await c?.kill();
    await producer?.disconnect();
    await admin?.disconnect();
    await broker?.stop();
    broker?.removeDataDir();
  });

  test('three members share six partitions and read every record exactly once while stable', async () => {
    c = ChildMember.start(broker.bootstrap, GROUP, TOPIC, 'c', log);
    [a, b] = await Promise.all(['a', 'b'].map((name) => InProcessMember.start(broker.bootstrap, GROUP, TOPIC, name, log)));
    members.push(a, b);
    await until('a stable group of three with two partitions each', () =>
      ['a', 'b', 'c'].every((name) => log.latestJoin(name)?.partitions.length === 2) && owned('a', 'b', 'c').join() === ALL.join(),
    );
    const joinsWhenStable = log.joins.length;

    const sent = await produce(producer, TOPIC, PARTITIONS, 'first', 600);
    await until('every record consumed', () => valuesWith('first').length >= sent.length, 60_000, () => valuesWith('first').length);

    expect(log.joins.length).toBe(joinsWhenStable); // no rebalance meanwhile
    expect(duplicates(valuesWith('first'))).toEqual([]);
    expect(valuesWith('first').sort()).toEqual([...sent].sort());
    for (const name of ['a', 'b', 'c']) {
      const partitions = new Set(log.messages.filter((m) => m.member === name).map((m) => m.partition));
      expect([...partitions].sort()).toEqual(owned(name));
    }
  });

  test('a member that leaves hands its partitions to the others at once', async () => {
    const bPartitions = owned('b');
    await b.stop(); // commits, then LeaveGroup
    members.splice(members.indexOf(b), 1);
    await until('a and c own all six partitions', () => owned('a', 'c').join() === ALL.join());
    expect(owned('a', 'c')).toEqual(expect.arrayContaining(bPartitions));

    const sent = await produce(producer, TOPIC, PARTITIONS, 'second', 300);
    await until('every record consumed', () => valuesWith('second').length >= sent.length, 60_000, () => valuesWith('second').length);
    expect(duplicates(valuesWith('second'))).toEqual([]);
    expect(log.messages.filter((m) => m.value.startsWith('second-')).every((m) => m.member !== 'b')).toBe(true);
    // b committed what it had read before leaving: nobody read its records again.
    expect(duplicates(valuesWith('first'))).toEqual([]);
  });

  test('a member killed with SIGKILL loses its partitions when its session times out', async () => {
    const cPartitions = owned('c');
    await c.kill();
    await until('a owns all six partitions', () => owned('a').join() === ALL.join(), 60_000, () => log.joins.slice(-3));
    expect(cPartitions.length).toBeGreaterThan(0);

    const sent = await produce(producer, TOPIC, PARTITIONS, 'third', 120);
    await until('every record consumed by a', () => valuesWith('third').length >= sent.length, 60_000, () => valuesWith('third').length);
    expect(duplicates(valuesWith('third'))).toEqual([]);
    expect(log.messages.filter((m) => m.value.startsWith('third-')).every((m) => m.member === 'a')).toBe(true);
  });

  test('a consumer started later resumes from the committed offsets', async () => {
    await a.stop();
    members.splice(members.indexOf(a), 1);
    const committed = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    const committedOffsets = new Map(committed[0].partitions.map(({ partition, offset }) => [partition, Number(offset)]));
    const ends = await admin.fetchTopicOffsets(TOPIC);
    // Everything was read and committed: the committed offset of each partition is its end.
    expect(ends.map(({ partition, offset }) => [partition, Number(offset)]).sort()).toEqual([...committedOffsets].sort());

    const sent = await produce(producer, TOPIC, PARTITIONS, 'fourth', 60);
    const d = await InProcessMember.start(broker.bootstrap, GROUP, TOPIC, 'd', log);
    members.push(d);
    await until('d read the new records', () => log.valuesOf('d').length >= sent.length, 60_000, () => log.valuesOf('d').length);
    expect(log.valuesOf('d').sort()).toEqual([...sent].sort()); // nothing older again
    for (const partition of [...Array(PARTITIONS).keys()]) {
      const first = log.messages.find((m) => m.member === 'd' && m.partition === partition);
      expect(first?.offset).toBe(committedOffsets.get(partition));
    }
  });
});
