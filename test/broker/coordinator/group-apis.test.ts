/**
 * The group APIs over real sockets: what each version of each request gets back, byte for byte
 * as the schemas say, from a real server with a coordinator whose records go through a Storage
 * (the in-memory test storage here; the real engine in the end-to-end tests). Time is the manual
 * scheduler's, so rebalances need no sleeping.
 */
import { ApiRegistry } from '../../../broker/api/registry';
import { SingleBrokerView } from '../../../broker/cluster/cluster-view';
import { GroupCoordinator } from '../../../broker/coordinator/coordinator';
import { ensureOffsetsTopic, OFFSETS_TOPIC } from '../../../broker/coordinator/offsets-topic';
import { StorageGroupLog } from '../../../broker/coordinator/storage-group-log';
import { silentLogger } from '../../../broker/log';
import { ApiVersionsRequest, ApiVersionsResponse } from '../../../broker/protocol/messages/api-versions';
import { DeleteGroupsRequest, DeleteGroupsResponse } from '../../../broker/protocol/messages/delete-groups';
import { DescribeGroupsRequest, DescribeGroupsResponse } from '../../../broker/protocol/messages/describe-groups';
import { FindCoordinatorRequest, FindCoordinatorResponse } from '../../../broker/protocol/messages/find-coordinator';
import { HeartbeatRequest, HeartbeatResponse } from '../../../broker/protocol/messages/heartbeat';
import { JoinGroupRequest, JoinGroupResponse } from '../../../broker/protocol/messages/join-group';
import { LeaveGroupRequest, LeaveGroupResponse } from '../../../broker/protocol/messages/leave-group';
import { ListGroupsRequest, ListGroupsResponse } from '../../../broker/protocol/messages/list-groups';
import { OffsetCommitRequest, OffsetCommitResponse } from '../../../broker/protocol/messages/offset-commit';
import { OffsetFetchRequest, OffsetFetchResponse } from '../../../broker/protocol/messages/offset-fetch';
import { SyncGroupRequest, SyncGroupResponse } from '../../../broker/protocol/messages/sync-group';
import { ErrorCode } from '../../../broker/protocol/error-codes';
import { buildRecordBatch, readBatchHeader } from '../../../broker/protocol/record-batch';
import { KafkaServer } from '../../../broker/server/server';
import { TEST_SETTINGS } from '../../support/in-process-broker';
import { MemoryStorage } from '../../support/memory-storage';
import { WireClient } from '../../support/wire-client';
import { ManualScheduler } from './manual-scheduler';
import { TEST_CONFIG, subscription } from './harness';

interface GroupServer {
  readonly port: number;
  readonly storage: MemoryStorage;
  readonly scheduler: ManualScheduler;
  readonly coordinator: GroupCoordinator;
  stop(): Promise<void>;
}

async function startGroupServer(storage = new MemoryStorage()): Promise<GroupServer> {
  const scheduler = new ManualScheduler(Date.now());
  const registry = new ApiRegistry();
  const server = new KafkaServer({ registry, log: silentLogger(), maxRequestBytes: TEST_SETTINGS.maxRequestBytes });
  const { port } = await server.listen('127.0.0.1', 0);
  const cluster = new SingleBrokerView('test-cluster', { nodeId: 7, host: '127.0.0.1', port, rack: null });
  const offsetsTopic = await ensureOffsetsTopic(storage, 5);
  const coordinator = new GroupCoordinator({
    config: TEST_CONFIG,
    partitionCount: offsetsTopic.partitionCount,
    log: new StorageGroupLog(storage, { appendTimeoutMs: 5_000, nowMs: () => scheduler.nowMs(), logger: silentLogger() }),
    scheduler,
    ownsPartition: () => true,
    logger: silentLogger(),
  });
  await coordinator.start();
  server.serve({ storage, cluster, settings: TEST_SETTINGS, apis: registry, groups: coordinator });
  return {
    port,
    storage,
    scheduler,
    coordinator,
    async stop() {
      coordinator.close();
      await server.stop(1_000);
    },
  };
}

const protocols = [{ name: 'range', metadata: subscription(['orders']) }];

