/**
 * The local-directory store's conditional writes, for real: racing promises and racing processes.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { PreconditionFailedError } from '../../../../broker/storage/object-store';
import { FileObjectStore } from '../../../../broker/storage/object-stores';

const run = promisify(execFile);
let tempDir: string;
let store: FileObjectStore;
let root: string;

beforeAll(async () => {
  tempDir = await mkdtemp(path.join(tmpdir(), 'file-store-'));
});
afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});
let counter = 0;
beforeEach(() => {
  root = path.join(tempDir, `root-${++counter}`);
  store = new FileObjectStore(root);
});

describe('create-only', () => {
  test('a second create-only write of the same key fails and leaves the first body', async () => {
    await store.put('k', Buffer.from('first'), { ifNoneMatch: '*' });
    await expect(store.put('k', Buffer.from('second'), { ifNoneMatch: '*' })).rejects.toBeInstanceOf(PreconditionFailedError);
    expect((await store.get('k')).toString()).toBe('first');
  });

  test('of 50 racing promises exactly one wins, and its body is the one stored', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => store.put('meta/log/00000000000000000001', Buffer.from(`writer-${i}`), { ifNoneMatch: '*' })),
    );
    const winners = outcomes.flatMap((outcome, i) => (outcome.status === 'fulfilled' ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(PreconditionFailedError);
    }
    expect((await store.get('meta/log/00000000000000000001')).toString()).toBe(`writer-${winners[0]}`);
  });

  test('of 4 racing processes exactly one wins', async () => {
    const startFile = path.join(tempDir, `start-${counter}`);
    const script = path.join(__dirname, 'fixtures', 'create-only-writer.ts');
    const children = Array.from({ length: 4 }, (_, i) =>
      run(process.execPath, ['--import', 'tsx', script, root, 'race/key', `process-${i}`, startFile]),
    );
    // Wait until every process is spinning on the start file, then release them together.
    const readyCount = async (): Promise<number> =>
      (await readdir(tempDir)).filter((name) => name.startsWith(`${path.basename(startFile)}.ready-`)).length;
    while ((await readyCount()) < 4) await new Promise((resolve) => setTimeout(resolve, 20));
    await writeFile(startFile, '');
    const results = (await Promise.all(children)).map((child) => child.stdout.trim());
    expect(results.filter((result) => result === 'won')).toHaveLength(1);
    expect(results.filter((result) => result === 'lost')).toHaveLength(3);
    const winner = results.indexOf('won');
    expect((await store.get('race/key')).toString()).toBe(`process-${winner}`);
  });
});

describe('compare-and-swap', () => {
  test('succeeds with the current ETag, fails with a stale one or on a missing key', async () => {
    const first = await store.put('lease', Buffer.from('v1'));
    const second = await store.put('lease', Buffer.from('v2'), { ifMatch: first.etag });
    await expect(store.put('lease', Buffer.from('v3'), { ifMatch: first.etag })).rejects.toBeInstanceOf(PreconditionFailedError);
    expect((await store.get('lease')).toString()).toBe('v2');
    await store.put('lease', Buffer.from('v3'), { ifMatch: second.etag });
    expect((await store.get('lease')).toString()).toBe('v3');
    await expect(store.put('absent', Buffer.from('x'), { ifMatch: first.etag })).rejects.toBeInstanceOf(PreconditionFailedError);
  });

  test('concurrent read-modify-write increments with retry lose no update', async () => {
    await store.put('counter', Buffer.from('0'));
    const increment = async (): Promise<void> => {
      for (;;) {
        const info = (await store.head('counter'))!;
        const value = Number((await store.get('counter')).toString());
        try {
          await store.put('counter', Buffer.from(String(value + 1)), { ifMatch: info.etag });
          return;
        } catch (error) {
          if (!(error instanceof PreconditionFailedError)) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, increment));
    expect((await store.get('counter')).toString()).toBe('20');
  });

  test('a lock left by a dead process is broken', async () => {
    const info = await store.put('locked', Buffer.from('v1'));
    const lockDir = path.join(root, '.locks');
    await mkdir(lockDir, { recursive: true });
    // A pid far above pid_max on Linux belongs to no process.
    await writeFile(path.join(lockDir, 'locked'), JSON.stringify({ host: hostname(), pid: 2 ** 30 }));
    await store.put('locked', Buffer.from('v2'), { ifMatch: info.etag });
    expect((await store.get('locked')).toString()).toBe('v2');
    expect(existsSync(path.join(lockDir, 'locked'))).toBe(false);
  });
});

test('no temporary files are left behind and they never show in listings', async () => {
  await store.put('a', Buffer.from('1'));
  await store.put('a', Buffer.from('2'), { ifNoneMatch: '*' }).catch(() => undefined);
  const info = await store.head('a');
  await store.put('a', Buffer.from('3'), { ifMatch: info!.etag });
  expect(await readdir(path.join(root, '.tmp'))).toEqual([]);
  const keys: string[] = [];
  for await (const object of store.list('')) keys.push(object.key);
  expect(keys).toEqual(['a']);
});

test.each([['../escape'], ['a//b'], ['.tmp/x'], ['']])('rejects the key %j', async (key) => {
  await expect(store.put(key, Buffer.from('x'))).rejects.toThrow(/invalid object key/);
});
