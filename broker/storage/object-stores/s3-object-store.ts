/**
 * The S3 object store (`s3://bucket/prefix`), also for S3-compatible servers (`endpoint`, which
 * switches to path-style addressing).
 *
 * Conditions map onto S3's own conditional writes: create-only is `PutObject` with
 * `If-None-Match: *`, compare-and-swap is `If-Match: <ETag>`. S3 answers 412 Precondition Failed
 * when the condition does not hold, and 409 ConditionalRequestConflict when a concurrent
 * conditional write to the same key is in flight; both become PreconditionFailedError and the
 * caller re-reads before retrying. Transient failures (5xx, throttling, network) are retried by
 * the SDK with exponential backoff (`maxAttempts`). One consequence callers handle: a create-only
 * write whose first attempt succeeded but whose response was lost is retried and answers 412;
 * the metadata log therefore tags each entry with its writer and re-reads to recognise its own.
 *
 * PUTs over HTTPS are signed without a hash of their body, which their CRC-32C protects instead
 * (s3-client.ts). Large unconditional PUTs (the data objects) go through a PUT thread
 * (s3-put-thread.ts) unless `putThread` is false; should that thread fail, the store sends them
 * itself from then on.
 *
 * Both senders need the body in one buffer (the SDK retries a PUT by sending its body again): a
 * body given in pieces is copied once, into shared memory from a small pool when the thread will
 * send it (the thread reads shared memory without a copy of its own).
 */
import { crc32c } from '@node-rs/crc32';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  bodyBytes,
  ObjectNotFoundError,
  PreconditionFailedError,
  type ByteRange,
  type ObjectBody,
  type ObjectInfo,
  type ObjectStore,
  type WriteCondition,
} from '../object-store';
import { createS3Client, putObjectCommand, signPayloadsOnlyWithoutTls, type S3ClientSettings } from './s3-client';
import { PutThreadFailure, S3PutThread } from './s3-put-thread';

/** Smaller unconditional PUTs are sent from the calling thread: handing them over costs more than it saves. */
const PUT_THREAD_MIN_BYTES = 64 * 1024;

export interface S3ObjectStoreOptions extends S3ClientSettings {
  readonly bucket: string;
  /** Key prefix without leading or trailing '/', or '' for the bucket root. */
  readonly prefix: string;
  /** Send large unconditional PUTs from a worker thread (s3-put-thread.ts). @default true */
  readonly putThread?: boolean;
  /** A ready client (tests); the settings above are then ignored, and there is no PUT thread. */
  readonly client?: S3Client;
}

export class S3ObjectStore implements ObjectStore {
  readonly location: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly keyPrefix: string;
  private putThread: S3PutThread | undefined;
  private threadPuts = 0;
  private readonly sharedBodies = new SharedBodyPool();

  constructor(options: S3ObjectStoreOptions) {
    this.bucket = options.bucket;
    this.keyPrefix = options.prefix === '' ? '' : `${options.prefix}/`;
    this.location = `s3://${options.bucket}${options.prefix === '' ? '' : `/${options.prefix}`}`;
    if (options.client) {
      this.client = options.client;
      signPayloadsOnlyWithoutTls(this.client);
    } else {
      const settings: S3ClientSettings = {
        endpoint: options.endpoint,
        region: options.region,
        maxAttempts: options.maxAttempts,
        credentials: options.credentials,
        ca: options.ca,
      };
      this.client = createS3Client(settings);
      if (options.putThread ?? true) this.putThread = new S3PutThread(settings);
    }
  }

  /** True while large unconditional PUTs go through the PUT thread. */
  get sendsFromThread(): boolean {
    return this.putThread !== undefined;
  }

  /** How many PUTs the PUT thread has sent. */
  get putsFromThread(): number {
    return this.threadPuts;
  }

  /** Stops the PUT thread, if any (a later large PUT starts it again). */
  async close(): Promise<void> {
    await this.putThread?.close();
  }

  async put(key: string, body: ObjectBody, condition?: WriteCondition, knownCrc32c?: number): Promise<ObjectInfo> {
    const fromThread = this.putThread !== undefined && condition === undefined && bodyBytes(body) >= PUT_THREAD_MIN_BYTES;
    const whole = Buffer.isBuffer(body) ? body : fromThread ? this.sharedBodies.gather(body) : Buffer.concat(body);
    try {
      return await this.putWhole(key, whole, fromThread, condition, knownCrc32c);
    } finally {
      if (whole !== body) this.sharedBodies.release(whole);
    }
  }

