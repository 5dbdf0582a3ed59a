/**
 * kafka-python 2.0.2 group consumers against a real broker process on the real storage engine.
 * kafka-python picks fixed old versions (JoinGroup v2, OffsetCommit v2, OffsetFetch v1), which the
 * broker's debug log confirms; two runs in a row show that its commits are stored and read back.
 */
import type { BrokerProcess, LogLine } from '../support/broker-process';
import { kcat, runPython } from './clients';
import { kafkaClient, startGroupBroker } from './groups-support';

interface KafkaPythonRun {
  messages: [number, number, string][];
  committed: Record<string, number | null>;
}

const TOPIC = 'kafka-python-topic';
const GROUP = 'kafka-python-group';

describe('kafka-python group consumer', () => {
  let broker: BrokerProcess;

  beforeAll(async () => {
    broker = await startGroupBroker({ args: ['--log-level', 'debug'] });
    const admin = kafkaClient(broker.bootstrap, 'test-admin').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }] });
    await admin.disconnect();
  });
  afterAll(async () => {
    await broker?.stop();
    broker?.removeDataDir();
  });

  async function produce(prefix: string, perPartition: number): Promise<string[]> {
    const values: string[] = [];
    for (const partition of [0, 1]) {
      const lines = Array.from({ length: perPartition }, (_, i) => `${prefix}-${partition}-${i}`);
      await kcat(broker.bootstrap, ['-P', '-t', TOPIC, '-p', String(partition)], { input: `${lines.join('\n')}\n` });
      values.push(...lines);
    }
    return values;
  }

  test('joins, reads, commits with OffsetCommit v2, and a second run resumes from the commits', async () => {
    const first = await produce('first', 10);
    const run1 = await runPython<KafkaPythonRun>('groups_kafka_python.py', [broker.bootstrap, GROUP, TOPIC, String(first.length)]);
    expect(run1.messages.map(([, , value]) => value).sort()).toEqual([...first].sort());
    expect(run1.committed).toEqual({ 0: 10, 1: 10 });

    const second = await produce('second', 5);
    const run2 = await runPython<KafkaPythonRun>('groups_kafka_python.py', [broker.bootstrap, GROUP, TOPIC, String(second.length)]);
    expect(run2.messages.map(([, , value]) => value).sort()).toEqual([...second].sort());
    expect(Math.min(...run2.messages.map(([, offset]) => offset))).toBe(10);
    expect(run2.committed).toEqual({ 0: 15, 1: 15 });

    const versions = (api: string): number[] => [
      ...new Set(broker.logs.filter((line: LogLine) => line.api === api && line.groupId === GROUP).map((line) => line.version as number)),
    ];
    expect(versions('JoinGroup')).toEqual([2]);
    expect(versions('OffsetCommit')).toEqual([2]);
    expect(versions('OffsetFetch')).toEqual([1]);
  });
});