/** Waits until the coordinator holds a JoinGroup of `groupId` (the request crossed the socket). */
async function joinHeld(broker: GroupServer, groupId: string): Promise<void> {
  while (broker.coordinator.describeGroup(groupId).state !== 'PreparingRebalance') {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('group APIs on the wire', () => {
  let broker: GroupServer;
  let client: WireClient;

  beforeEach(async () => {
    broker = await startGroupServer();
    await broker.storage.createTopic('orders', 3, {});
    client = await WireClient.connect(broker.port);
  });

  afterEach(async () => {
    client.close();
    await broker.stop();
  });

  /** Joins `groupId` with JoinGroup `version` and syncs as leader: a Stable group of one. */
  async function stableGroup(groupId: string, version = 5) {
    let join = await client.request(JoinGroupRequest, JoinGroupResponse, version, {
      groupId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 20_000, memberId: '', protocolType: 'consumer', protocols,
    });
    if (join.errorCode === Number(ErrorCode.MEMBER_ID_REQUIRED)) {
      const memberId = join.memberId;
      const pending = client.request(JoinGroupRequest, JoinGroupResponse, version, {
        groupId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 20_000, memberId, protocolType: 'consumer', protocols,
      });
      await joinHeld(broker, groupId);
      await broker.scheduler.advance(TEST_CONFIG.initialRebalanceDelayMs);
      join = await pending;
    }
    expect(join).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, protocolName: 'range' });
    const sync = await client.request(SyncGroupRequest, SyncGroupResponse, 3, {
      groupId, generationId: 1, memberId: join.memberId, assignments: [{ memberId: join.memberId, assignment: Buffer.from('a') }],
    });
    expect(sync).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, assignment: Buffer.from('a') });
    return join.memberId;
  }

  test('ApiVersions lists every group API with the versions the clients need', async () => {
    const versions = await client.request(ApiVersionsRequest, ApiVersionsResponse, 0, {});
    const ranges = new Map(versions.apiKeys.map(({ apiKey, minVersion, maxVersion }) => [apiKey, [minVersion, maxVersion]]));
    expect(Object.fromEntries([8, 9, 10, 11, 12, 13, 14, 15, 16, 42].map((key) => [key, ranges.get(key)]))).toEqual({
      8: [0, 7], 9: [1, 5], 10: [0, 2], 11: [0, 5], 12: [0, 3], 13: [0, 3], 14: [0, 3], 15: [0, 4], 16: [0, 2], 42: [0, 1],
    });
  });

  test('FindCoordinator points at the broker that owns the group; transactions are refused', async () => {
    expect(await client.request(FindCoordinatorRequest, FindCoordinatorResponse, 0, { key: 'g' })).toEqual({
      throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, nodeId: 7, host: '127.0.0.1', port: broker.port,
    });
    expect(await client.request(FindCoordinatorRequest, FindCoordinatorResponse, 2, { key: 'tx', keyType: 1 })).toMatchObject({
      errorCode: ErrorCode.INVALID_REQUEST, nodeId: -1, errorMessage: expect.stringContaining('transactions are not supported'),
    });
  });

  test('JoinGroup v3 joins at once; v4 first answers MEMBER_ID_REQUIRED with the id to use', async () => {
    const join = { groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 20_000, memberId: '', protocolType: 'consumer', protocols };
    const v4 = await client.request(JoinGroupRequest, JoinGroupResponse, 4, join);
    expect(v4).toMatchObject({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, generationId: -1, memberId: expect.stringMatching(/^wire-client-/) });
    const pending = client.request(JoinGroupRequest, JoinGroupResponse, 3, { ...join, groupId: 'h' });
    await joinHeld(broker, 'h');
    await broker.scheduler.advance(TEST_CONFIG.initialRebalanceDelayMs);
    const v3 = await pending;
    expect(v3).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, leader: v3.memberId });
    expect(v3.members).toEqual([{ memberId: v3.memberId, groupInstanceId: null, metadata: protocols[0].metadata }]);
  });

  test('Heartbeat and LeaveGroup: v0-2 give one error code, v3 one per member', async () => {
    const memberId = await stableGroup('g');
    expect(await client.request(HeartbeatRequest, HeartbeatResponse, 0, { groupId: 'g', generationId: 1, memberId })).toEqual({
      throttleTimeMs: 0, errorCode: ErrorCode.NONE,
    });
    expect(await client.request(HeartbeatRequest, HeartbeatResponse, 3, { groupId: 'g', generationId: 0, memberId })).toMatchObject({
      errorCode: ErrorCode.ILLEGAL_GENERATION,
    });
    expect(await client.request(LeaveGroupRequest, LeaveGroupResponse, 1, { groupId: 'g', memberId: 'nobody', members: [] })).toEqual({
      throttleTimeMs: 0, errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [],
    });
    const left = await client.request(LeaveGroupRequest, LeaveGroupResponse, 3, {
      groupId: 'g', memberId: '', members: [{ memberId, groupInstanceId: null }, { memberId: 'nobody', groupInstanceId: null }],
    });
    expect(left).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      members: [
        { memberId, groupInstanceId: null, errorCode: ErrorCode.NONE },
        { memberId: 'nobody', groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID },
      ],
    });
  });

  test('OffsetCommit per version, unknown partitions refused, and the commit is a record of __consumer_offsets', async () => {
    const memberId = await stableGroup('g');
    const committed = await client.request(OffsetCommitRequest, OffsetCommitResponse, 2, {
      groupId: 'g', generationId: 1, memberId, retentionTimeMs: -1n,
      topics: [
        { name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 10n, committedMetadata: 'm' }, { partitionIndex: 9, committedOffset: 1n, committedMetadata: null }] },
        { name: 'missing', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] },
      ],
    });
    expect(committed).toEqual({
      throttleTimeMs: 0,
      topics: [
        { name: 'orders', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.NONE }, { partitionIndex: 9, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
        { name: 'missing', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
      ],
    });
    // v0: a simple commit; v7 with a leader epoch.
    await client.request(OffsetCommitRequest, OffsetCommitResponse, 0, {
      groupId: 'simple', memberId: '', topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 5n, committedMetadata: null }] }],
    });
    await client.request(OffsetCommitRequest, OffsetCommitResponse, 7, {
      groupId: 'g', generationId: 1, memberId,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 2, committedOffset: 30n, committedLeaderEpoch: 4, committedMetadata: null }] }],
    });
    const appended = broker.storage.appendCalls.filter((call) => call.topic === OFFSETS_TOPIC);
    expect(appended.length).toBeGreaterThanOrEqual(4); // the group's generation and three commits

    const v1 = await client.request(OffsetFetchRequest, OffsetFetchResponse, 1, {
      groupId: 'g', topics: [{ name: 'orders', partitionIndexes: [0, 1, 2] }],
    });
    expect(v1).toEqual({
      throttleTimeMs: 0,
      errorCode: 0,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, committedOffset: 10n, committedLeaderEpoch: -1, metadata: 'm', errorCode: 0 },
            { partitionIndex: 1, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
            { partitionIndex: 2, committedOffset: 30n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
          ],
        },
      ],
    });
    const all = await client.request(OffsetFetchRequest, OffsetFetchResponse, 5, { groupId: 'g', topics: null });
    expect(all.topics[0].partitions.map((p) => [p.partitionIndex, p.committedOffset, p.committedLeaderEpoch])).toEqual([
      [0, 10n, -1],
      [2, 30n, 4],
    ]);
    const simple = await client.request(OffsetFetchRequest, OffsetFetchResponse, 3, { groupId: 'simple', topics: null });
    expect(simple.topics).toEqual([{ name: 'orders', partitions: [expect.objectContaining({ partitionIndex: 1, committedOffset: 5n })] }]);
  });

  test('ListGroups, DescribeGroups and DeleteGroups', async () => {
    const memberId = await stableGroup('g');
    await client.request(OffsetCommitRequest, OffsetCommitResponse, 3, {
      groupId: 'simple', generationId: -1, memberId: '', retentionTimeMs: -1n,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }],
    });
    const listed = await client.request(ListGroupsRequest, ListGroupsResponse, 2, {});
    expect(listed.errorCode).toBe(ErrorCode.NONE);
    expect(listed.groups).toEqual(expect.arrayContaining([{ groupId: 'g', protocolType: 'consumer' }, { groupId: 'simple', protocolType: '' }]));

    const described = await client.request(DescribeGroupsRequest, DescribeGroupsResponse, 4, { groups: ['g', 'nobody'], includeAuthorizedOperations: true });
    expect(described.groups).toEqual([
      {
        errorCode: 0, groupId: 'g', groupState: 'Stable', protocolType: 'consumer', protocolData: 'range', authorizedOperations: 328,
        members: [{ memberId, groupInstanceId: null, clientId: 'wire-client', clientHost: '/127.0.0.1', memberMetadata: protocols[0].metadata, memberAssignment: Buffer.from('a') }],
      },
      { errorCode: 0, groupId: 'nobody', groupState: 'Dead', protocolType: '', protocolData: '', members: [], authorizedOperations: 328 },
    ]);

    const deleted = await client.request(DeleteGroupsRequest, DeleteGroupsResponse, 1, { groupsNames: ['simple', 'g', 'nobody'] });
    expect(deleted.results).toEqual([
      { groupId: 'simple', errorCode: ErrorCode.NONE },
      { groupId: 'g', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'nobody', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
  });
});

