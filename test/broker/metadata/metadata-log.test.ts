/**
 * The metadata log on the real local-directory store: total order under concurrent writers,
 * re-proposal, checkpoints, lost responses, and the data-path sections' apply rules.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import {
  DATA_PATH_SECTIONS,
  MetadataLog,
  MetadataLogBehindError,
  brokersSection,
  checkpointKey,
  logKey,
  partitionDataKey,
  partitionDataSection,
  producerIdsSection,
  topicsSection,
  type ApplyOutcome,
  type CommittedPart,
  type MetadataLogOptions,
  type MetadataSection,
} from '../../../broker/metadata';
import { PreconditionFailedError } from '../../../broker/storage/object-store';
import { FileObjectStore } from '../../../broker/storage/object-stores';
import { storeWith } from '../../support/store-with';

const logger = pino({ level: 'silent' });
let tempDir: string;
let store: FileObjectStore;
let counter = 0;

beforeAll(async () => {
  tempDir = await mkdtemp(path.join(tmpdir(), 'metadata-log-'));
});
afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});
beforeEach(() => {
  store = new FileObjectStore(path.join(tempDir, `store-${++counter}`));
});

type LogOptions = Partial<Pick<MetadataLogOptions, 'nodeId' | 'store' | 'sections' | 'checkpointInterval' | 'trimAfterMs' | 'clock' | 'onFellBehind'>>;

async function openLog(options: LogOptions = {}) {
  const log = new MetadataLog({
    store: options.store ?? store,
    sections: options.sections ?? DATA_PATH_SECTIONS,
    nodeId: options.nodeId ?? 1,
    logger,
    checkpointInterval: options.checkpointInterval,
    trimAfterMs: options.trimAfterMs,
    clock: options.clock,
    onFellBehind: options.onFellBehind,
  });
  await log.open();
  return log;
}

const topicId = (n: number) => n.toString(16).padStart(32, '0');

function createTopic(log: MetadataLog, name: string, id: string, partitionCount = 1) {
  return log.append((state) =>
    state.get(topicsSection).byName.has(name)
      ? undefined
      : { kind: 'topic-created', name, topicId: id, partitionCount, configs: {}, internal: false },
  );
}

function part(id: string, baseOffset: number, nextOffset: number): CommittedPart {
  return { topicId: id, partition: 0, baseOffset, nextOffset, position: 0, size: 100, maxTimestamp: 1000 + nextOffset, producers: [] };
}

test('entries apply in order, and a reopened log rebuilds the same state', async () => {
  const log = await openLog();
  await createTopic(log, 'orders', topicId(1), 3);
  await log.append(() => ({ kind: 'objects-committed', objects: [{ key: 'data/a', sizeBytes: 100, parts: [part(topicId(1), 0, 10)] }] }));
  expect(log.head).toBe(2);
  const reopened = await openLog();
  expect(reopened.head).toBe(2);
  expect(reopened.state.save()).toEqual(log.state.save());
  const data = reopened.state.get(partitionDataSection).partitions.get(partitionDataKey(topicId(1), 0))!;
  expect(data.nextOffset).toBe(10);
  expect(data.segments).toEqual([{ objectKey: 'data/a', baseOffset: 0, nextOffset: 10, position: 0, size: 100, maxTimestamp: 1010 }]);
});

test('concurrent writers on two logs get one total order and never allocate the same producer ids', async () => {
  const a = await openLog({ nodeId: 1 });
  const b = await openLog({ nodeId: 2 });
  const allocate = async (log: MetadataLog): Promise<number> => {
    let first = -1;
    await log.append((state) => {
      first = state.get(producerIdsSection).nextProducerId;
      return { kind: 'producer-ids-allocated', firstProducerId: first, count: 10 };
    });
    return first;
  };
  const firsts = await Promise.all(Array.from({ length: 30 }, (_, i) => allocate(i % 2 === 0 ? a : b)));
  expect(new Set(firsts).size).toBe(30);
  expect([...firsts].sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i * 10));
  await a.catchUp();
  await b.catchUp();
  expect(a.head).toBe(30);
  expect(a.state.save()).toEqual(b.state.save());
  expect(a.state.get(producerIdsSection).nextProducerId).toBe(300);
});

test('a proposal is re-run against the newer state and may decline', async () => {
  const a = await openLog({ nodeId: 1 });
  const b = await openLog({ nodeId: 2 });
  const [first, second] = await Promise.all([createTopic(a, 'race', topicId(7)), createTopic(b, 'race', topicId(8))]);
  const outcomes = [first, second];
  expect(outcomes.filter((outcome) => outcome !== undefined)).toHaveLength(1);
  await a.catchUp();
  await b.catchUp();
  expect(a.head).toBe(1);
  expect(b.state.get(topicsSection).byName.get('race')).toEqual(a.state.get(topicsSection).byName.get('race'));
});

test('listeners hear entries written by other brokers when catching up', async () => {
  const a = await openLog({ nodeId: 1 });
  const b = await openLog({ nodeId: 2 });
  const heard: ApplyOutcome[] = [];
  a.onApplied((outcome) => heard.push(outcome));
  await createTopic(b, 'elsewhere', topicId(3));
  await a.catchUp();
  expect(heard.map((outcome) => [outcome.sequence, outcome.entry.kind, outcome.entry.writer.nodeId])).toEqual([[1, 'topic-created', 2]]);
  expect(a.state.get(topicsSection).byName.has('elsewhere')).toBe(true);
});

test('a create-only write whose response was lost is recognised as our own and applied once', async () => {
  // The first conditional put lands but reports a precondition failure, as a retried S3 PUT would.
  let failNext = true;
  const lossy = storeWith(store, {
    put: async (key, body, condition, crc32c) => {
      const info = await store.put(key, body, condition, crc32c);
      if (condition && failNext) {
        failNext = false;
        throw new PreconditionFailedError(key);
      }
      return info;
    },
  });
  const log = await openLog({ store: lossy });
  const outcome = await createTopic(log, 'once', topicId(4));
  expect(outcome?.sequence).toBe(1);
  expect(outcome?.rejected).toBeUndefined();
  expect(log.head).toBe(1);
  await log.catchUp();
  expect(log.head).toBe(1);
});

test('checkpoints bound replay: a log opens from the latest checkpoint without the entries before it', async () => {
  const log = await openLog({ checkpointInterval: 5 });
  for (let i = 0; i < 12; i++) await createTopic(log, `topic-${i}`, topicId(100 + i));
  // Checkpoints are written in the background; wait until the one at 10 exists.
  while ((await store.head('meta/checkpoint/00000000000000000010')) === undefined) await new Promise((r) => setTimeout(r, 10));
  for (let sequence = 1; sequence <= 10; sequence++) await store.delete(logKey(sequence));
  const reopened = await openLog({ checkpointInterval: 5 });
  expect(reopened.head).toBe(12);
  expect([...reopened.state.get(topicsSection).byName.keys()].sort()).toEqual(
    Array.from({ length: 12 }, (_, i) => `topic-${i}`).sort(),
  );
});

describe('trimming', () => {
  // One clock for every broker; an hour becomes a second. The margin is a tenth: 100 ms.
  let now = 0;
  const clock = (): number => now;
  const TRIM_AFTER_MS = 1000;
  const trimmed = { checkpointInterval: 5, trimAfterMs: TRIM_AFTER_MS, clock };
  const exists = async (key: string): Promise<boolean> => (await store.head(key)) !== undefined;

  beforeEach(() => {
    now = 0;
  });

  /**
   * Entries 1..10 written at time 0, then 11..25 at 5 s, then the log closed (its checkpoint writes
   * and trims done). The checkpoint at 20 trims up to 10; the one at 25 finds 15 too young.
   */
  async function writeTwentyFiveEntries(log: MetadataLog, from = 0): Promise<void> {
    for (let i = from; i < 10; i++) await createTopic(log, `old-${i}`, topicId(300 + i));
    now = 5000;
    for (let i = 0; i < 15; i++) await createTopic(log, `new-${i}`, topicId(400 + i));
    await log.close();
  }

  test('entries older than the trim age below two newer checkpoints are deleted, with the checkpoints before them; the log still opens whole', async () => {
    await writeTwentyFiveEntries(await openLog(trimmed));
    for (let sequence = 1; sequence <= 25; sequence++) expect(await exists(logKey(sequence))).toBe(sequence > 10);
    expect(await Promise.all([5, 10, 15, 20, 25].map((sequence) => exists(checkpointKey(sequence))))).toEqual([false, true, true, true, true]);
    const reopened = await openLog(trimmed);
    expect(reopened.head).toBe(25);
    expect(reopened.state.get(topicsSection).byName.size).toBe(25);
  });

  test('the two latest checkpoints, and the entries after the older one, stay however old', async () => {
    const log = await openLog(trimmed);
    for (let i = 0; i < 10; i++) await createTopic(log, `old-${i}`, topicId(800 + i));
    now = 5000;
    for (let i = 0; i < 5; i++) await createTopic(log, `new-${i}`, topicId(900 + i));
    await log.close();
    // Entry 10 is old, but its checkpoint is the second latest: the trim stops at 5.
    for (let sequence = 1; sequence <= 15; sequence++) expect(await exists(logKey(sequence))).toBe(sequence > 5);
    expect(await Promise.all([5, 10, 15].map((sequence) => exists(checkpointKey(sequence))))).toEqual([true, true, true]);
  });

  test('a broker that fell behind the trimmed log finds out: its catch-up and its create-only write fail, and nobody reads what it wrote', async () => {
    const fellBehind: string[] = [];
    const writer = await openLog({ ...trimmed, nodeId: 2 });
    await createTopic(writer, 'first', topicId(299));
    // Two brokers whose view stops at entry 1 (cut off from the store, say) while the log moves on.
    const laggingReader = await openLog({ ...trimmed, nodeId: 3, onFellBehind: (reason) => fellBehind.push(reason) });
    const laggingWriter = await openLog({ ...trimmed, nodeId: 4, onFellBehind: (reason) => fellBehind.push(reason) });
    await writeTwentyFiveEntries(writer, 1);

    // Entry 2 is gone: "not found" would read as the end of the log.
    await expect(laggingReader.catchUp()).rejects.toThrow(MetadataLogBehindError);
    // Sequence 2 is free again: the create-only write succeeds, but the entry is not applied.
    await expect(createTopic(laggingWriter, 'stale', topicId(500))).rejects.toThrow(/fell behind the trimmed log/);
    expect(laggingWriter.state.get(topicsSection).byName.has('stale')).toBe(false);
    expect(fellBehind).toHaveLength(2);
    expect(await exists(logKey(2))).toBe(true); // written, below the checkpoints: dead weight for the next trim
    const fresh = await openLog(trimmed);
    expect(fresh.head).toBe(25);
    expect(fresh.state.get(topicsSection).byName.has('stale')).toBe(false);
  });

  test('a quiet log is not taken for a trimmed one: after ten trim ages without an entry, catch-ups and appends work', async () => {
    const fellBehind: string[] = [];
    const log = await openLog({ ...trimmed, onFellBehind: (reason) => fellBehind.push(reason) });
    for (let i = 0; i < 7; i++) await createTopic(log, `t-${i}`, topicId(600 + i));
    await log.close(); // the checkpoint at 5 is written
    const writer = await openLog({ ...trimmed, onFellBehind: (reason) => fellBehind.push(reason) });
    const other = await openLog({ ...trimmed, nodeId: 2, onFellBehind: (reason) => fellBehind.push(reason) });
    now = 10 * TRIM_AFTER_MS;
    await other.catchUp();
    await createTopic(writer, 'after-a-quiet-hour', topicId(700));
    await other.catchUp();
    expect(other.head).toBe(8);
    expect(other.state.get(topicsSection).byName.has('after-a-quiet-hour')).toBe(true);
    expect(fellBehind).toEqual([]);
  });
});

