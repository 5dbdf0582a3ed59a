/**
 * kill -9 in the middle of a stream of acknowledged produces, then restart on the same data:
 * every acknowledged record is there exactly once, at the offset it was acknowledged with, and
 * offsets are dense (no duplicate, no gap) in every partition. Two rounds, so recovery of a
 * recovered broker is covered too.
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { BrokerProcess, makeTempDir } from '../support/broker-process';
import { kcatConsume } from './clients';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const TOPIC = 'crash';
const PARTITIONS = 3;
const LANES = 6;
const BATCH = 20;

interface Acked {
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
}

/** Sends batches from several lanes at once until the broker dies; returns what was acknowledged. */
async function produceUntilKilled(broker: BrokerProcess, round: number, killAfterAcks: number): Promise<Acked[]> {
  const kafka = new Kafka({ clientId: `crash-${round}`, brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const producer: Producer = kafka.producer({ retry: { retries: 0 } });
  await producer.connect();
  const acked: Acked[] = [];
  let killed: Promise<unknown> | undefined;
  const lane = async (id: number): Promise<void> => {
    for (let seq = 0; ; seq++) {
      const partition = (id + seq) % PARTITIONS;
      const values = Array.from({ length: BATCH }, (_, i) => `r${round}-l${id}-s${seq}-${i}`);
      let result;
      try {
        result = await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value) => ({ value, partition })) });
      } catch {
        return; // the broker is gone: this batch was not acknowledged
      }
      const base = Number(result[0].baseOffset);
      values.forEach((value, i) => acked.push({ partition, offset: base + i, value }));
      if (!killed && acked.length >= killAfterAcks) killed = broker.kill();
    }
  };
  await Promise.all(Array.from({ length: LANES }, (_, id) => lane(id)));
  await killed;
  await producer.disconnect().catch(() => undefined);
  return acked;
}

async function expectAllAcknowledgedExactlyOnce(broker: BrokerProcess, acked: Acked[]): Promise<void> {
  const messages = await kcatConsume(broker.bootstrap, TOPIC);
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const offsets = messages.filter((m) => m.partition === partition).map((m) => m.offset);
    expect(offsets).toEqual(offsets.map((_, i) => i)); // dense from 0, in order
  }
  const values = messages.map((m) => m.payload);
  expect(new Set(values).size).toBe(values.length); // no duplicates
  const stored = new Map(messages.map((m) => [`${m.partition}/${m.offset}`, m.payload]));
  const missing = acked.filter((a) => stored.get(`${a.partition}/${a.offset}`) !== a.value);
  expect(missing).toEqual([]);
}

describe('crash', () => {
  const dataDir = makeTempDir('dk-crash-');
  let broker: BrokerProcess | undefined;

  afterAll(async () => {
    await broker?.stop();
    broker?.removeDataDir();
  });

  test('kill -9 while producing loses nothing acknowledged and duplicates nothing', async () => {
    const start = () => BrokerProcess.start({ dataDir, args: ['--default-partitions', String(PARTITIONS), '--upload-age-ms', '100'] });
    const acked: Acked[] = [];
    for (const round of [1, 2]) {
      broker = await start();
      const roundAcked = await produceUntilKilled(broker, round, 3000);
      expect(broker.running).toBe(false);
      expect(roundAcked.length).toBeGreaterThanOrEqual(3000);
      acked.push(...roundAcked);
      broker = await start();
      await expectAllAcknowledgedExactlyOnce(broker, acked);
      await broker.stop();
    }
  });
});
