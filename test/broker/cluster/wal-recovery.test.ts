/**
 * Failover's data step on real parts: a dead broker's real WAL (preallocated segments, fsync) in a
 * temporary "shared" directory, the metadata log and a data object in the local-directory store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { clusterSection } from '../../../broker/cluster/cluster-section';
import { recoverPartitionFromWals } from '../../../broker/cluster/wal-recovery';
import { DATA_PATH_SECTIONS, MetadataLog, partitionDataKey, partitionDataSection, topicsSection } from '../../../broker/metadata';
import { buildRecordBatch, readRecords } from '../../../broker/protocol/record-batch';
import { FileObjectStore } from '../../../broker/storage/object-stores';
import { WriteAheadLog } from '../../../broker/storage/wal/wal';

const logger = pino({ level: 'silent' });
const TOPIC_ID = 'ab'.repeat(16);
let tempDir: string;
let counter = 0;
beforeAll(async () => {
  tempDir = await mkdtemp(path.join(tmpdir(), 'wal-recovery-'));
});
afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

interface Setup {
  walRoot: string;
  store: FileObjectStore;
  dead: MetadataLog;
  survivor: MetadataLog;
  deadEpoch: number;
  survivorEpoch: number;
}

async function openLog(store: FileObjectStore, nodeId: number): Promise<MetadataLog> {
  const log = new MetadataLog({ store, sections: [...DATA_PATH_SECTIONS, clusterSection], nodeId, logger });
  await log.open();
  return log;
}

async function register(log: MetadataLog, nodeId: number): Promise<number> {
  const outcome = await log.append(() => ({ kind: 'broker-registered', nodeId, host: 'h', port: 1, zone: null }));
  log.setWriterEpoch(outcome!.sequence);
  return outcome!.sequence;
}

/** Node 7 registers, creates topic t (2 partitions) and owns both; node 8 registers too. */
async function setup(): Promise<Setup> {
  const root = path.join(tempDir, `case-${++counter}`);
  const store = new FileObjectStore(path.join(root, 'objects'));
  const dead = await openLog(store, 7);
  const deadEpoch = await register(dead, 7);
  await dead.append(() => ({ kind: 'topic-created', name: 't', topicId: TOPIC_ID, partitionCount: 2, configs: {}, internal: false }));
  await dead.append(() => ({
    kind: 'partitions-assigned',
    by: deadEpoch,
    changes: [0, 1].map((partition) => ({ topic: 't', partition, owner: deadEpoch, expectedVersion: 0 })),
  }));
  const survivor = await openLog(store, 8);
  const survivorEpoch = await register(survivor, 8);
  return { walRoot: path.join(root, 'wal'), store, dead, survivor, deadEpoch, survivorEpoch };
}

/** Writes batches to node `nodeId`'s WAL as epoch `epoch` would: each { partition, baseOffset, values }. */
async function writeWal(
  walRoot: string,
  nodeId: number,
  epoch: number,
  records: { partition: number; baseOffset: number; values: string[]; producer?: { id: bigint; sequence: number } }[],
): Promise<void> {
  const wal = await WriteAheadLog.open({ dir: path.join(walRoot, String(nodeId)), nodeId, capacityBytes: 1024 * 1024, logger }, epoch, () => undefined);
  for (const record of records) {
    const payload = buildRecordBatch(
      record.values.map((value) => ({ value })),
      {
        baseOffset: BigInt(record.baseOffset),
        ...(record.producer ? { producerId: record.producer.id, producerEpoch: 0, baseSequence: record.producer.sequence } : {}),
      },
    );
    await wal.append({
      payloadBytes: payload.length,
      deadline: Date.now() + 1000,
      place: () => ({
        fields: { epoch, topicId: Buffer.from(TOPIC_ID, 'hex'), partition: record.partition, baseOffset: record.baseOffset, recordCount: record.values.length },
        payload,
      }),
    });
  }
  await wal.close();
}

async function fenceAndAssign(s: Setup, partitions: number[]): Promise<void> {
  await s.survivor.catchUp();
  await s.survivor.append(() => ({ kind: 'broker-fenced', epoch: s.deadEpoch, by: s.survivorEpoch }));
  await s.survivor.append((state) => ({
    kind: 'partitions-assigned',
    by: s.survivorEpoch,
    changes: partitions.map((partition) => ({
      topic: 't',
      partition,
      owner: s.survivorEpoch,
      expectedVersion: state.get(clusterSection).partition('t', partition).version,
    })),
  }));
}

async function committedValues(s: Setup, partition: number): Promise<string[]> {
  const data = s.survivor.state.get(partitionDataSection).partitions.get(partitionDataKey(TOPIC_ID, partition))!;
  const values: string[] = [];
  for (const segment of data.segments) {
    const bytes = await s.store.get(segment.objectKey, { start: segment.position, end: segment.position + segment.size });
    for (let at = 0; at < bytes.length; ) {
      const records = readRecords(bytes, at);
      values.push(...records.map((r) => `${r.offset}:${r.value!.toString()}`));
      at += 12 + bytes.readInt32BE(at + 8);
    }
  }
  return values;
}

