/**
 * A real S3 protocol server for tests: s3rver on a random free loopback port, storing into a
 * temporary directory, with one bucket. Always `await server.stop()` (afterAll).
 *
 * s3rver speaks path-style S3 over HTTP and accepts any request signed with its fixed credentials;
 * it ignores conditional writes (If-None-Match / If-Match), so condition handling is tested against
 * documented S3 responses with aws-sdk-client-mock instead.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import S3rver from 's3rver';

export interface RunningS3rver {
  /** e.g. http://127.0.0.1:41234 */
  readonly endpoint: string;
  readonly bucket: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

export async function startS3rver(bucket = 'diskless-test'): Promise<RunningS3rver> {
  const directory = await mkdtemp(path.join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bucket,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    async stop() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
