/**
 * What the consumer-group end-to-end tests share: a broker process with quick group timers,
 * waiting for a condition, and kafkajs group members that record what they receive, either in
 * this process or in a child process that a test can kill -9 (groups-member.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { BrokerProcess, type BrokerProcessOptions } from '../support/broker-process';

/** Group timers small enough for tests: a short initial delay and short sessions allowed. */
export const QUICK_GROUP_FLAGS = ['--group-initial-rebalance-delay-ms', '500', '--group-min-session-timeout-ms', '1000'];

export function startGroupBroker(options: BrokerProcessOptions = {}): Promise<BrokerProcess> {
  return BrokerProcess.start({ ...options, args: [...QUICK_GROUP_FLAGS, ...(options.args ?? [])] });
}

/** Polls `condition` until it holds; fails with `what` and the last state after `timeoutMs`. */
export async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 60_000, state?: () => unknown): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${state ? `: ${JSON.stringify(state())}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Session and heartbeat settings of the test members: a dead member is noticed within seconds. */
export const MEMBER_TIMING = { sessionTimeout: 4_000, heartbeatInterval: 300, rebalanceTimeout: 8_000, maxWaitTimeInMs: 200 };

/** A kafkajs client; a function as `bootstrap` lets it follow a broker restarted on another port. */
export function kafkaClient(bootstrap: string | (() => string), clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: typeof bootstrap === 'string' ? [bootstrap] : () => [bootstrap()],
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 30 },
  });
}

export interface ReceivedMessage {
  readonly member: string;
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
}

export interface Join {
  readonly member: string;
  readonly partitions: readonly number[];
  /** How many messages the log held when the join completed. */
  readonly messagesBefore: number;
}

/** What members of a group have received and been assigned, in order. */
export class GroupLog {
  readonly messages: ReceivedMessage[] = [];
  readonly joins: Join[] = [];
  /** Offsets each member committed successfully, in order: `${partition}` -> next offset. */
  readonly commits: { member: string; partition: number; offset: number }[] = [];

  latestJoin(member: string): Join | undefined {
    return this.joins.filter((join) => join.member === member).at(-1);
  }

  valuesOf(member: string): string[] {
    return this.messages.filter((message) => message.member === member).map((message) => message.value);
  }
}

/** A kafkajs consumer in this process, recording into a GroupLog. */
export class InProcessMember {
  private constructor(
    readonly name: string,
    readonly consumer: Consumer,
  ) {}

  static async start(
    bootstrap: string | (() => string),
    groupId: string,
    topic: string,
    name: string,
    log: GroupLog,
    onMessage: () => Promise<void> = () => Promise.resolve(),
  ): Promise<InProcessMember> {
    const consumer = kafkaClient(bootstrap, name).consumer({ groupId, ...MEMBER_TIMING });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      log.joins.push({ member: name, partitions: payload.memberAssignment[topic] ?? [], messagesBefore: log.messages.length });
    });
    consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) => {
      for (const committed of payload.topics.flatMap((t) => t.partitions)) {
        log.commits.push({ member: name, partition: Number(committed.partition), offset: Number(committed.offset) });
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      // Commit every 100 ms as well as after each batch, so that commits happen mid-batch too.
      autoCommitInterval: 100,
      eachMessage: ({ partition, message }) => {
        log.messages.push({ member: name, partition, offset: Number(message.offset), value: message.value?.toString() ?? '' });
        return onMessage();
      },
    });
    return new InProcessMember(name, consumer);
  }

  /** Leaves the group (LeaveGroup) after committing what it consumed. */
  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}

const MEMBER_SCRIPT = path.join(__dirname, 'groups-member.ts');
const REPO_ROOT = path.resolve(__dirname, '../..');

/** A kafkajs consumer in a child process (groups-member.ts), so that it can die without a word. */
export class ChildMember {
  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly exited: Promise<void>,
  ) {}

  static start(bootstrap: string, groupId: string, topic: string, name: string, log: GroupLog): ChildMember {
    const child = spawn(process.execPath, ['--import', 'tsx', MEMBER_SCRIPT, bootstrap, groupId, topic, name, JSON.stringify(MEMBER_TIMING)], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const event = JSON.parse(line) as { type: 'join'; partitions: number[] } | { type: 'message'; partition: number; offset: number; value: string };
      if (event.type === 'join') log.joins.push({ member: name, partitions: event.partitions, messagesBefore: log.messages.length });
      else log.messages.push({ member: name, partition: event.partition, offset: event.offset, value: event.value });
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return new ChildMember(name, child, exited);
  }

  /** kill -9: no LeaveGroup, no last commit; the coordinator notices when its session expires. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** Sends `count` messages round-robin over `partitions` partitions, values `${prefix}-${i}`. */
export async function produce(producer: Producer, topic: string, partitions: number, prefix: string, count: number): Promise<string[]> {
  const values = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  await producer.send({
    topic,
    messages: values.map((value, i) => ({ partition: i % partitions, value })),
  });
  return values;
}

/** Values that appear more than once. */
export function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((value) => (seen.has(value) ? true : (seen.add(value), false)));
}
