/**
 * The S3 client of the S3 object store and of its PUT thread, built from settings that are plain
 * data so that they can cross to a worker thread.
 *
 * Every PUT carries the body's CRC-32C, which S3 checks against the bytes it receives. Over HTTPS
 * a PUT is therefore signed without a hash of its payload (`UNSIGNED-PAYLOAD`, the single-chunk
 * option S3's SigV4 documents), as the AWS SDKs for Python and Java do when a checksum header is
 * present: TLS protects the bytes in transit, the checksum catches corruption, and the SDK would
 * otherwise hash every object with SHA-256 on the calling thread (a fifth of the broker's
 * JavaScript thread in a throughput run against an S3 server, `docs/performance.md`). Over plain
 * HTTP (an S3-compatible endpoint on a private network) the payload stays signed.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Agent } from 'node:https';

export interface S3ClientSettings {
  /** An S3-compatible endpoint (e.g. http://127.0.0.1:4568); implies path-style addressing. */
  readonly endpoint?: string;
  /** @default AWS_REGION from the environment, else us-east-1 */
  readonly region?: string;
  /** Attempts per request, the first included, with exponential backoff between. @default 8 */
  readonly maxAttempts?: number;
  /** Static credentials; when absent, the SDK's default chain (environment, instance role). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** Certificates (PEM) to trust besides the system's, for an endpoint with a private CA. */
  readonly ca?: string;
}

export function createS3Client(settings: S3ClientSettings): S3Client {
  const client = new S3Client({
    region: settings.region ?? process.env.AWS_REGION ?? 'us-east-1',
    endpoint: settings.endpoint,
    forcePathStyle: settings.endpoint !== undefined,
    maxAttempts: settings.maxAttempts ?? 8,
    retryMode: 'standard',
    credentials: settings.credentials,
    ...(settings.ca !== undefined ? { requestHandler: { httpsAgent: new Agent({ keepAlive: true, ca: settings.ca }) } } : {}),
    // S3-compatible servers often lack the newer default checksum headers; AWS gets them.
    ...(settings.endpoint !== undefined ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
  });
  signPayloadsOnlyWithoutTls(client);
  return client;
}

const CONTENT_SHA256_HEADER = 'x-amz-content-sha256';
const CRC32C_HEADER = 'x-amz-checksum-crc32c';
const UNSIGNED_PAYLOAD_MIDDLEWARE = 'disklessUnsignedPayloadOverHttps';

/** A request with a body and a CRC-32C header, over HTTPS, is signed without hashing its payload (see above). */
export function signPayloadsOnlyWithoutTls(client: S3Client): void {
  if (client.middlewareStack.identify().some((entry) => entry.startsWith(`${UNSIGNED_PAYLOAD_MIDDLEWARE} `))) return;
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
    { step: 'build', name: UNSIGNED_PAYLOAD_MIDDLEWARE },
  );
}

/**
 * A PUT of `body` with its CRC-32C, which S3 verifies (computed natively by the caller: the SDK
 * would compute its own in JavaScript, tens of milliseconds per 8 MiB object), and S3's
 * conditions when given.
 */
export function putObjectCommand(
  bucket: string,
  key: string,
  body: Uint8Array,
  crc32c: number,
  condition: { ifNoneMatch?: string; ifMatch?: string } = {},
): PutObjectCommand {
  const checksum = Buffer.alloc(4);
  checksum.writeUInt32BE(crc32c, 0);
  return new PutObjectCommand({
    Bucket: bucket,
    Key: key,
    Body: Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
    ContentLength: body.byteLength,
    ChecksumCRC32C: checksum.toString('base64'),
    IfNoneMatch: condition.ifNoneMatch,
    IfMatch: condition.ifMatch,
  });
}
