/**
 * A real S3 protocol server for tests: s3rver on a random free loopback port, storing into a
 * temporary directory, with one bucket. Always `await server.stop()` (afterAll).
 *
 * s3rver speaks path-style S3 over HTTP (or HTTPS with `{ tls: true }`, serving the test-only
 * certificate in test/support/tls for 127.0.0.1, which TEST_CA trusts) and accepts any request
 * signed with its fixed credentials; it ignores conditional writes (If-None-Match / If-Match), so
 * condition handling is tested against documented S3 responses with aws-sdk-client-mock instead.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import S3rver from 's3rver';

const TLS_DIR = path.join(__dirname, 'tls');
const TEST_CA_FILE = path.join(TLS_DIR, 'localhost-cert.pem');

/** The self-signed certificate an s3rver started with `{ tls: true }` serves (test-only, for 127.0.0.1). */
export const TEST_CA = readFileSync(TEST_CA_FILE);

export interface RunningS3rver {
  /** e.g. http://127.0.0.1:41234, or https:// with `{ tls: true }` */
  readonly endpoint: string;
  readonly bucket: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  /** The environment a broker process needs to use this server: its credentials, a region, and for HTTPS trust in TEST_CA. */
  readonly brokerEnv: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

export async function startS3rver(bucket = 'diskless-test', options: { tls?: boolean } = {}): Promise<RunningS3rver> {
  const directory = await mkdtemp(path.join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
    ...(options.tls ? { key: readFileSync(path.join(TLS_DIR, 'localhost-key.pem')), cert: TEST_CA } : {}),
  });
  const address = await server.run();
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  return {
    endpoint: `${options.tls ? 'https' : 'http'}://127.0.0.1:${address.port}`,
    bucket,
    credentials,
    brokerEnv: {
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_REGION: 'us-east-1',
      ...(options.tls ? { NODE_EXTRA_CA_CERTS: TEST_CA_FILE } : {}),
    },
    async stop() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