describe('recoverPartitionFromWals', () => {
  test('takes the dead epoch\'s records of the partition above the committed end, uploads and commits them', async () => {
    const s = await setup();
    await writeWal(s.walRoot, 7, s.deadEpoch, [
      { partition: 0, baseOffset: 0, values: ['a', 'b'] },
      { partition: 1, baseOffset: 0, values: ['other partition'] },
      { partition: 0, baseOffset: 2, values: ['c'], producer: { id: 42n, sequence: 0 } },
    ]);
    await fenceAndAssign(s, [0]);
    const result = await recoverPartitionFromWals({ walRoot: s.walRoot, store: s.store, metadataLog: s.survivor, logger }, { topic: 't', partition: 0 }, [
      { nodeId: 7, epoch: s.deadEpoch },
    ]);
    expect(result).toMatchObject({ fromOffset: 0, toOffset: 3, records: 3 });
    expect(result.objectKey).toMatch(new RegExp(`^data/8-${s.survivorEpoch}-recovered-`));
    expect(await committedValues(s, 0)).toEqual(['0:a', '1:b', '2:c']);
    const data = s.survivor.state.get(partitionDataSection).partitions.get(partitionDataKey(TOPIC_ID, 0))!;
    expect(data.producers.get('42')?.batches).toEqual([{ firstSequence: 0, lastSequence: 0, baseOffset: 2, lastOffset: 2 }]);
    // Repeating the replay (say the new owner crashed before it said "recovered") takes nothing twice.
    const again = await recoverPartitionFromWals({ walRoot: s.walRoot, store: s.store, metadataLog: s.survivor, logger }, { topic: 't', partition: 0 }, [
      { nodeId: 7, epoch: s.deadEpoch },
    ]);
    expect(again).toEqual({ fromOffset: 3, toOffset: 3, records: 0, objectKey: undefined });
  });

  test('skips what the dead broker committed itself, and a later incarnation\'s records in the same directory', async () => {
    const s = await setup();
    await writeWal(s.walRoot, 7, s.deadEpoch, [
      { partition: 0, baseOffset: 0, values: ['a'] },
      { partition: 0, baseOffset: 1, values: ['b'] },
    ]);
    // The dead broker had committed offset 0 before it died.
    await s.dead.append(() => ({
      kind: 'objects-committed',
      objects: [{ key: 'data/x', sizeBytes: 1, parts: [{ topicId: TOPIC_ID, partition: 0, baseOffset: 0, nextOffset: 1, position: 0, size: 1, maxTimestamp: 0, producers: [] }] }],
    }));
    // A later incarnation of node 7 wrote into the same WAL directory (its records carry its epoch).
    await writeWal(s.walRoot, 7, s.survivorEpoch + 100, [{ partition: 0, baseOffset: 2, values: ['not this epoch'] }]);
    await fenceAndAssign(s, [0]);
    const result = await recoverPartitionFromWals({ walRoot: s.walRoot, store: s.store, metadataLog: s.survivor, logger }, { topic: 't', partition: 0 }, [
      { nodeId: 7, epoch: s.deadEpoch },
    ]);
    expect(result).toMatchObject({ fromOffset: 1, toOffset: 2, records: 1 });
  });

  test('a commit by the fenced epoch after the fence does not count, so its late upload cannot collide with the replay', async () => {
    const s = await setup();
    await writeWal(s.walRoot, 7, s.deadEpoch, [{ partition: 0, baseOffset: 0, values: ['a'] }]);
    await fenceAndAssign(s, [0]);
    await s.dead.catchUp();
    const zombie = await s.dead.append(() => ({
      kind: 'objects-committed',
      objects: [{ key: 'data/zombie', sizeBytes: 1, parts: [{ topicId: TOPIC_ID, partition: 0, baseOffset: 0, nextOffset: 1, position: 0, size: 1, maxTimestamp: 0, producers: [] }] }],
    }));
    expect(zombie!.ignored).toHaveLength(1);
    const result = await recoverPartitionFromWals({ walRoot: s.walRoot, store: s.store, metadataLog: s.survivor, logger }, { topic: 't', partition: 0 }, [
      { nodeId: 7, epoch: s.deadEpoch },
    ]);
    expect(result).toMatchObject({ fromOffset: 0, toOffset: 1 });
  });

  test('a broker that does not own the partition cannot commit a replay: it fails and leaves no object behind', async () => {
    const s = await setup();
    await writeWal(s.walRoot, 7, s.deadEpoch, [{ partition: 0, baseOffset: 0, values: ['a'] }]);
    await s.survivor.catchUp();
    await s.survivor.append(() => ({ kind: 'broker-fenced', epoch: s.deadEpoch, by: s.survivorEpoch })); // fenced, not assigned
    await expect(
      recoverPartitionFromWals({ walRoot: s.walRoot, store: s.store, metadataLog: s.survivor, logger }, { topic: 't', partition: 0 }, [{ nodeId: 7, epoch: s.deadEpoch }]),
    ).rejects.toThrow('recovery of t-0 was not committed: the partition ends at 0, the replay at 1');
    const keys: string[] = [];
    for await (const info of s.store.list('data/')) keys.push(info.key);
    expect(keys).toEqual([]);
  });

  test('nothing to replay: a missing WAL directory or an unknown topic', async () => {
    const s = await setup();
    await fenceAndAssign(s, [0]);
    const options = { walRoot: s.walRoot, store: s.store, metadataLog: s.survivor, logger };
    expect(await recoverPartitionFromWals(options, { topic: 't', partition: 0 }, [{ nodeId: 7, epoch: s.deadEpoch }])).toMatchObject({ records: 0 });
    expect(await recoverPartitionFromWals(options, { topic: 'gone', partition: 0 }, [{ nodeId: 7, epoch: s.deadEpoch }])).toMatchObject({ records: 0 });
    expect(s.survivor.state.get(topicsSection).byName.has('t')).toBe(true);
  });
});
