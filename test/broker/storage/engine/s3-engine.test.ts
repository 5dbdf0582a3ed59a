/**
 * The engine on S3 (a real S3 protocol server): S3 is the source of truth. Produce, stop, delete
 * the WAL directory, restart on the same bucket, read everything back (cold, by ranged reads).
 */
import { rm } from 'node:fs/promises';
import type { StorageEngine } from '../../../../broker/storage';
import { decodeDataObjectIndex } from '../../../../broker/storage/engine/data-object';
import { S3ObjectStore } from '../../../../broker/storage/object-stores';
import { startS3rver, type RunningS3rver } from '../../../support/s3rver';
import { produce, readAll, startEngine, tempDirs, type TempDirs } from './helpers';

let s3: RunningS3rver;
let dirs: TempDirs;
let engine: StorageEngine | undefined;

beforeAll(async () => {
  s3 = await startS3rver();
  dirs = await tempDirs();
});
afterAll(async () => {
  await engine?.close();
  await s3.stop();
  await dirs.remove();
});

test('produce, stop, lose the WAL, restart on the same bucket, read everything back', async () => {
  const store = () => new S3ObjectStore({ bucket: s3.bucket, prefix: 'cluster-1', endpoint: s3.endpoint, credentials: s3.credentials });
  engine = await startEngine(dirs, { objectStore: store(), uploadSizeMiB: 0.1, blockBytes: 8192 });
  await engine.createTopic('s3', 2, {});
  const values = Array.from({ length: 300 }, (_, i) => `record-${i}-${'z'.repeat(i % 100)}`);
  for (const [i, value] of values.entries()) await produce(engine, 's3', i % 2, [value]);
  await engine.close();
  expect(engine.statistics.objects).toBeGreaterThan(1);
  engine = undefined;
  await rm(dirs.walDir, { recursive: true, force: true });

  engine = await startEngine(dirs, { objectStore: store(), blockBytes: 8192 });
  for (const partition of [0, 1]) {
    const read = await readAll(engine, 's3', partition);
    expect(read.map(([, value]) => value)).toEqual(values.filter((_, i) => i % 2 === partition));
  }
  expect(engine.statistics.blockCache.misses).toBeGreaterThan(0);

  // Each data object describes itself: its index matches what the metadata log committed.
  const segment = engine.committedSegments('s3', 1)[0];
  const index = decodeDataObjectIndex(await store().get(segment.objectKey));
  expect(index).toContainEqual(expect.objectContaining({ partition: 1, baseOffset: segment.baseOffset, nextOffset: segment.nextOffset, size: segment.size }));
});
