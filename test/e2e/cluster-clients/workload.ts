/**
 * The load the cluster tests put on a real cluster, with real clients, and the checks on what they
 * saw: librdkafka (python3-confluent-kafka, run with /usr/bin/python3) producing and reading every
 * partition, kafkajs producing (idempotent) and consuming in a group.
 *
 * Every producer records what was acknowledged (value, partition, offset); readers record what
 * they read. The checks: every acknowledged record is in the log at its acknowledged offset; each
 * partition's offsets run from 0 without a gap or a repeat; no value appears twice.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { type Admin, type Consumer, Kafka, logLevel, type Producer } from 'kafkajs';
import { ClusterProcess, type ClusterProcessOptions } from '../../support/cluster-process';

const PYTHON = '/usr/bin/python3';

/** The lease the cluster tests run with: failovers take a few seconds. */
export const TEST_LEASE_MS = 2000;

export interface ClusterFixture {
  readonly cluster: ClusterProcess;
  readonly admin: Admin;
}

/**
 * Starts three brokers (lease TEST_LEASE_MS) and an admin client before the file's tests, optionally
 * creates a topic, and stops everything after them. Read the fields inside tests.
 */
export function useCluster(
  name: string,
  options: {
    readonly topic?: { readonly name: string; readonly partitions: number };
    readonly cluster?: ClusterProcessOptions;
  } = {},
): ClusterFixture {
  const fixture = {} as { cluster: ClusterProcess; admin: Admin };
  beforeAll(async () => {
    fixture.cluster = await ClusterProcess.start({ brokers: 3, leaseMs: TEST_LEASE_MS, leaseRenewMs: 500, clusterPollMs: 200, ...options.cluster });
    fixture.admin = kafka(fixture.cluster.bootstrap, `${name}-admin`).admin();
    await fixture.admin.connect();
    // Listening is not membership: create topics once every broker has joined, so the assignment
    // spreads them over all three.
    await waitForBrokers(fixture.admin, fixture.cluster.brokers.length);
    if (options.topic) await createTopic(fixture.admin, options.topic.name, options.topic.partitions);
  });
  afterAll(async () => {
    await fixture.admin?.disconnect();
    await fixture.cluster?.stop();
  });
  return fixture;
}

export interface Acked {
  readonly v: string;
  readonly p: number;
  readonly o: number;
}

export interface Read {
  readonly p: number;
  readonly o: number;
  readonly v: string;
}

/** A client process printing JSON lines; `lines` grows as they come. */
export class JsonLinesProcess {
  readonly lines: Record<string, unknown>[] = [];
  readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private stderr = '';

