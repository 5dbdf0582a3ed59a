/**
 * The storage engine's entry point: `createStorage(options, logger)` builds the engine that
 * implements Storage (storage.ts) over the WAL in `<walDir>/<nodeId>/` and the object store named
 * by URL. Call `start()` before use and `close()` at shutdown.
 */
import type { Logger } from 'pino';
import type { ObjectStore } from './object-store';
import { openObjectStore } from './object-stores';
import { StorageEngine, type StorageEngineOptions } from './engine/engine';

export { StorageEngine, type StorageEngineOptions, type StorageStatistics } from './engine/engine';
export { openObjectStore } from './object-stores';
export { replayWal, type WalReplayResult } from './wal/reader';
export { RecordType, type WalRecord } from './wal/format';
export type { Storage } from './storage';

const MiB = 1024 * 1024;

export interface StorageOptions
  extends Omit<StorageEngineOptions, 'objectStore' | 'walCapacityBytes' | 'uploadBytes' | 'readCacheBytes' | 'logCacheBytes'> {
  /** `file:///abs/path`, `s3://bucket/prefix`, or a ready store. */
  readonly objectStore: string | ObjectStore;
  /** For `s3://` stores: an S3-compatible endpoint (path-style). */
  readonly s3Endpoint?: string;
  /** @default 2048 */
  readonly walCapacityMiB?: number;
  /** @default 8 */
  readonly uploadSizeMiB?: number;
  /** The block cache for reads from the object store. @default 128 */
  readonly readCacheMiB?: number;
  /** The in-memory tail of recent data. @default 128 */
  readonly logCacheMiB?: number;
}

export function createStorage(options: StorageOptions, logger: Logger): StorageEngine {
  const objectStore =
    typeof options.objectStore === 'string'
      ? openObjectStore(options.objectStore, { s3Endpoint: options.s3Endpoint })
      : options.objectStore;
  const bytes = (mib: number | undefined) => (mib === undefined ? undefined : Math.round(mib * MiB));
  return new StorageEngine(
    {
      ...options,
      objectStore,
      walCapacityBytes: bytes(options.walCapacityMiB),
      uploadBytes: bytes(options.uploadSizeMiB),
      readCacheBytes: bytes(options.readCacheMiB),
      logCacheBytes: bytes(options.logCacheMiB),
    },
    logger.child({ component: 'storage' }),
  );
}
