/**
 * DeleteRecords over the real storage engine (uploads only on flush here, so the test decides what
 * is committed): success and no-op, -1 as the high watermark, offsets beyond it, unknown and
 * foreign partitions answered per partition, and the wait for records not uploaded yet.
 */
import { DeleteRecordsRequest, DeleteRecordsResponse } from '../../../broker/protocol/messages/delete-records';
import type { StorageEngine } from '../../../broker/storage';
import { EARLIEST_TIMESTAMP } from '../../../broker/storage/storage';
import { startInProcessBroker, type InProcessBroker } from '../../support/in-process-broker';
import { WireClient } from '../../support/wire-client';
import { produce, readAll, startEngine, tempDirs, type TempDirs } from '../storage/engine/helpers';
import { TestCluster } from './harness';

describe('DeleteRecords', () => {
  let dirs: TempDirs;
  let engine: StorageEngine;
  let broker: InProcessBroker;
  let cluster: TestCluster;
  let client: WireClient;

  beforeAll(async () => {
    dirs = await tempDirs();
    engine = await startEngine(dirs, { uploadAgeMs: 3_600_000 });
    broker = await startInProcessBroker({ storage: engine, cluster: (port) => (cluster = new TestCluster(port)) });
  });
  afterAll(async () => {
    await broker.stop();
    await engine.close();
    await dirs.remove();
  });
  beforeEach(async () => {
    client = await WireClient.connect(broker.port);
  });
  afterEach(() => client.close());

  type Target = { name: string; partitions: { partitionIndex: number; offset: bigint }[] };
  const deleteRecords = async (topics: Target[], options: { version?: number; timeoutMs?: number } = {}) =>
    (await client.request(DeleteRecordsRequest, DeleteRecordsResponse, options.version ?? 1, { topics, timeoutMs: options.timeoutMs ?? 1000 }))
      .topics;
  const deleteOne = async (name: string, offset: bigint, options: { version?: number; timeoutMs?: number } = {}) =>
    (await deleteRecords([{ name, partitions: [{ partitionIndex: 0, offset }] }], options))[0].partitions[0];
  const logStart = async (name: string) => (await engine.offsetForTimestamp({ topic: name, partition: 0 }, EARLIEST_TIMESTAMP)).offset;

  /** A topic of one partition holding `count` records, all uploaded. */
  async function uploadedTopic(name: string, count: number): Promise<void> {
    await engine.createTopic(name, 1, {});
    for (let i = 0; i < count; i++) await produce(engine, name, 0, [`${name}-${i}`]);
    await engine.flush();
  }

  test.each([0, 1])('v%d moves the log start forward; a lower offset changes nothing', async (version) => {
    const name = `cut-v${version}`;
    await uploadedTopic(name, 5);
    expect(await deleteOne(name, 2n, { version })).toEqual({ partitionIndex: 0, lowWatermark: 2n, errorCode: 0 });
    expect(await logStart(name)).toBe(2n);
    expect((await readAll(engine, name, 0, 2n)).map(([offset]) => offset)).toEqual([2n, 3n, 4n]);
    expect(await deleteOne(name, 1n, { version })).toEqual({ partitionIndex: 0, lowWatermark: 2n, errorCode: 0 });
    expect(await logStart(name)).toBe(2n);
  });

  test('-1 deletes up to the high watermark', async () => {
    await uploadedTopic('all', 4);
    expect(await deleteOne('all', -1n)).toEqual({ partitionIndex: 0, lowWatermark: 4n, errorCode: 0 });
    expect(await logStart('all')).toBe(4n);
  });

  test('an offset beyond the high watermark, or another negative one, is OFFSET_OUT_OF_RANGE', async () => {
    await uploadedTopic('short', 3);
    expect(await deleteOne('short', 4n)).toEqual({ partitionIndex: 0, lowWatermark: -1n, errorCode: 1 });
    expect(await deleteOne('short', -2n)).toEqual({ partitionIndex: 0, lowWatermark: -1n, errorCode: 1 });
    expect(await logStart('short')).toBe(0n);
  });

  test('unknown topics and partitions, and partitions owned elsewhere, fail alone', async () => {
    await uploadedTopic('mixed', 3);
    await engine.createTopic('foreign', 1, {});
    cluster.owners.set('foreign/0', 3);
    try {
      expect(
        await deleteRecords([
          { name: 'mixed', partitions: [{ partitionIndex: 0, offset: 1n }, { partitionIndex: 7, offset: 1n }] },
          { name: 'ghost', partitions: [{ partitionIndex: 0, offset: 1n }] },
          { name: 'foreign', partitions: [{ partitionIndex: 0, offset: 0n }] },
        ]),
      ).toEqual([
        {
          name: 'mixed',
          partitions: [
            { partitionIndex: 0, lowWatermark: 1n, errorCode: 0 },
            { partitionIndex: 7, lowWatermark: -1n, errorCode: 3 },
          ],
        },
        { name: 'ghost', partitions: [{ partitionIndex: 0, lowWatermark: -1n, errorCode: 3 }] },
        { name: 'foreign', partitions: [{ partitionIndex: 0, lowWatermark: -1n, errorCode: 6 }] },
      ]);
    } finally {
      cluster.owners.clear();
    }
    expect(await logStart('mixed')).toBe(1n);
  });

  test('records acknowledged but not uploaded yet: waits for the upload, or times out', async () => {
    await uploadedTopic('pending', 2);
    for (const value of ['p2', 'p3']) await produce(engine, 'pending', 0, [value]);
    expect(engine.committedNextOffset('pending', 0)).toBe(2); // the high watermark is 4

    // Nothing uploads within the timeout: REQUEST_TIMED_OUT (retriable), nothing changed.
    const started = Date.now();
    expect(await deleteOne('pending', 4n, { timeoutMs: 300 })).toEqual({ partitionIndex: 0, lowWatermark: -1n, errorCode: 7 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(await logStart('pending')).toBe(0n);

    // The upload happens while the request waits: it succeeds then.
    let flushing = false;
    const answer = deleteOne('pending', -1n, { timeoutMs: 10_000 }).then((partition) => ({ ...partition, afterFlush: flushing }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    flushing = true;
    await engine.flush();
    expect(await answer).toEqual({ partitionIndex: 0, lowWatermark: 4n, errorCode: 0, afterFlush: true });
    expect(await logStart('pending')).toBe(4n);
  });
});
