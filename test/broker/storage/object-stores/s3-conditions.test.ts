/**
 * S3 conditional writes: s3rver ignores conditions, so the requests the store sends and its
 * handling of the responses S3 documents (412 Precondition Failed, 409 ConditionalRequestConflict)
 * are checked with aws-sdk-client-mock.
 */
import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { ObjectNotFoundError, PreconditionFailedError } from '../../../../broker/storage/object-store';
import { S3ObjectStore } from '../../../../broker/storage/object-stores';

const s3Mock = mockClient(S3Client);
const store = new S3ObjectStore({ bucket: 'bucket', prefix: 'cluster-a', client: new S3Client({ region: 'us-east-1' }) });

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });
}

beforeEach(() => s3Mock.reset());

test('create-only sends If-None-Match: * under the prefix', async () => {
  s3Mock.on(PutObjectCommand).resolves({ ETag: '"abc"' });
  const info = await store.put('meta/log/1', Buffer.from('x'), { ifNoneMatch: '*' });
  expect(info).toEqual({ key: 'meta/log/1', sizeBytes: 1, etag: '"abc"' });
  const input = s3Mock.commandCalls(PutObjectCommand)[0].args[0].input;
  expect(input).toMatchObject({ Bucket: 'bucket', Key: 'cluster-a/meta/log/1', IfNoneMatch: '*' });
  // CRC-32C of "x", computed natively and sent for S3 to verify.
  expect(input.ChecksumCRC32C).toBe(Buffer.from([0xa9, 0x3c, 0x5f, 0x93]).toString('base64'));
  expect(input.IfMatch).toBeUndefined();
});

test('compare-and-swap sends If-Match with the ETag', async () => {
  s3Mock.on(PutObjectCommand).resolves({ ETag: '"def"' });
  await store.put('lease', Buffer.from('x'), { ifMatch: '"abc"' });
  const input = s3Mock.commandCalls(PutObjectCommand)[0].args[0].input;
  expect(input).toMatchObject({ Key: 'cluster-a/lease', IfMatch: '"abc"' });
  expect(input.IfNoneMatch).toBeUndefined();
});

test('an unconditional put sends neither condition', async () => {
  s3Mock.on(PutObjectCommand).resolves({ ETag: '"e"' });
  await store.put('data/x', Buffer.from('x'));
  const input = s3Mock.commandCalls(PutObjectCommand)[0].args[0].input;
  expect(input.IfMatch).toBeUndefined();
  expect(input.IfNoneMatch).toBeUndefined();
});

test.each([
  ['PreconditionFailed', 412],
  ['ConditionalRequestConflict', 409],
])('%s (%i) becomes PreconditionFailedError', async (name, status) => {
  s3Mock.on(PutObjectCommand).rejects(s3Error(name, status));
  const failure = store.put('meta/log/1', Buffer.from('x'), { ifNoneMatch: '*' });
  await expect(failure).rejects.toBeInstanceOf(PreconditionFailedError);
  await expect(failure).rejects.toMatchObject({ key: 'meta/log/1' });
});

test('other failures pass through unchanged', async () => {
  s3Mock.on(PutObjectCommand).rejects(s3Error('AccessDenied', 403));
  await expect(store.put('k', Buffer.from('x'))).rejects.toMatchObject({ name: 'AccessDenied' });
});

test('NoSuchKey becomes ObjectNotFoundError, and ranges use the inclusive HTTP form', async () => {
  s3Mock.on(GetObjectCommand).rejects(s3Error('NoSuchKey', 404));
  await expect(store.get('data/x', { start: 10, end: 20 })).rejects.toBeInstanceOf(ObjectNotFoundError);
  expect(s3Mock.commandCalls(GetObjectCommand)[0].args[0].input.Range).toBe('bytes=10-19');
});
