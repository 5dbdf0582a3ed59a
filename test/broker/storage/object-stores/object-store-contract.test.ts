/**
 * The behaviour every object store shares, checked against the local-directory store and against
 * the S3 store talking to a real S3 protocol server (s3rver).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ObjectNotFoundError, type ObjectStore } from '../../../../broker/storage/object-store';
import { FileObjectStore, S3ObjectStore, openObjectStore } from '../../../../broker/storage/object-stores';
import { startS3rver, type RunningS3rver } from '../../../support/s3rver';

let s3: RunningS3rver;
let tempDir: string;

beforeAll(async () => {
  s3 = await startS3rver();
  tempDir = await mkdtemp(path.join(tmpdir(), 'object-store-'));
});

afterAll(async () => {
  await s3.stop();
  await rm(tempDir, { recursive: true, force: true });
});

let counter = 0;
const stores: [string, () => ObjectStore][] = [
  ['file', () => new FileObjectStore(path.join(tempDir, `store-${++counter}`))],
  [
    's3',
    () =>
      new S3ObjectStore({
        bucket: s3.bucket,
        prefix: `prefix-${++counter}`,
        endpoint: s3.endpoint,
        credentials: s3.credentials,
      }),
  ],
];

describe.each(stores)('%s object store', (_name, makeStore) => {
  let store: ObjectStore;
  beforeEach(() => {
    store = makeStore();
  });

  test('put then get returns the same bytes, and head reports size and the same ETag', async () => {
    const body = Buffer.from('hello object store');
    const written = await store.put('a/b/c.bin', body);
    expect(written.sizeBytes).toBe(body.length);
    expect(await store.get('a/b/c.bin')).toEqual(body);
    const info = await store.head('a/b/c.bin');
    expect(info).toEqual({ key: 'a/b/c.bin', sizeBytes: body.length, etag: written.etag });
  });

  test.each([
    ['a few small pieces', [Buffer.from('gathered '), Buffer.alloc(0), Buffer.from('from pieces')]],
    // More pieces than one writev takes (IOV_MAX is 1024), some empty, 1.5 MiB in all.
    ['3000 pieces', Array.from({ length: 3000 }, (_, i) => randomBytes(i % 7 === 0 ? 0 : (i * 7919) % 1049))],
  ])('a body given in %s is written as their concatenation, with the ETag of the whole', async (_what, pieces) => {
    const whole = Buffer.concat(pieces);
    const gathered = await store.put('gathered', pieces);
    const single = await store.put('single', whole);
    expect(gathered.sizeBytes).toBe(whole.length);
    expect(gathered.etag).toBe(single.etag);
    expect((await store.get('gathered')).equals(whole)).toBe(true);
  });

  test('overwriting changes the ETag', async () => {
    const first = await store.put('k', Buffer.from('one'));
    const second = await store.put('k', Buffer.from('two'));
    expect(second.etag).not.toBe(first.etag);
    expect((await store.get('k')).toString()).toBe('two');
  });

  test('ranged reads return [start, end), clipped at the end of the object', async () => {
    await store.put('r', Buffer.from('0123456789'));
    expect((await store.get('r', { start: 2, end: 5 })).toString()).toBe('234');
    expect((await store.get('r', { start: 7, end: 100 })).toString()).toBe('789');
    expect((await store.get('r', { start: 4, end: 4 })).length).toBe(0);
  });

  test('a missing object: get throws ObjectNotFoundError, head is undefined, delete succeeds', async () => {
    await expect(store.get('missing')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(store.get('missing', { start: 0, end: 3 })).rejects.toBeInstanceOf(ObjectNotFoundError);
    expect(await store.head('missing')).toBeUndefined();
    await expect(store.delete('missing')).resolves.toBeUndefined();
  });

  test('list returns the keys under a prefix in lexicographic order, after startAfter', async () => {
    const keys = ['meta/log/00000000000000000002', 'meta/log/00000000000000000001', 'meta/other', 'data/1', 'meta/log/00000000000000000010'];
    for (const key of keys) await store.put(key, Buffer.from(key));
    const listed = async (prefix: string, startAfter?: string): Promise<string[]> => {
      const out: string[] = [];
      for await (const info of store.list(prefix, startAfter)) out.push(info.key);
      return out;
    };
    expect(await listed('meta/log/')).toEqual([
      'meta/log/00000000000000000001',
      'meta/log/00000000000000000002',
      'meta/log/00000000000000000010',
    ]);
    expect(await listed('meta/log/', 'meta/log/00000000000000000001')).toEqual([
      'meta/log/00000000000000000002',
      'meta/log/00000000000000000010',
    ]);
    expect(await listed('meta/')).toEqual([
      'meta/log/00000000000000000001',
      'meta/log/00000000000000000002',
      'meta/log/00000000000000000010',
      'meta/other',
    ]);
    expect(await listed('nothing/')).toEqual([]);
  });

  test('delete removes the object', async () => {
    await store.put('gone', Buffer.from('x'));
    await store.delete('gone');
    expect(await store.head('gone')).toBeUndefined();
  });

  test('create-only succeeds on a new key and writes the body', async () => {
    const info = await store.put('fresh', Buffer.from('first'), { ifNoneMatch: '*' });
    expect(info.sizeBytes).toBe(5);
    expect((await store.get('fresh')).toString()).toBe('first');
  });
});

describe('openObjectStore', () => {
  test('chooses the store by URL scheme', () => {
    expect(openObjectStore(`file://${tempDir}/x`)).toBeInstanceOf(FileObjectStore);
    const s3Store = openObjectStore('s3://my-bucket/some/prefix/', { s3Endpoint: s3.endpoint });
    expect(s3Store).toBeInstanceOf(S3ObjectStore);
    expect(s3Store.location).toBe('s3://my-bucket/some/prefix');
  });

  test.each([
    ['not a url', /invalid object store URL "not a url"/],
    ['http://bucket/x', /unsupported object store URL "http:\/\/bucket\/x": the scheme must be file: or s3:/],
    ['s3://ab/x', /the bucket name needs at least 3 characters/],
    ['file://host/path', /file URLs need an absolute path/],
  ])('rejects %s with a clear message', (url, message) => {
    expect(() => openObjectStore(url)).toThrow(message);
  });
});
