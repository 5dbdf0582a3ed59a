/**
 * Cluster nodes in one process over one real local-directory store, each with its own metadata log
 * (as separate brokers have), driven step by step on a fake clock: registration, controller
 * election, assignment, failover with replay, fencing of a zombie, drain, and a restarted node.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { ClusterNode } from '../../../broker/cluster/cluster-node';
import { clusterSection } from '../../../broker/cluster/cluster-section';
import type { PartitionHost, WalSource } from '../../../broker/cluster/partition-host';
import { type LeaseTiming, expiryWaitMs } from '../../../broker/cluster/timing';
import { DATA_PATH_SECTIONS, MetadataLog } from '../../../broker/metadata';
import { ErrorCode, KafkaError } from '../../../broker/protocol/error-codes';
import { FileObjectStore } from '../../../broker/storage/object-stores';
import type { TopicPartition } from '../../../broker/storage/storage';
import { FakeClock } from './fake-clock';

const logger = pino({ level: 'silent' });
const timing: LeaseTiming = { leaseMs: 3_000, renewIntervalMs: 500, pollIntervalMs: 250, maxClockRateError: 0.01 };

/** Records what the cluster asked of the storage engine. */
class RecordingHost implements PartitionHost {
  readonly recovered: { partition: string; sources: readonly WalSource[] }[] = [];
  readonly served: string[] = [];
  readonly quiesced: string[] = [];
  readonly dropped: string[] = [];
  recoverPartition(p: TopicPartition, sources: readonly WalSource[]): Promise<void> {
    this.recovered.push({ partition: `${p.topic}/${p.partition}`, sources });
    return Promise.resolve();
  }
  servePartition(p: TopicPartition): Promise<void> {
    this.served.push(`${p.topic}/${p.partition}`);
    return Promise.resolve();
  }
  quiescePartition(p: TopicPartition): Promise<void> {
    this.quiesced.push(`${p.topic}/${p.partition}`);
    return Promise.resolve();
  }
  dropPartition(p: TopicPartition): void {
    this.dropped.push(`${p.topic}/${p.partition}`);
  }
}

interface Member {
  readonly nodeId: number;
  readonly node: ClusterNode;
  readonly log: MetadataLog;
  readonly host: RecordingHost;
  alive: boolean;
  fencedReason?: string;
}

let tempDir: string;
let counter = 0;
beforeAll(async () => {
  tempDir = await mkdtemp(path.join(tmpdir(), 'cluster-node-'));
});
afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

class TestCluster {
  readonly clock = new FakeClock();
  readonly store = new FileObjectStore(path.join(tempDir, `store-${++counter}`));
  readonly members: Member[] = [];

  async start(nodeId: number): Promise<Member> {
    const log = new MetadataLog({ store: this.store, sections: [...DATA_PATH_SECTIONS, clusterSection], nodeId, logger });
    await log.open();
    const host = new RecordingHost();
    const member: Member = { nodeId, log, host, alive: true } as Member;
    const node = new ClusterNode({
      clusterId: 'test',
      metadataLog: log,
      store: this.store,
      identity: { nodeId, host: '127.0.0.1', port: 9000 + nodeId, zone: `zone-${nodeId}` },
      timing,
      logger,
      clock: this.clock,
      onFenced: (reason) => {
        member.fencedReason = reason;
      },
    });
    Object.assign(member, { node });
    await node.register();
    node.attachHost(host);
    this.members.push(member);
    return member;
  }

