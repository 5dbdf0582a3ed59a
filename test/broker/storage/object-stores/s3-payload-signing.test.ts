/**
 * How the S3 store signs PUTs, against s3rver over HTTPS and over HTTP: over HTTPS the body is
 * not hashed into the signature (`UNSIGNED-PAYLOAD`; its CRC-32C header is what S3 checks), over
 * HTTP it is. The requests are read as sent, after signing, and s3rver checks each signature.
 */
import { createHash, randomBytes } from 'node:crypto';
import { S3ObjectStore } from '../../../../broker/storage/object-stores';
import { createS3Client } from '../../../../broker/storage/object-stores/s3-client';
import { startS3rver, TEST_CA, type RunningS3rver } from '../../../support/s3rver';

interface SentRequest {
  readonly method: string;
  readonly headers: Record<string, string>;
}

/** A store on the store's own kind of client, recording every request as it goes on the wire (signed). */
function recordingStore(server: RunningS3rver): { store: S3ObjectStore; sent: SentRequest[] } {
  const client = createS3Client({ endpoint: server.endpoint, credentials: server.credentials, ca: TEST_CA.toString() });
  const sent: SentRequest[] = [];
  client.middlewareStack.add(
    (next) => (args) => {
      const request = args.request as { method: string; headers: Record<string, string> };
      sent.push({ method: request.method, headers: { ...request.headers } });
      return next(args);
    },
    { step: 'deserialize', name: 'recordSentRequests' },
  );
  return { store: new S3ObjectStore({ bucket: server.bucket, prefix: 'signing', client }), sent };
}

const servers: RunningS3rver[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
});

test('over HTTPS a PUT is signed without a hash of its body, and the body arrives whole', async () => {
  const server = await startS3rver('signing-tls', { tls: true });
  servers.push(server);
  expect(server.endpoint).toMatch(/^https:/);
  const { store, sent } = recordingStore(server);
  const body = randomBytes(1 << 20);

  await store.put('data/object-1', body);
  expect((await store.get('data/object-1')).equals(body)).toBe(true);

  const put = sent.find((request) => request.method === 'PUT')!;
  expect(put.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
  expect(put.headers['x-amz-checksum-crc32c']).toBeDefined();
  expect(put.headers.authorization).toMatch(/SignedHeaders=[^,]*x-amz-checksum-crc32c[^,]*x-amz-content-sha256/);
  // A request without a body keeps the hash of the empty payload.
  const get = sent.find((request) => request.method === 'GET')!;
  expect(get.headers['x-amz-content-sha256']).toBe(createHash('sha256').update('').digest('hex'));
});

test('over plain HTTP a PUT keeps its body signed', async () => {
  const server = await startS3rver('signing-plain');
  servers.push(server);
  const { store, sent } = recordingStore(server);
  const body = randomBytes(64 << 10);

  await store.put('data/object-2', body);
  expect((await store.get('data/object-2')).equals(body)).toBe(true);

  const put = sent.find((request) => request.method === 'PUT')!;
  expect(put.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
});