describe('a coordinator rebuilt from the storage', () => {
  test('replays __consumer_offsets through Storage.fetch: the committed offsets come back, unreadable records skipped', async () => {
    const storage = new MemoryStorage();
    await storage.createTopic('orders', 3, {});
    const first = await startGroupServer(storage);
    const client = await WireClient.connect(first.port);
    await client.request(OffsetCommitRequest, OffsetCommitResponse, 5, {
      groupId: 'simple', generationId: -1, memberId: '',
      topics: [{ name: 'orders', partitions: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, committedOffset: BigInt(partitionIndex * 100), committedMetadata: null })) }],
    });

    // Bytes some client produced into the topic: unreadable records are skipped, not fatal.
    const partition = first.coordinator.partitionFor('simple');
    const garbage = buildRecordBatch([{ key: Buffer.from([0, 1, 0xff]), value: 'not a commit' }, { key: null, value: 'x' }]);
    await storage.append({ topic: OFFSETS_TOPIC, partition }, garbage, [readBatchHeader(garbage)], { timeoutMs: 1_000 });
    await client.request(OffsetCommitRequest, OffsetCommitResponse, 5, {
      groupId: 'simple', generationId: -1, memberId: '',
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 2, committedOffset: 201n, committedMetadata: null }] }],
    });
    client.close();
    await first.stop();

    const second = await startGroupServer(storage);
    try {
      expect(second.coordinator.fetchOffsets('simple', null).offsets.map((fetched) => fetched.offset)).toEqual([0n, 100n, 201n]);
    } finally {
      await second.stop();
    }
  });
});
