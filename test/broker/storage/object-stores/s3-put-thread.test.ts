/**
 * The S3 store's PUT thread (s3-put-thread.ts), against s3rver over HTTPS: which PUTs take it,
 * that S3's errors come back as S3 errors, and what happens when the thread dies under a PUT.
 * (Bodies are compared with Buffer.equals: jest's toEqual takes seconds per MiB.)
 */
import { randomBytes } from 'node:crypto';
import { crc32c } from '@node-rs/crc32';
import { S3ObjectStore } from '../../../../broker/storage/object-stores';
import { S3PutThread } from '../../../../broker/storage/object-stores/s3-put-thread';
import { startS3rver, TEST_CA, type RunningS3rver } from '../../../support/s3rver';

let s3: RunningS3rver;
const stores: S3ObjectStore[] = [];

beforeAll(async () => {
  s3 = await startS3rver('put-thread', { tls: true });
});

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await s3.stop();
});

function storeOn(bucket: string, prefix: string, putThread = true): S3ObjectStore {
  const store = new S3ObjectStore({ bucket, prefix, endpoint: s3.endpoint, credentials: s3.credentials, ca: TEST_CA.toString(), putThread });
  stores.push(store);
  return store;
}

test('large unconditional PUTs go through the thread, shared-memory bodies and bodies in pieces too; small and conditional ones do not', async () => {
  const store = storeOn(s3.bucket, 'routing');
  expect(store.sendsFromThread).toBe(true);
  const large = randomBytes(1 << 20);
  await store.put('data/large', large);
  expect(store.putsFromThread).toBe(1);
  expect((await store.get('data/large')).equals(large)).toBe(true);

  const shared = Buffer.from(new SharedArrayBuffer(512 << 10));
  randomBytes(shared.length).copy(shared);
  const info = await store.put('data/shared', shared);
  expect(store.putsFromThread).toBe(2);
  expect(info.sizeBytes).toBe(shared.length);
  expect((await store.get('data/shared')).equals(Buffer.from(shared))).toBe(true);

  const pieces = [randomBytes(300 << 10), randomBytes(0), randomBytes(400 << 10)];
  expect((await store.put('data/pieces', pieces)).sizeBytes).toBe(700 << 10);
  expect(store.putsFromThread).toBe(3);
  expect((await store.get('data/pieces')).equals(Buffer.concat(pieces))).toBe(true);

  await store.put('data/small', randomBytes(1024));
  await store.put('meta/log/1', randomBytes(1 << 20), { ifNoneMatch: '*' });
  expect(store.putsFromThread).toBe(3);
  expect((await store.get('meta/log/1')).length).toBe(1 << 20);
});

test('putThread: false sends every PUT from the calling thread', async () => {
  const store = storeOn(s3.bucket, 'no-thread', false);
  expect(store.sendsFromThread).toBe(false);
  const body = randomBytes(1 << 20);
  await store.put('data/inline', body);
  await store.put('data/inline-pieces', [body.subarray(0, 1000), body.subarray(1000)]);
  expect(store.putsFromThread).toBe(0);
  expect((await store.get('data/inline')).equals(body)).toBe(true);
  expect((await store.get('data/inline-pieces')).equals(body)).toBe(true);
});

test("S3's errors come back as S3 errors, with their name and HTTP status", async () => {
  const store = storeOn('no-such-bucket-here', 'errors');
  const failure = store.put('data/x', randomBytes(1 << 20));
  await expect(failure).rejects.toMatchObject({ name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } });
  expect(store.putsFromThread).toBe(0);
});

test('a thread that dies under a PUT: the store sends that PUT itself, and every later one', async () => {
  const store = storeOn(s3.bucket, 'dying');
  const body = randomBytes(1 << 20);
  const put = store.put('data/while-dying', body);
  await store.close(); // stops the thread with the PUT in flight
  await put;
  expect((await store.get('data/while-dying')).equals(body)).toBe(true);
  await store.put('data/after', body);
  expect(store.putsFromThread).toBe(0);
  expect(store.sendsFromThread).toBe(false);
  expect((await store.get('data/after')).equals(body)).toBe(true);
});

test('a PUT thread starts again after it stopped', async () => {
  const thread = new S3PutThread({ endpoint: s3.endpoint, credentials: s3.credentials, ca: TEST_CA.toString() });
  const body = randomBytes(256 << 10);
  expect(await thread.put(s3.bucket, 'restart/1', body, crc32c(body))).toMatch(/^"/);
  await thread.close();
  expect(await thread.put(s3.bucket, 'restart/2', body, crc32c(body))).toMatch(/^"/);
  expect(thread.inFlight).toBe(0);
  await thread.close();
});

test("a PUT given while the previous thread stops goes to a new thread, and that thread's end does not fail it", async () => {
  const thread = new S3PutThread({ endpoint: s3.endpoint, credentials: s3.credentials, ca: TEST_CA.toString() });
  const body = randomBytes(256 << 10);
  await thread.put(s3.bucket, 'overlap/1', body, crc32c(body));
  const closing = thread.close();
  const put = thread.put(s3.bucket, 'overlap/2', body, crc32c(body));
  await closing;
  expect(await put).toMatch(/^"/);
  await thread.close();
});