  constructor(script: string, args: readonly string[]) {
    this.child = spawn(PYTHON, [path.join(__dirname, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    this.child.stdout!.on('data', (data: Buffer) => {
      pending += data.toString();
      const parts = pending.split('\n');
      pending = parts.pop()!;
      for (const line of parts) if (line.trim() !== '') this.lines.push(JSON.parse(line) as Record<string, unknown>);
    });
    this.child.stderr!.on('data', (data: Buffer) => {
      this.stderr += data.toString();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  async finished(): Promise<number | null> {
    const code = await this.exited;
    if (code !== 0) throw new Error(`client exited with ${code}: ${this.stderr.slice(-2000)}`);
    return code;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** librdkafka producer: `rate` messages per second until the stop file exists. */
export function librdkafkaProducer(bootstrap: string[], topic: string, prefix: string, rate: number, stopFile: string): JsonLinesProcess {
  return new JsonLinesProcess('produce.py', [bootstrap.join(','), topic, prefix, '0', String(rate), 'true', stopFile]);
}

/** librdkafka reader of every partition from the beginning, until finishReading says where to stop. */
export function librdkafkaReader(bootstrap: string[], topic: string, partitions: number, stopFile: string): JsonLinesProcess {
  return new JsonLinesProcess('consume.py', [bootstrap.join(','), topic, String(partitions), stopFile]);
}

export function ackedBy(process: JsonLinesProcess): Acked[] {
  return process.lines.filter((l) => typeof l.o === 'number' && l.v !== undefined).map((l) => ({ v: l.v as string, p: l.p as number, o: l.o as number }));
}

export function readBy(process: JsonLinesProcess): Read[] {
  return process.lines.filter((l) => typeof l.o === 'number').map((l) => ({ p: l.p as number, o: l.o as number, v: l.v as string }));
}

/** Errors a librdkafka client reported: fatal ones and failed deliveries are what the tests forbid. */
export function clientErrors(process: JsonLinesProcess): { fatal: string[]; failedDeliveries: string[]; transient: string[] } {
  const fatal = process.lines.filter((l) => l.fatal === true).map((l) => String(l.err ?? l.client_err));
  const failedDeliveries = process.lines.filter((l) => l.v !== undefined && l.err !== undefined).map((l) => `${String(l.v)}: ${String(l.err)}`);
  const transient = process.lines.filter((l) => (l.err !== undefined || l.client_err !== undefined) && l.fatal !== true).map((l) => String(l.err ?? l.client_err));
  return { fatal, failedDeliveries, transient };
}

export function kafka(bootstrap: string[], clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: bootstrap,
    logLevel: logLevel.NOTHING,
    // A paused broker never answers: give up on it quickly and ask another.
    requestTimeout: 3000,
    connectionTimeout: 1000,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
  });
}

/**
 * A kafkajs idempotent producer sending `<prefix>-<n>` one batch at a time, round robin over the
 * partitions, recording what was acknowledged, until stopped. Errors after all retries are kept.
 */
export class KafkajsLoad {
  readonly acked: Acked[] = [];
  readonly errors: string[] = [];
  private running = true;
  private readonly done: Promise<void>;

  constructor(
    private readonly producer: Producer,
    topic: string,
    partitions: number,
    prefix: string,
    intervalMs: number,
  ) {
    this.done = (async () => {
      for (let n = 0; this.running; n++) {
        const value = `${prefix}-${n}`;
        const partition = n % partitions;
        try {
          const [result] = await producer.send({ topic, acks: -1, messages: [{ value, partition }] });
          this.acked.push({ v: value, p: result.partition, o: Number(result.baseOffset) });
        } catch (error) {
          this.errors.push(`${value}: ${(error as Error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
    await this.producer.disconnect();
  }
}

export async function startKafkajsLoad(bootstrap: string[], topic: string, partitions: number, prefix: string, intervalMs = 20): Promise<KafkajsLoad> {
  const producer = kafka(bootstrap, `${prefix}-producer`).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return new KafkajsLoad(producer, topic, partitions, prefix, intervalMs);
}

/** A kafkajs group consumer recording every record it is given. */
export async function startKafkajsGroupReader(
  bootstrap: string[],
  topic: string,
  groupId: string,
  sessionTimeout = 10_000,
): Promise<{ consumer: Consumer; read: Read[]; crashes: string[]; retriedCrashes: string[] }> {
  // Few retries: kafkajs keeps retrying a dead broker's address until they run out, then restarts
  // the consumer with fresh metadata (a "crash" it recovers from).
  const consumer = kafka(bootstrap, groupId).consumer({ groupId, sessionTimeout, heartbeatInterval: 500, retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 500 } });
  const read: Read[] = [];
  // kafkajs reports retriable failures as crashes it recovers from (restart: true); only the others are fatal.
  const crashes: string[] = [];
  const retriedCrashes: string[] = [];
  consumer.on(consumer.events.CRASH, (event) => (event.payload.restart ? retriedCrashes : crashes).push(String(event.payload.error)));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ partition, message }) => {
      read.push({ p: partition, o: Number(message.offset), v: message.value!.toString() });
      return Promise.resolve();
    },
  });
  return { consumer, read, crashes, retriedCrashes };
}

/** Waits until the cluster's metadata lists `count` live brokers. */
export async function waitForBrokers(admin: Admin, count: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await admin.describeCluster()).brokers.length === count) return;
    } catch {
      // a broker still starting: ask again
    }
    if (Date.now() > deadline) throw new Error(`the cluster did not list ${count} brokers in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Creates the topic and waits until every partition has a leader. */
export async function createTopic(admin: Admin, topic: string, partitions: number): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: false });
  await waitForLeaders(admin, topic, partitions, () => true);
}

/** Waits until every partition's leader satisfies `ok` (e.g. is not a dead broker); returns the leaders. */
export async function waitForLeaders(admin: Admin, topic: string, partitions: number, ok: (leader: number) => boolean, timeoutMs = 60_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const leaders = [...Array(partitions).keys()].map((p) => topics[0]?.partitions.find((x) => x.partitionId === p)?.leader ?? -1);
      if (leaders.every((leader) => leader >= 0 && ok(leader))) return leaders;
    } catch {
      // metadata refused while brokers move: ask again
    }
    if (Date.now() > deadline) throw new Error(`partitions of ${topic} did not all get a suitable leader in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A broker that leads partitions of `topic` (that of partition 0): its node id, its index in the
 * cluster, the other brokers' indexes, and every partition's leader. Tests that stop a broker pick
 * it this way rather than by index: a broker whose lease the controller had not seen yet when the
 * topic was created may get its whole share from __consumer_offsets instead (the assignment moves
 * as few partitions as it can; docs/architecture.md).
 */
export async function aLeaderOf(
  cluster: ClusterProcess,
  admin: Admin,
  topic: string,
  partitions: number,
): Promise<{ node: number; index: number; others: number[]; leaders: number[] }> {
  const leaders = await waitForLeaders(admin, topic, partitions, () => true);
  const node = leaders[0];
  const index = cluster.brokers.findIndex((broker) => broker.spec.nodeId === node);
  if (index === -1) throw new Error(`partition 0 of ${topic} is led by node ${node}, which is not one of the cluster's brokers`);
  const others = cluster.brokers.flatMap((_, i) => (i === index ? [] : [i]));
  return { node, index, others, leaders };
}

/** Waits until broker `node` leads at least one partition (assignment moves may be under way); returns the leaders. */
export async function waitUntilLeads(admin: Admin, topic: string, partitions: number, node: number, timeoutMs = 30_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const leaders = await waitForLeaders(admin, topic, partitions, () => true);
    if (leaders.includes(node)) return leaders;
    if (Date.now() > deadline) throw new Error(`broker ${node} leads no partition of ${topic} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Tells the librdkafka producers to finish. */
export async function touch(file: string): Promise<void> {
  await writeFile(file, '');
}

/**
 * Tells the librdkafka reader to stop once it has read every partition up to the last acknowledged
 * offset (or a minute later, if it cannot), and waits for it.
 */
export async function finishReading(reader: JsonLinesProcess, stopFile: string, acked: readonly Acked[]): Promise<void> {
  const ends: Record<number, number> = {};
  for (const record of acked) ends[record.p] = Math.max(ends[record.p] ?? 0, record.o + 1);
  await writeFile(`${stopFile}.ends`, JSON.stringify(ends));
  await reader.finished();
}

/**
 * The log as read, checked: per partition the offsets are exactly 0..n-1 (no gap, no repeat), no
 * value appears twice, and every acknowledged record is there with its acknowledged offset.
 * Returns a summary for the test's report.
 */
export function checkLog(read: readonly Read[], acked: readonly Acked[], partitions: number): { perPartition: number[]; acked: number } {
  const byPartition = new Map<number, Map<number, string>>();
  for (const record of read) {
    let offsets = byPartition.get(record.p);
    if (offsets === undefined) byPartition.set(record.p, (offsets = new Map()));
    const seen = offsets.get(record.o);
    if (seen !== undefined && seen !== record.v) throw new Error(`partition ${record.p} offset ${record.o} read as ${seen} and as ${record.v}`);
    offsets.set(record.o, record.v);
  }
  const perPartition: number[] = [];
  const values = new Map<string, string>();
  for (let p = 0; p < partitions; p++) {
    const offsets = byPartition.get(p) ?? new Map<number, string>();
    const sorted = [...offsets.keys()].sort((a, b) => a - b);
    sorted.forEach((offset, i) => {
      if (offset !== i) throw new Error(`partition ${p}: offset ${i} missing (next read is ${offset})`);
    });
    for (const [offset, value] of offsets) {
      const where = `${p}@${offset}`;
      const earlier = values.get(value);
      if (earlier !== undefined) throw new Error(`value ${value} appears twice: ${earlier} and ${where}`);
      values.set(value, where);
    }
    perPartition.push(sorted.length);
  }
  for (const record of acked) {
    if (byPartition.get(record.p)?.get(record.o) !== record.v) {
      throw new Error(`acknowledged ${record.v} at ${record.p}@${record.o} is not in the log (found ${byPartition.get(record.p)?.get(record.o)})`);
    }
  }
  return { perPartition, acked: acked.length };
}