test('a gap in the log is reported, not skipped', async () => {
  const log = await openLog();
  for (let i = 0; i < 3; i++) await createTopic(log, `t${i}`, topicId(200 + i));
  await store.delete(logKey(2));
  await expect(openLog()).rejects.toThrow(/has a gap: meta\/log\/00000000000000000003 follows 1/);
});

describe('object commits', () => {
  test('only a part that starts at the next offset is accepted; an object with no accepted part is deletable', async () => {
    const log = await openLog();
    await createTopic(log, 't', topicId(9));
    const commit = (key: string, parts: CommittedPart[]) =>
      log.append(() => ({ kind: 'objects-committed', objects: [{ key, sizeBytes: 100, parts }] }));
    expect((await commit('data/1', [part(topicId(9), 0, 5)]))!.ignored).toEqual([]);
    const duplicate = await commit('data/2', [part(topicId(9), 0, 5)]);
    expect(duplicate!.ignored).toEqual([expect.stringContaining("the partition's next offset is 5")]);
    const gap = await commit('data/3', [part(topicId(9), 6, 8)]);
    expect(gap!.ignored).toHaveLength(1);
    const unknown = await commit('data/4', [{ ...part(topicId(99), 0, 1) }]);
    expect(unknown!.ignored).toEqual([expect.stringContaining('no such partition')]);
    const slice = log.state.get(partitionDataSection);
    expect(slice.partitions.get(partitionDataKey(topicId(9), 0))!.nextOffset).toBe(5);
    expect([...slice.objects.keys()]).toEqual(['data/1']);
    expect([...slice.deletable.keys()].sort()).toEqual(['data/2', 'data/3', 'data/4']);
  });

  test("a node's earlier incarnation may not commit once the node registered again", async () => {
    const log = await openLog();
    await createTopic(log, 't', topicId(10));
    const register = () => log.append(() => ({ kind: 'broker-registered', nodeId: 1, host: 'h', port: 1, zone: null }));
    const firstEpoch = (await register())!.sequence;
    log.setWriterEpoch(firstEpoch);
    await log.append(() => ({ kind: 'objects-committed', objects: [{ key: 'data/x', sizeBytes: 1, parts: [part(topicId(10), 0, 3)] }] }));
    const secondEpoch = (await register())!.sequence;
    expect(log.state.get(brokersSection).latestEpoch.get(1)).toBe(secondEpoch);
    const stale = await log.append(() => ({
      kind: 'objects-committed',
      objects: [{ key: 'data/y', sizeBytes: 1, parts: [part(topicId(10), 3, 6)] }],
    }));
    expect(stale!.ignored).toEqual([expect.stringContaining(`epoch ${firstEpoch} may not write`)]);
    log.setWriterEpoch(secondEpoch);
    const fresh = await log.append(() => ({
      kind: 'objects-committed',
      objects: [{ key: 'data/z', sizeBytes: 1, parts: [part(topicId(10), 3, 6)] }],
    }));
    expect(fresh!.ignored).toEqual([]);
  });

  test('advancing the log start drops whole segments and frees objects nothing else refers to', async () => {
    const log = await openLog();
    await createTopic(log, 't', topicId(11));
    for (const [key, base, next] of [['data/1', 0, 10], ['data/2', 10, 20], ['data/3', 20, 30]] as const) {
      await log.append(() => ({ kind: 'objects-committed', objects: [{ key, sizeBytes: 100, parts: [part(topicId(11), base, next)] }] }));
    }
    await log.append(() => ({ kind: 'log-start-advanced', topicId: topicId(11), partition: 0, logStartOffset: 20 }));
    const slice = log.state.get(partitionDataSection);
    const data = slice.partitions.get(partitionDataKey(topicId(11), 0))!;
    expect(data.logStartOffset).toBe(20);
    expect(data.segments.map((segment) => segment.objectKey)).toEqual(['data/3']);
    expect(data.bytes).toBe(100);
    expect([...slice.deletable.keys()].sort()).toEqual(['data/1', 'data/2']);
    const backwards = await log.append(() => ({ kind: 'log-start-advanced', topicId: topicId(11), partition: 0, logStartOffset: 5 }));
    expect(backwards!.rejected).toMatch(/outside/);
    await log.append(() => ({ kind: 'objects-deleted', keys: ['data/1', 'data/2'] }));
    expect(slice.deletable.size).toBe(0);
  });

  test('one log-starts-advanced entry moves many partitions, each start applied or ignored on its own', async () => {
    const log = await openLog();
    await createTopic(log, 'a', topicId(13));
    await createTopic(log, 'b', topicId(14));
    await log.append(() => ({
      kind: 'objects-committed',
      objects: [{ key: 'data/ab', sizeBytes: 200, parts: [part(topicId(13), 0, 10), part(topicId(14), 0, 10)] }],
    }));
    await log.append(() => ({
      kind: 'objects-committed',
      objects: [{ key: 'data/ab2', sizeBytes: 200, parts: [part(topicId(13), 10, 20), part(topicId(14), 10, 20)] }],
    }));
    const outcome = await log.append(() => ({
      kind: 'log-starts-advanced',
      starts: [
        { topicId: topicId(13), partition: 0, logStartOffset: 10 },
        { topicId: topicId(14), partition: 0, logStartOffset: 10 },
        { topicId: topicId(14), partition: 0, logStartOffset: 99 },
        { topicId: topicId(15), partition: 0, logStartOffset: 1 },
      ],
    }));
    expect(outcome!.rejected).toBeUndefined();
    expect(outcome!.ignored).toEqual([expect.stringMatching(/log start 99 outside \(10, 20\]/), expect.stringMatching(/not writable/)]);
    const slice = log.state.get(partitionDataSection);
    for (const id of [topicId(13), topicId(14)]) expect(slice.partitions.get(partitionDataKey(id, 0))!.logStartOffset).toBe(10);
    // The first object lost its segments in both partitions: nothing refers to it any more.
    expect([...slice.deletable.keys()]).toEqual(['data/ab']);
    expect(log.head).toBe(5);
  });

  test('deleting a topic frees its objects', async () => {
    const log = await openLog();
    await createTopic(log, 'gone', topicId(12));
    await log.append(() => ({ kind: 'objects-committed', objects: [{ key: 'data/g', sizeBytes: 5, parts: [part(topicId(12), 0, 1)] }] }));
    await log.append(() => ({ kind: 'topic-deleted', name: 'gone', topicId: topicId(12) }));
    const slice = log.state.get(partitionDataSection);
    expect(slice.partitions.size).toBe(0);
    expect([...slice.deletable.keys()]).toEqual(['data/g']);
  });
});