  /** One renewal interval passes; every live node renews and polls (twice, as it would). */
  async round(): Promise<void> {
    this.clock.advance(timing.renewIntervalMs);
    for (const m of this.members.filter((m) => m.alive)) await m.node.renewOnce();
    for (let i = 0; i < 2; i++) {
      for (const m of this.members.filter((m) => m.alive)) await m.node.pollOnce();
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Let handoff tasks (recover, serve, release) finish and reconcile again.
    for (const m of this.members.filter((m) => m.alive)) await m.log.catchUp();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }

  async rounds(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.round();
  }

  async createTopic(name: string, partitionCount: number): Promise<void> {
    const topicId = (++counter).toString(16).padStart(32, '0');
    await this.members[0].log.append(() => ({ kind: 'topic-created', name, topicId, partitionCount, configs: {}, internal: false }));
  }

  live(): Member[] {
    return this.members.filter((m) => m.alive);
  }

  /** Which node serves each partition, from the point of view of each live node (they must agree). */
  owners(topic: string, count: number): (number | undefined)[] {
    const views = this.live().map((m) => Array.from({ length: count }, (_, p) => m.node.view.ownerOfPartition(topic, p)));
    return views[0];
  }
}

const roundsToExpire = Math.ceil(expiryWaitMs(timing) / timing.renewIntervalMs) + 2;

describe('ClusterNode', () => {
  test('three nodes elect one controller and serve every partition, balanced, with zones as racks', async () => {
    const cluster = new TestCluster();
    for (const id of [1, 2, 3]) await cluster.start(id);
    await cluster.createTopic('orders', 6);
    await cluster.rounds(3);
    expect(cluster.members.filter((m) => m.node.isController())).toHaveLength(1);
    const owners = cluster.owners('orders', 6);
    expect(owners.every((o) => o !== undefined)).toBe(true);
    expect([1, 2, 3].map((id) => owners.filter((o) => o === id).length)).toEqual([2, 2, 2]);
    // Every node sees the same owners, except that a node only reports itself once it serves.
    for (const m of cluster.members) {
      expect(Array.from({ length: 6 }, (_, p) => m.node.view.ownerOfPartition('orders', p))).toEqual(owners);
      expect(m.host.served).toHaveLength(2);
      expect(m.host.recovered).toHaveLength(0);
    }
    expect(cluster.members[0].node.view.brokers()).toEqual([
      { nodeId: 1, host: '127.0.0.1', port: 9001, rack: 'zone-1' },
      { nodeId: 2, host: '127.0.0.1', port: 9002, rack: 'zone-2' },
      { nodeId: 3, host: '127.0.0.1', port: 9003, rack: 'zone-3' },
    ]);
    const controllerNode = cluster.members.find((m) => m.node.isController())!.nodeId;
    for (const m of cluster.members) expect(m.node.view.controllerId()).toBe(controllerNode);
  });

  test('the write gate: writes only for served partitions, acknowledgements only while the lease is current', async () => {
    const cluster = new TestCluster();
    const [one] = [await cluster.start(1)];
    await cluster.createTopic('t', 2);
    await cluster.rounds(2);
    const node = one.node;
    expect(() => node.checkWritable({ topic: 't', partition: 0 })).not.toThrow();
    expect(node.mayAcknowledge({ topic: 't', partition: 0 })).toBe(true);
    expect(() => node.checkWritable({ topic: 'other', partition: 0 })).toThrow(KafkaError);
    expect(node.partitionGate('t', 1)).toBeUndefined();
    expect(node.partitionGate('other', 0)).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(() => node.acknowledgeGate()).not.toThrow();
    // No renewal for a whole lease: the broker stops acknowledging before anyone may fence it.
    cluster.clock.advance(timing.leaseMs);
    expect(node.mayAcknowledge({ topic: 't', partition: 0 })).toBe(false);
    let code: ErrorCode | undefined;
    try {
      node.checkWritable({ topic: 't', partition: 0 });
    } catch (error) {
      code = (error as KafkaError).code;
    }
    expect(code).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(() => node.acknowledgeGate()).toThrow('cannot prove its lease is current: not acknowledging');
    // A successful renewal brings it back (it was never fenced).
    await node.renewOnce();
    expect(node.mayAcknowledge({ topic: 't', partition: 0 })).toBe(true);
  });

  test('a dead broker is fenced after the expiry wait; its partitions are replayed from its WAL by the survivors', async () => {
    const cluster = new TestCluster();
    for (const id of [1, 2, 3]) await cluster.start(id);
    await cluster.createTopic('orders', 6);
    await cluster.createTopic('__consumer_offsets', 3);
    await cluster.rounds(3);
    const victim = cluster.members.find((m) => !m.node.isController())!;
    const victimEpoch = victim.node.epoch!;
    const victimPartitions = cluster.owners('orders', 6).flatMap((o, p) => (o === victim.nodeId ? [`orders/${p}`] : []));
    victim.alive = false;
    victim.node.stop();

    // Not before the expiry wait.
    await cluster.rounds(Math.floor(timing.leaseMs / timing.renewIntervalMs) - 1);
    expect(cluster.live()[0].log.state.get(clusterSection).broker(victimEpoch)?.status).toBe('active');
    await cluster.rounds(roundsToExpire);
    const state = cluster.live()[0].log.state.get(clusterSection);
    expect(state.broker(victimEpoch)?.status).toBe('fenced');
    const owners = cluster.owners('orders', 6);
    expect(owners.every((o) => o !== undefined && o !== victim.nodeId)).toBe(true);
    const recovered = cluster.live().flatMap((m) => m.host.recovered);
    expect(recovered.filter((r) => r.partition.startsWith('orders/')).map((r) => r.partition).sort()).toEqual(victimPartitions.sort());
    for (const r of recovered) expect(r.sources).toEqual([{ nodeId: victim.nodeId, epoch: victimEpoch }]);
    // Groups follow: every __consumer_offsets partition has a live coordinator.
    expect(cluster.owners('__consumer_offsets', 3).every((o) => o !== undefined && o !== victim.nodeId)).toBe(true);
  });

  test('a zombie that comes back after being fenced learns it at its next renewal and acknowledges nothing', async () => {
    const cluster = new TestCluster();
    for (const id of [1, 2]) await cluster.start(id);
    await cluster.createTopic('t', 4);
    await cluster.rounds(3);
    const zombie = cluster.members.find((m) => !m.node.isController())!;
    const partition = { topic: 't', partition: cluster.owners('t', 4).indexOf(zombie.nodeId) };
    expect(zombie.node.mayAcknowledge(partition)).toBe(true);
    zombie.alive = false; // paused: no renewals, no polls
    await cluster.rounds(roundsToExpire);
    // Its clock moved on while it was paused, so even before it polls it acknowledges nothing.
    expect(zombie.node.mayAcknowledge(partition)).toBe(false);
    zombie.alive = true;
    await zombie.node.renewOnce();
    expect(zombie.node.fenced).toBe(true);
    expect(zombie.fencedReason).toContain('"kind":"fenced"');
    expect(zombie.node.mayAcknowledge(partition)).toBe(false);
    expect(() => zombie.node.checkWritable(partition)).toThrow(KafkaError);
  });

  test('when the controller dies, another broker takes over and fences it after one expiry wait', async () => {
    const cluster = new TestCluster();
    for (const id of [1, 2, 3]) await cluster.start(id);
    await cluster.createTopic('t', 3);
    await cluster.rounds(3);
    const controller = cluster.members.find((m) => m.node.isController())!;
    controller.alive = false;
    controller.node.stop();
    await cluster.rounds(roundsToExpire + 2);
    const successors = cluster.live().filter((m) => m.node.isController());
    expect(successors).toHaveLength(1);
    expect(cluster.live()[0].log.state.get(clusterSection).broker(controller.node.epoch!)?.status).toBe('fenced');
    expect(cluster.owners('t', 3).every((o) => o !== undefined && o !== controller.nodeId)).toBe(true);
  });

  test('a drained broker hands its partitions over with nothing to replay, and the controller role moves at once', async () => {
    const cluster = new TestCluster();
    for (const id of [1, 2, 3]) await cluster.start(id);
    await cluster.createTopic('t', 6);
    await cluster.rounds(3);
    const leaving = cluster.members.find((m) => m.node.isController())!;
    let uploaded = false;
    await leaving.node.drain(() => {
      uploaded = true;
      return Promise.resolve();
    });
    leaving.alive = false;
    expect(uploaded).toBe(true);
    await cluster.rounds(3); // far less than an expiry wait
    expect(cluster.live().filter((m) => m.node.isController())).toHaveLength(1);
    expect(cluster.owners('t', 6).every((o) => o !== undefined && o !== leaving.nodeId)).toBe(true);
    expect(cluster.live().flatMap((m) => m.host.recovered)).toEqual([]);
    expect(cluster.live()[0].log.state.get(clusterSection).broker(leaving.node.epoch!)?.status).toBe('left');
  });

  test('a restarted node serves nothing until its old incarnation is fenced and replayed, then gets its share back', async () => {
    const cluster = new TestCluster();
    for (const id of [1, 2, 3]) await cluster.start(id);
    await cluster.createTopic('t', 6);
    await cluster.rounds(3);
    const old = cluster.members.find((m) => !m.node.isController())!;
    old.alive = false;
    old.node.stop();
    const restarted = await cluster.start(old.nodeId);
    await cluster.rounds(2);
    const state = () => restarted.log.state.get(clusterSection);
    expect(state().walReusable(restarted.node.epoch!)).toBe(false);
    expect(restarted.host.served).toEqual([]);
    let reusable = false;
    const waiting = restarted.node.waitUntilWalReusable().then(() => {
      reusable = true;
    });
    await cluster.rounds(roundsToExpire + 4);
    expect(state().broker(old.node.epoch!)?.status).toBe('fenced');
    expect(state().walReusable(restarted.node.epoch!)).toBe(true);
    await waiting;
    expect(reusable).toBe(true);
    const owners = cluster.owners('t', 6);
    expect([1, 2, 3].map((id) => owners.filter((o) => o === id).length)).toEqual([2, 2, 2]);
    // It got its share by moves: the others uploaded (quiesced) what they handed over.
    expect(cluster.live().flatMap((m) => m.host.quiesced)).toHaveLength(2);
    expect(restarted.host.served).toHaveLength(2);
  });
});
