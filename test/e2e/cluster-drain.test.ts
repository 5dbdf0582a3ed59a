/**
 * Graceful drain and rolling restart under continuous load (librdkafka producing and reading,
 * kafkajs producing): SIGTERM stops a broker's writes, uploads its WAL, hands its partitions off
 * (nothing to replay), deletes its WAL directory and exits 0; clients see only retriable errors
 * and lose nothing, and everything it acknowledged reads back through the others. Then every
 * broker in turn is drained and started again (formatting a new WAL): zero loss.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import {
  type Acked,
  ackedBy,
  checkLog,
  clientErrors,
  createTopic,
  librdkafkaProducer,
  finishReading,
  librdkafkaReader,
  readBy,
  startKafkajsLoad,
  touch,
  waitForLeaders,
  type JsonLinesProcess,
  type KafkajsLoad,
  useCluster,
} from './cluster-clients/workload';

const PARTITIONS = 6;

const fixture = useCluster('drain');

interface Load {
  readonly producer: JsonLinesProcess;
  readonly reader: JsonLinesProcess;
  readonly js: KafkajsLoad;
  readonly stopFile: string;
}

async function startLoad(topic: string): Promise<Load> {
  const { cluster } = fixture;
  const stopFile = path.join(cluster.dataDir, `stop-${topic}`);
  return {
    producer: librdkafkaProducer(cluster.bootstrap, topic, 'rdk', 150, stopFile),
    reader: librdkafkaReader(cluster.bootstrap, topic, PARTITIONS, stopFile),
    js: await startKafkajsLoad(cluster.bootstrap, topic, PARTITIONS, 'js'),
    stopFile,
  };
}

/** Stops the load and checks the log: everything acknowledged, gap-free, duplicate-free, no fatal errors. Returns what was acknowledged. */
async function finishAndCheck(load: Load, label: string): Promise<Acked[]> {
  await load.js.stop();
  await touch(load.stopFile);
  await load.producer.finished();
  const acked = [...ackedBy(load.producer), ...load.js.acked];
  await finishReading(load.reader, load.stopFile, acked);
  const summary = checkLog(readBy(load.reader), acked, PARTITIONS);
  const errors = clientErrors(load.producer);
  process.stdout.write(
    `${label}: ${summary.acked} acknowledged records all present; partitions hold ${summary.perPartition.join(', ')} records; ` +
      `librdkafka transient errors ${errors.transient.length} (${[...new Set(errors.transient)].join(', ')}); kafkajs send failures ${load.js.errors.length}\n`,
  );
  expect(errors.fatal).toEqual([]);
  expect(errors.failedDeliveries).toEqual([]);
  expect(clientErrors(load.reader).fatal).toEqual([]);
  expect(load.js.errors).toEqual([]);
  return acked;
}

/** SIGTERM broker `index`, wait for its exit; returns the exit code and how long the drain took. */
async function drain(index: number): Promise<{ code: number | null; ms: number }> {
  const { cluster } = fixture;
  const started = Date.now();
  cluster.signal(index, 'SIGTERM');
  const code = await cluster.waitExit(index);
  return { code, ms: Date.now() - started };
}

test('SIGTERM under load: the broker uploads, hands its partitions off without a replay, deletes its WAL directory, and exits 0', async () => {
  const { cluster, admin } = fixture;
  const topic = 'drain';
  await createTopic(admin, topic, PARTITIONS);
  const load = await startLoad(topic);
  try {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const index = 0;
    const node = cluster.brokers[index].spec.nodeId;
    const led = await waitForLeaders(admin, topic, PARTITIONS, () => true);
    const walDir = await fixture.cluster.walDirectory(index);
    expect(existsSync(walDir)).toBe(true);
    const sigtermAt = Date.now();
    // Acknowledged so far in the partitions it leads: acknowledged by the broker being drained.
    const ackedByDrained = [...ackedBy(load.producer), ...load.js.acked].filter((record) => led[record.p] === node);
    const { code, ms } = await drain(index);
    await waitForLeaders(admin, topic, PARTITIONS, (leader) => leader !== node);
    const servedAgainMs = Date.now() - sigtermAt;
    const logs = await cluster.logLines(index);
    const survivors = (await Promise.all([1, 2].map((i) => cluster.logLines(i)))).flat();
    process.stdout.write(
      `cluster-drain: broker ${node} drained in ${ms} ms and exited ${code}; its partitions were served by others ${servedAgainMs} ms after SIGTERM; ` +
        `"${String(logs.find((l) => l.msg === 'left the cluster')?.msg)}"; replays by others: ${survivors.filter((l) => l.msg === 'replayed WAL records of a failed broker').length}\n`,
    );
    expect(code).toBe(0);
    expect(logs.some((l) => l.msg === 'left the cluster' && l.left === true)).toBe(true);
    // Nothing was left for a replay: the drained broker's partitions needed none.
    expect(survivors.some((l) => l.msg === 'fenced a broker whose lease lapsed')).toBe(false);
    // Its WAL directory is gone: everything in it was committed.
    expect(existsSync(walDir)).toBe(false);
    expect(logs.some((l) => l.msg === 'drain: deleted the WAL directory (everything in it was committed)' && l.dir === walDir)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const acked = await finishAndCheck(load, 'cluster-drain');
    // Read everything again from offset 0, through the survivors only: what the drained broker
    // acknowledged now comes from the object store.
    const stopFile = path.join(cluster.dataDir, `stop-${topic}-again`);
    const again = librdkafkaReader(cluster.bootstrap.filter((_, i) => i !== index), topic, PARTITIONS, stopFile);
    try {
      await finishReading(again, stopFile, acked);
      checkLog(readBy(again), acked, PARTITIONS);
    } finally {
      again.kill();
    }
    process.stdout.write(`cluster-drain: ${ackedByDrained.length} records acknowledged by the drained broker read back through the others\n`);
    expect(ackedByDrained.length).toBeGreaterThan(0);
  } finally {
    load.producer.kill();
    load.reader.kill();
  }
  await cluster.startBroker(0);
});

test('rolling restart of all three brokers under load: zero loss', async () => {
  const { cluster, admin } = fixture;
  const topic = 'rolling';
  await createTopic(admin, topic, PARTITIONS);
  const load = await startLoad(topic);
  try {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (let index = 0; index < cluster.brokers.length; index++) {
      const node = cluster.brokers[index].spec.nodeId;
      const walDir = await fixture.cluster.walDirectory(index);
      const { code, ms } = await drain(index);
      expect(code).toBe(0);
      expect(existsSync(walDir)).toBe(false);
      await cluster.startBroker(index);
      // Back in service: it owns partitions again.
      const leaders = await waitForLeaders(admin, topic, PARTITIONS, () => true);
      const deadline = Date.now() + 30_000;
      let owned = leaders.filter((leader) => leader === node).length;
      while (owned === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        owned = (await waitForLeaders(admin, topic, PARTITIONS, () => true)).filter((leader) => leader === node).length;
      }
      process.stdout.write(`cluster-rolling: broker ${node} drained in ${ms} ms, restarted, serves ${owned} partitions again\n`);
      expect(owned).toBeGreaterThan(0);
      // Every incarnation of the node id so far found no WAL (the previous one deleted it) and formatted one.
      const lines = await cluster.logLines(index);
      expect(lines.filter((l) => l.msg === 'WAL formatted').length).toBe(lines.filter((l) => l.msg === 'broker started').length);
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await finishAndCheck(load, 'cluster-rolling');
  } finally {
    load.producer.kill();
    load.reader.kill();
  }
});