test('an extra section adds entry kinds, is checkpointed, and can veto partition writes', async () => {
  interface Fences {
    fenced: Set<number>;
  }
  const fencing: MetadataSection<Fences> = {
    name: 'test-fencing',
    kinds: ['epoch-fenced'],
    create: () => ({ fenced: new Set() }),
    apply: (slice, entry) => {
      slice.fenced.add(entry.epoch as number);
    },
    acceptsPartitionWrite: (slice, writerEpoch) => writerEpoch === undefined || !slice.fenced.has(writerEpoch),
    save: (slice) => [...slice.fenced],
    load: (saved) => ({ fenced: new Set(saved as number[]) }),
  };
  const sections = [...DATA_PATH_SECTIONS, fencing];
  const log = await openLog({ sections, checkpointInterval: 4 });
  await createTopic(log, 't', topicId(13));
  const epoch = (await log.append(() => ({ kind: 'broker-registered', nodeId: 1, host: 'h', port: 1, zone: null })))!.sequence;
  log.setWriterEpoch(epoch);
  await log.append(() => ({ kind: 'epoch-fenced', epoch }));
  const outcome = await log.append(() => ({
    kind: 'objects-committed',
    objects: [{ key: 'data/f', sizeBytes: 1, parts: [part(topicId(13), 0, 1)] }],
  }));
  expect(outcome!.ignored).toEqual([expect.stringContaining('may not write')]);
  while ((await store.head('meta/checkpoint/00000000000000000004')) === undefined) await new Promise((r) => setTimeout(r, 10));
  const reopened = await openLog({ sections });
  expect(reopened.state.get(fencing).fenced).toEqual(new Set([epoch]));
});
