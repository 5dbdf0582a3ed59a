/**
 * Sequenced leases on the real local-directory store: the single-process behaviour, then real
 * processes racing renewals against fences.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { LeaseKeeper } from '../../../broker/cluster/lease-keeper';
import { LeaseLog, sequenceKey } from '../../../broker/cluster/lease-store';
import { FileObjectStore } from '../../../broker/storage/object-stores';
import { FakeClock } from './fake-clock';

const run = promisify(execFile);
let tempDir: string;
beforeAll(async () => {
  tempDir = await mkdtemp(path.join(tmpdir(), 'lease-store-'));
});
afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

let counter = 0;
function freshStore(): { store: FileObjectStore; root: string } {
  const root = path.join(tempDir, `store-${++counter}`);
  return { store: new FileObjectStore(root), root };
}

describe('LeaseLog', () => {
  test('keys sort by sequence', () => {
    expect(sequenceKey('cluster/controller', 42)).toBe('cluster/controller/00000000000000000042');
    expect(sequenceKey('p', 9) < sequenceKey('p', 10)).toBe(true);
  });

  test('create is create-only; latest finds the newest record, optionally after a sequence', async () => {
    const { store } = freshStore();
    const log = new LeaseLog(store, 'cluster/leases/00000000000000000007');
    expect(await log.latest()).toBeUndefined();
    expect(await log.create(1, { kind: 'renewal', holder: 7, nodeId: 2 })).toBe(true);
    expect(await log.create(1, { kind: 'fenced', holder: 7, nodeId: 2, by: 3 })).toBe(false);
    expect(await log.create(2, { kind: 'fenced', holder: 7, nodeId: 2, by: 3 })).toBe(true);
    expect(await log.latest()).toEqual({ seq: 2, record: { kind: 'fenced', holder: 7, nodeId: 2, by: 3 } });
    expect(await log.latest(2)).toBeUndefined();
    expect((await log.latest(1))?.seq).toBe(2);
    expect(await log.read(1)).toEqual({ kind: 'renewal', holder: 7, nodeId: 2 });
    expect(await log.read(3)).toBeUndefined();
  });

  test('pruning keeps the records at and above the given sequence; deleteAll removes everything', async () => {
    const { store } = freshStore();
    const log = new LeaseLog(store, 'lease');
    for (let seq = 1; seq <= 5; seq++) await log.create(seq, { kind: 'renewal', holder: 1, nodeId: 1 });
    await log.pruneBelow(4);
    const keys: string[] = [];
    for await (const info of store.list('lease/')) keys.push(info.key);
    expect(keys).toEqual([sequenceKey('lease', 4), sequenceKey('lease', 5)]);
    expect((await log.latest(1))?.seq).toBe(5);
    await log.deleteAll();
    expect(await log.latest()).toBeUndefined();
  });

  test('a malformed record is reported with its key', async () => {
    const { store } = freshStore();
    await store.put(sequenceKey('lease', 1), Buffer.from('{"kind":"other"}'));
    await expect(new LeaseLog(store, 'lease').latest()).rejects.toThrow(
      'lease record lease/00000000000000000001 is malformed: {"kind":"other"}',
    );
  });

  test('a holder renewing against three fencing processes: one fence wins, and no renewal lands after it', async () => {
    const { store, root } = freshStore();
    const prefix = 'cluster/leases/00000000000000000001';
    const log = new LeaseLog(store, prefix);
    await log.create(1, { kind: 'renewal', holder: 1, nodeId: 1 });
    const startFile = path.join(tempDir, `start-${counter}`);
    const script = path.join(__dirname, 'fixtures', 'lease-racer.ts');
    const spawn = (role: string, name: string) =>
      run(process.execPath, ['--import', 'tsx', script, root, prefix, role, startFile, name], { timeout: 60_000 });
    const children = [spawn('holder', '1'), spawn('fencer', '2'), spawn('fencer', '3'), spawn('fencer', '4')];
    await writeFile(startFile, '');
    const [holderOut, ...fencerOuts] = (await Promise.all(children)).map((c) => c.stdout.trim().split('\n'));

    const fenceWins = fencerOuts.flat().filter((line) => line.startsWith('fenced '));
    expect(fenceWins).toHaveLength(1);
    const fenceSeq = Number(fenceWins[0].split(' ')[1]);
    // The holder's renewals all precede the fence, and the renewal that failed is the fence's number.
    const renewed = holderOut.filter((l) => l.startsWith('renewed ')).map((l) => Number(l.split(' ')[1]));
    expect(Math.max(1, ...renewed)).toBe(fenceSeq - 1);
    expect(holderOut.at(-1)).toBe(`lost ${fenceSeq}`);
    // And the store agrees: the fence is the last record.
    expect(await log.latest()).toEqual({ seq: fenceSeq, record: expect.objectContaining({ kind: 'fenced' }) });
  });
});

describe('LeaseKeeper', () => {
  const timing = { leaseMs: 1000, renewIntervalMs: 300, pollIntervalMs: 100, maxClockRateError: 0.01 };
  const logger = pino({ level: 'silent' });

  test('renews by creating the next record, and learns it was fenced when that number is taken', async () => {
    const { store } = freshStore();
    const log = new LeaseLog(store, 'lease');
    const keeper = new LeaseKeeper(log, { holder: 5, nodeId: 2 }, timing, new FakeClock(), logger);
    expect(await keeper.acquire(1)).toBe(true);
    expect(keeper.holder.isCurrent()).toBe(true);
    expect(await keeper.renew()).toBe('renewed');
    expect(keeper.sequence).toBe(2);
    await log.create(3, { kind: 'fenced', holder: 5, nodeId: 2, by: 9 });
    expect(await keeper.renew()).toBe('lost');
    expect(keeper.lostTo).toEqual({ kind: 'fenced', holder: 5, nodeId: 2, by: 9 });
    expect(keeper.holder.isCurrent()).toBe(false);
    expect(await keeper.renew()).toBe('lost');
  });

  test('a renewal whose answer was lost but which landed is not mistaken for a fence, and does not extend the lease', async () => {
    const { store } = freshStore();
    const log = new LeaseLog(store, 'lease');
    const clock = new FakeClock();
    const keeper = new LeaseKeeper(log, { holder: 5, nodeId: 2 }, timing, clock, logger);
    await keeper.acquire(1);
    await log.create(2, { kind: 'renewal', holder: 5, nodeId: 2 }); // our write, answer lost
    clock.advance(600);
    expect(await keeper.renew()).toBe('renewed');
    expect(keeper.sequence).toBe(2);
    expect(keeper.holder.remainingMs()).toBe(400);
  });

  test('release writes a released record after which the keeper acknowledges nothing', async () => {
    const { store } = freshStore();
    const log = new LeaseLog(store, 'lease');
    const keeper = new LeaseKeeper(log, { holder: 5, nodeId: 2 }, timing, new FakeClock(), logger);
    await keeper.acquire(1);
    await keeper.release();
    expect(keeper.holder.isCurrent()).toBe(false);
    expect(await log.latest()).toEqual({ seq: 2, record: { kind: 'released', holder: 5, nodeId: 2 } });
  });
});
