/** Shared pieces of the storage engine tests: temporary directories, engines, batches, reading back. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { crc32c } from '@node-rs/crc32';
import pino from 'pino';
import { buildRecordBatch, readRecords, batchesOf, validateProducedRecords, type RecordBatchOptions } from '../../../../broker/protocol/record-batch';
import { createStorage, type StorageEngine, type StorageOptions } from '../../../../broker/storage';
import type { ObjectStore } from '../../../../broker/storage/object-store';
import { FileObjectStore } from '../../../../broker/storage/object-stores';
import { storeWith } from '../../../support/store-with';

export const silentLogger = pino({ level: 'silent' });

export interface TempDirs {
  readonly root: string;
  readonly walDir: string;
  readonly objectsUrl: string;
  remove(): Promise<void>;
}

export async function tempDirs(): Promise<TempDirs> {
  const root = await mkdtemp(path.join(tmpdir(), 'storage-engine-'));
  return {
    root,
    walDir: path.join(root, 'wal'),
    objectsUrl: `file://${path.join(root, 'objects')}`,
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

export async function startEngine(dirs: TempDirs, options: Partial<StorageOptions> = {}): Promise<StorageEngine> {
  const engine = createStorage(
    {
      nodeId: 1,
      walDir: dirs.walDir,
      objectStore: dirs.objectsUrl,
      walCapacityMiB: 4,
      uploadAgeMs: 20,
      retentionCheckIntervalMs: 3_600_000,
      ...options,
    },
    silentLogger,
  );
  await engine.start();
  return engine;
}

/** What a test file gets from {@link engineFixture}. */
export interface EngineFixture {
  /** The running test's own temporary directories. */
  readonly dirs: TempDirs;
  /** Starts an engine on `dirs`; the engine last started is the one closed after the test. */
  start(options?: Partial<StorageOptions>): Promise<StorageEngine>;
  /** Closes the engine last started now, so that nothing is left to close after the test. */
  stop(): Promise<void>;
}

/**
 * The fixture of the engine tests, registered on the calling file's beforeEach/afterEach: fresh
 * temporary directories for each test; after it, the engine it started last is closed (unless
 * stopped already) and the directories are removed. An engine replaced without a close (a crash)
 * is left as the test left it.
 */
export function engineFixture(): EngineFixture {
  let dirs: TempDirs | undefined;
  let engine: StorageEngine | undefined;
  beforeEach(async () => {
    dirs = await tempDirs();
  });
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    await dirs?.remove();
    dirs = undefined;
  });
  const currentDirs = (): TempDirs => {
    if (!dirs) throw new Error('engineFixture: no test is running');
    return dirs;
  };
  return {
    get dirs() {
      return currentDirs();
    },
    async start(options = {}) {
      engine = await startEngine(currentDirs(), options);
      return engine;
    },
    async stop() {
      await engine?.close();
      engine = undefined;
    },
  };
}

/** A produced record set: one uncompressed batch with the given values. */
export function batch(values: readonly string[], options: RecordBatchOptions = {}): { records: Buffer; headers: ReturnType<typeof validateProducedRecords> } {
  const records = buildRecordBatch(
    values.map((value) => ({ key: `k-${value}`, value })),
    options,
  );
  return { records, headers: validateProducedRecords(records, 10 * 1024 * 1024) };
}

export async function produce(engine: StorageEngine, topic: string, partition: number, values: readonly string[], options: RecordBatchOptions = {}) {
  const { records, headers } = batch(values, options);
  return engine.append({ topic, partition }, records, headers, { timeoutMs: 30_000 });
}

/** Every record of the partition from `fromOffset` to the high watermark, as [offset, value]. */
export async function readAll(engine: StorageEngine, topic: string, partition: number, fromOffset = 0n): Promise<[bigint, string][]> {
  const out: [bigint, string][] = [];
  let offset = fromOffset;
  for (;;) {
    const [result] = await engine.fetch([{ topic, partition, fetchOffset: offset, maxBytes: 64 * 1024 }], {
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1024 * 1024,
    });
    if (result.errorCode !== 0) throw new Error(`fetch error ${result.errorCode} at ${offset}`);
    if (result.records.length === 0) return out;
    for (const { position, header } of batchesOf(result.records)) {
      // Every batch returned carries a valid CRC.
      validateProducedRecords(Buffer.from(result.records.subarray(position, position + header.sizeInBytes)).fill(0, 0, 8), Number.MAX_SAFE_INTEGER);
      for (const record of readRecords(result.records, position)) {
        if (record.offset >= offset) out.push([record.offset, record.value!.toString()]);
      }
      offset = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
    }
  }
}

/**
 * A local-directory store that checks, as S3 does, every CRC-32C a writer hands it with a body
 * against the body itself (the uploader combines it from the batches' checksums instead of
 * reading the body).
 */
export function checksumCheckingStore(root: string): { store: ObjectStore; checked: () => number; mismatches: string[] } {
  const inner = new FileObjectStore(root);
  let checked = 0;
  const mismatches: string[] = [];
  const store = storeWith(inner, {
    put: (key, body, condition, knownCrc32c) => {
      if (knownCrc32c !== undefined) {
        checked++;
        const actual = crc32c(Buffer.isBuffer(body) ? body : Buffer.concat(body));
        if (actual !== knownCrc32c) mismatches.push(`${key}: given ${knownCrc32c}, body has ${actual}`);
      }
      return inner.put(key, body, condition, knownCrc32c);
    },
  });
  return { store, checked: () => checked, mismatches };
}