  private async putWhole(key: string, body: Buffer, fromThread: boolean, condition?: WriteCondition, knownCrc32c?: number): Promise<ObjectInfo> {
    if (this.putThread && fromThread) {
      try {
        const etag = await this.putThread.put(this.bucket, this.fullKey(key), body, knownCrc32c ?? crc32c(body));
        this.threadPuts++;
        return { key, sizeBytes: body.length, etag };
      } catch (error) {
        if (!(error instanceof PutThreadFailure)) throw error;
        // A broken thread is a bug, not weather: send from here from now on, and say so once.
        this.putThread = undefined;
        process.emitWarning(`${error.message}; the S3 store sends its PUTs from the main thread from now on`, 'DisklessKafkaWarning');
      }
    }
    try {
      const output = await this.client.send(putObjectCommand(this.bucket, this.fullKey(key), body, knownCrc32c ?? crc32c(body), condition));
      return { key, sizeBytes: body.length, etag: output.ETag ?? '' };
    } catch (error) {
      if (isPreconditionFailure(error)) throw new PreconditionFailedError(key, { cause: error });
      throw error;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Buffer> {
    if (range && range.end <= range.start) return Buffer.alloc(0);
    try {
      const output = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.fullKey(key),
          Range: range ? `bytes=${range.start}-${range.end - 1}` : undefined,
        }),
      );
      if (!output.Body) return Buffer.alloc(0);
      const bytes = await output.Body.transformToByteArray();
      // A view, not Buffer.from(bytes), which would copy every block read from S3 once more.
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(key, { cause: error });
      if (range && httpStatus(error) === 416) return Buffer.alloc(0);
      throw error;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const output = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
      return { key, sizeBytes: output.ContentLength ?? 0, etag: output.ETag ?? '' };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async *list(prefix: string, startAfter?: string): AsyncIterable<ObjectInfo> {
    let continuationToken: string | undefined;
    do {
      const output = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.fullKey(prefix),
          StartAfter: startAfter === undefined || continuationToken ? undefined : this.fullKey(startAfter),
          ContinuationToken: continuationToken,
        }),
      );
      for (const object of output.Contents ?? []) {
        if (object.Key === undefined) continue;
        const key = object.Key.slice(this.keyPrefix.length);
        if (startAfter !== undefined && key <= startAfter) continue;
        yield { key, sizeBytes: object.Size ?? 0, etag: object.ETag ?? '' };
      }
      continuationToken = output.IsTruncated ? output.NextContinuationToken : undefined;
    } while (continuationToken);
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  private fullKey(key: string): string {
    return `${this.keyPrefix}${key}`;
  }
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function errorName(error: unknown): string | undefined {
  return (error as { name?: string } | undefined)?.name;
}

function isPreconditionFailure(error: unknown): boolean {
  const status = httpStatus(error);
  const name = errorName(error);
  return status === 412 || status === 409 || name === 'PreconditionFailed' || name === 'ConditionalRequestConflict';
}

function isNotFound(error: unknown): boolean {
  const name = errorName(error);
  return httpStatus(error) === 404 || name === 'NoSuchKey' || name === 'NotFound';
}

/**
 * Shared-memory buffers for bodies given in pieces, reused: object bodies are large and
 * short-lived, and reusing a few spares the garbage collector megabytes of external memory per
 * upload. (V8 copies into shared memory with relaxed atomic stores, slower than memcpy: only
 * bodies the thread sends are gathered here.)
 */
class SharedBodyPool {
  private static readonly KEPT = 4;
  private static readonly GRANULE_BYTES = 4 << 20;
  private readonly free: Buffer[] = [];

  /** The pieces, in order, in one pooled buffer. */
  gather(pieces: readonly Buffer[]): Buffer {
    const bytes = bodyBytes(pieces);
    const index = this.free.findIndex((buffer) => buffer.length >= bytes);
    const size = Math.ceil(Math.max(bytes, 1) / SharedBodyPool.GRANULE_BYTES) * SharedBodyPool.GRANULE_BYTES;
    const buffer = index >= 0 ? this.free.splice(index, 1)[0] : Buffer.from(new SharedArrayBuffer(size));
    let at = 0;
    for (const piece of pieces) at += piece.copy(buffer, at);
    return buffer.subarray(0, bytes);
  }

  /** Takes a gathered body back once its PUT is over (plain buffers are left to the collector). */
  release(body: Buffer): void {
    if (!(body.buffer instanceof SharedArrayBuffer) || this.free.length >= SharedBodyPool.KEPT) return;
    this.free.push(Buffer.from(body.buffer, body.byteOffset, body.buffer.byteLength - body.byteOffset));
  }
}
