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
 * Every PUT carries the body's CRC-32C, which S3 checks against the bytes it receives. Over HTTPS
 * the PUT is therefore signed without a hash of its payload (`UNSIGNED-PAYLOAD`, the single-chunk
 * option S3's SigV4 documents), as the AWS SDKs for Python and Java do when a checksum header is
 * present: TLS protects the bytes in transit, the checksum catches corruption, and the SDK would
 * otherwise hash every object with SHA-256 on the event loop (a fifth of the broker's JavaScript
 * thread in a throughput run against an S3 server, `docs/performance.md`). Over plain HTTP (an
 * S3-compatible endpoint on a private network) the payload stays signed.
 */
import { crc32c } from '@node-rs/crc32';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import {
  ObjectNotFoundError,
  PreconditionFailedError,
  type ByteRange,
  type ObjectInfo,
  type ObjectStore,
  type WriteCondition,
} from '../object-store';

export interface S3ObjectStoreOptions {
  readonly bucket: string;
  /** Key prefix without leading or trailing '/', or '' for the bucket root. */
  readonly prefix: string;
  /** An S3-compatible endpoint (e.g. http://127.0.0.1:4568); implies path-style addressing. */
  readonly endpoint?: string;
  /** @default AWS_REGION from the environment, else us-east-1 */
  readonly region?: string;
  /** Attempts per request, the first included, with exponential backoff between. @default 8 */
  readonly maxAttempts?: number;
  readonly credentials?: S3ClientConfig['credentials'];
  /** A ready client (tests); the options above that configure a client are then ignored. */
  readonly client?: S3Client;
}

export class S3ObjectStore implements ObjectStore {
  readonly location: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly keyPrefix: string;

  constructor(options: S3ObjectStoreOptions) {
    this.bucket = options.bucket;
    this.keyPrefix = options.prefix === '' ? '' : `${options.prefix}/`;
    this.location = `s3://${options.bucket}${options.prefix === '' ? '' : `/${options.prefix}`}`;
    this.client =
      options.client ??
      new S3Client({
        region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
        endpoint: options.endpoint,
        forcePathStyle: options.endpoint !== undefined,
        maxAttempts: options.maxAttempts ?? 8,
        retryMode: 'standard',
        credentials: options.credentials,
        // S3-compatible servers often lack the newer default checksum headers; AWS gets them.
        ...(options.endpoint !== undefined
          ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
          : {}),
      });
    signPayloadsOnlyWithoutTls(this.client);
  }

  async put(key: string, body: Buffer, condition?: WriteCondition, knownCrc32c?: number): Promise<ObjectInfo> {
    try {
      const output = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.fullKey(key),
          Body: body,
          ContentLength: body.length,
          // S3 verifies it; computed natively here, the SDK would compute its own CRC in JavaScript
          // on the event loop (tens of milliseconds per 8 MiB object).
          ChecksumCRC32C: crc32cBase64(knownCrc32c ?? crc32c(body)),
          IfNoneMatch: condition && 'ifNoneMatch' in condition ? condition.ifNoneMatch : undefined,
          IfMatch: condition && 'ifMatch' in condition ? condition.ifMatch : undefined,
        }),
      );
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

const CONTENT_SHA256_HEADER = 'x-amz-content-sha256';
const CRC32C_HEADER = 'x-amz-checksum-crc32c';

/** See the header comment: a request with a body and a CRC-32C header, over HTTPS, is signed without hashing its payload. */
function signPayloadsOnlyWithoutTls(client: S3Client): void {
  client.middlewareStack.add(
    (next) => (args) => {
      const request = args.request as Partial<{ protocol: string; headers: Record<string, string>; body: unknown }>;
      const headers = request.headers;
      if (request.protocol === 'https:' && request.body !== undefined && headers !== undefined) {
        const names = Object.keys(headers).map((name) => name.toLowerCase());
        if (names.includes(CRC32C_HEADER) && !names.includes(CONTENT_SHA256_HEADER)) headers[CONTENT_SHA256_HEADER] = 'UNSIGNED-PAYLOAD';
      }
      return next(args);
    },
    { step: 'build', name: 'disklessUnsignedPayloadOverHttps' },
  );
}

function crc32cBase64(crc: number): string {
  const checksum = Buffer.alloc(4);
  checksum.writeUInt32BE(crc, 0);
  return checksum.toString('base64');
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
