/**
 * The object store: where the data lives for good (S3 in production, a local directory by default).
 *
 * Engines are chosen by URL scheme (`file:///abs/path`, `s3://bucket/prefix`). Besides plain
 * objects, the store is the cluster's strongly consistent authority: conditional writes
 * (create-only, compare-and-swap on the ETag) are how brokers agree on metadata, epochs and
 * leases without a consensus protocol of their own (docs/adr/0001-object-store-is-the-authority.md).
 */

/** A write that succeeds only if the object does not exist yet (S3 `If-None-Match: *`). */
export interface CreateOnly {
  readonly ifNoneMatch: '*';
}
/** A write that succeeds only if the object's current ETag is this one (S3 `If-Match`). */
export interface CompareAndSwap {
  readonly ifMatch: string;
}
export type WriteCondition = CreateOnly | CompareAndSwap;

/**
 * An object's bytes: one buffer, or the pieces to write in order. Pieces let a writer gather an
 * object from memory it already holds (the uploader, from the log cache) instead of copying it
 * into one buffer first; the caller keeps them unchanged until `put` settles.
 */
export type ObjectBody = Buffer | readonly Buffer[];

/** The body's length in bytes. */
export function bodyBytes(body: ObjectBody): number {
  if (Buffer.isBuffer(body)) return body.length;
  let bytes = 0;
  for (const piece of body) bytes += piece.length;
  return bytes;
}

export interface ObjectInfo {
  readonly key: string;
  readonly sizeBytes: number;
  readonly etag: string;
}

/** Inclusive-exclusive byte range [start, end). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** The write's condition did not hold (S3 412, or 409 under concurrency). Re-read, then retry. */
export class PreconditionFailedError extends Error {
  constructor(readonly key: string, options?: { cause?: unknown }) {
    super(`precondition failed for object ${key}`, options);
    this.name = 'PreconditionFailedError';
  }
}

export class ObjectNotFoundError extends Error {
  constructor(readonly key: string, options?: { cause?: unknown }) {
    super(`no object ${key}`, options);
    this.name = 'ObjectNotFoundError';
  }
}

export interface ObjectStore {
  /** Human-readable location for logs, e.g. `s3://bucket/prefix` or `file:///data/objects`. */
  readonly location: string;
  /**
   * Writes the object durably; when this resolves, a crash of this process or machine cannot lose
   * it. Keys are relative to the store's prefix. Throws PreconditionFailedError when `condition`
   * does not hold. `crc32c`, the body's CRC-32C when the caller has it already (the uploader combines
   * it from the produced batches' own checksums), spares the store a pass over the body; S3 checks
   * it against the bytes it receives.
   */
  put(key: string, body: ObjectBody, condition?: WriteCondition, crc32c?: number): Promise<ObjectInfo>;
  /** The object's bytes (or the range's). Throws ObjectNotFoundError. */
  get(key: string, range?: ByteRange): Promise<Buffer>;
  /** The object's size and ETag, or undefined when it does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Keys under `prefix` in lexicographic order, strictly after `startAfter` when given. */
  list(prefix: string, startAfter?: string): AsyncIterable<ObjectInfo>;
  /** Deletes the object; deleting a missing object succeeds. */
  delete(key: string): Promise<void>;
}

/** DELETEs in flight at once in deleteObjects. */
export const DELETE_CONCURRENCY = 16;

/**
 * Deletes `keys`, up to `concurrency` at a time. One at a time, a store answering each DELETE in
 * tens of milliseconds (S3, or a busy disk) deletes fewer objects per second than a broker at a
 * few hundred MiB/s creates, and retention would fall further behind on every pass.
 */
export async function deleteObjects(store: ObjectStore, keys: readonly string[], concurrency = DELETE_CONCURRENCY): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length) await store.delete(keys[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, worker));
}
