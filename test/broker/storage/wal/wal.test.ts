/**
 * The WAL with real files and real fdatasync: recovery, group commit, torn writes, wrap-around,
 * a full log, the header's two slots, and read-only replay.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { HEADER_FILE, HEADER_SLOT_BYTES, RecordType, segmentFileName, type WalRecord } from '../../../../broker/storage/wal/format';
import { replayWal } from '../../../../broker/storage/wal/reader';
import { WalFullError, WalRecordTooLargeError, WriteAheadLog, geometryFor, type WalOptions, type WalSyncMode } from '../../../../broker/storage/wal/wal';

const logger = pino({ level: 'silent' });
const SMALL = 4 * 64 * 1024; // four 64 KiB segments
let tempDir: string;
let counter = 0;
let options: WalOptions;

beforeAll(async () => {
  tempDir = await mkdtemp(path.join(tmpdir(), 'wal-'));
});
afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});
beforeEach(() => {
  options = { dir: path.join(tempDir, `wal-${++counter}`, '1'), nodeId: 1, capacityBytes: SMALL, logger };
});

const TOPIC = Buffer.alloc(16, 7);

function payloadOf(seed: number, size: number): Buffer {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = (seed * 31 + i) & 0xff;
  return payload;
}

/** Appends a data record whose base offset is `seed` and returns its position. */
function append(wal: WriteAheadLog, seed: number, size: number, deadline = Date.now() + 60_000): { position: Promise<number>; durable: Promise<void> } {
  let resolvePosition!: (position: number) => void;
  const position = new Promise<number>((resolve) => (resolvePosition = resolve));
  const durable = wal.append({
    payloadBytes: size,
    deadline,
    place: (at) => {
      resolvePosition(at);
      return { fields: { epoch: 0, topicId: TOPIC, partition: seed % 3, baseOffset: seed, recordCount: 1 }, payload: payloadOf(seed, size) };
    },
  });
  return { position, durable };
}

async function openCollecting(epoch: number, walOptions = options): Promise<{ wal: WriteAheadLog; records: WalRecord[] }> {
  const records: WalRecord[] = [];
  const wal = await WriteAheadLog.open(walOptions, epoch, (record) => {
    records.push(record);
  });
  return { wal, records };
}

const dataSeeds = (records: WalRecord[]) => records.filter((r) => r.type === RecordType.Data).map((r) => r.baseOffset);

test('records survive a reopen with their fields, payloads and the writer epoch', async () => {
  const { wal } = await openCollecting(5);
  await Promise.all([1, 2, 3].map((seed) => append(wal, seed, 100 * seed).durable));
  await wal.close();
  const { wal: reopened, records } = await openCollecting(6);
  expect(records.map((r) => [r.type, r.epoch])).toEqual([
    [RecordType.EpochStart, 5],
    [RecordType.Data, 5],
    [RecordType.Data, 5],
    [RecordType.Data, 5],
  ]);
  const data = records.filter((r) => r.type === RecordType.Data);
  expect(data.map((r) => [r.baseOffset, r.partition, r.recordCount, r.topicId])).toEqual([
    [1, 1, 1, TOPIC],
    [2, 2, 1, TOPIC],
    [3, 0, 1, TOPIC],
  ]);
  data.forEach((r) => expect(r.payload).toEqual(payloadOf(r.baseOffset, 100 * r.baseOffset)));
  await reopened.close();
});

test('appends made together share one write and one fdatasync (group commit)', async () => {
  const { wal } = await openCollecting(1);
  const before = wal.statistics.flushes;
  await Promise.all(Array.from({ length: 50 }, (_, i) => append(wal, i, 200).durable));
  expect(wal.statistics.flushes - before).toBe(1);
  await wal.close();
});

test('positions follow the order of appends, and an append resolves only after it is durable', async () => {
  const { wal } = await openCollecting(1);
  const appended = Array.from({ length: 20 }, (_, i) => append(wal, i, 500));
  const positions = await Promise.all(appended.map((a) => a.position));
  expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  await Promise.all(appended.map((a) => a.durable));
  await wal.close();
  // What resolved is on disk: a read-only replay finds all of it.
  const replayed: WalRecord[] = [];
  await replayWal(options.dir, (record) => {
    replayed.push(record);
  });
  expect(dataSeeds(replayed)).toEqual(Array.from({ length: 20 }, (_, i) => i));
});

test('recovery stops at a torn record, and stale records beyond it never come back', async () => {
  const { wal } = await openCollecting(1);
  const a = append(wal, 1, 300);
  const b = append(wal, 2, 400);
  const c = append(wal, 3, 300);
  await Promise.all([a.durable, b.durable, c.durable]);
  const [positionB, positionC] = [await b.position, await c.position];
  expect(positionC - positionB).toBe(64 + 400);
  await wal.close();

  // Tear record B: its last bytes never reached the disk.
  const segment = await open(path.join(options.dir, segmentFileName(0)), 'r+');
  await segment.write(Buffer.alloc(50, 0xee), 0, 50, positionB + 64 + 400 - 50);
  await segment.close();

  const second = await openCollecting(2);
  expect(dataSeeds(second.records)).toEqual([1]);
  // The new incarnation writes its epoch start (64 bytes) at B's place, then D, which ends exactly
  // where the stale record C begins: C is valid bytes at the expected position, but of epoch 1.
  const d = append(second.wal, 4, 400 - 64);
  await d.durable;
  expect((await d.position) + 64 + 400 - 64).toBe(positionC);
  await second.wal.close();

  const third = await openCollecting(3);
  expect(dataSeeds(third.records)).toEqual([1, 4]);
  expect(third.records.filter((r) => r.type === RecordType.EpochStart).map((r) => r.epoch)).toEqual([1, 2]);
  await third.wal.close();
});

test.each<WalSyncMode>(['fdatasync', 'dsync'])('the log wraps around its segments, padding segment ends, and recovers only what is above the trim (%s)', async (syncMode) => {
  options = { ...options, syncMode };
  const { wal } = await openCollecting(1);
  const live: number[] = [];
  let seed = 0;
  // Write about five times the capacity, trimming all but the last few records as we go.
  const positions: { seed: number; position: number; end: number }[] = [];
  while (seed < 5 * (SMALL / 3000)) {
    const size = 1000 + ((seed * 997) % 4000);
    const a = append(wal, seed, size);
    await a.durable;
    const position = await a.position;
    positions.push({ seed, position, end: position + 64 + size });
    if (positions.length > 5) {
      await wal.trim(positions[positions.length - 6].end);
    }
    seed++;
  }
  expect(wal.endPosition).toBeGreaterThan(3 * SMALL);
  for (const p of positions.slice(-5)) live.push(p.seed);
  await wal.close();
  const { wal: reopened, records } = await openCollecting(2);
  expect(dataSeeds(records)).toEqual(live);
  records.filter((r) => r.type === RecordType.Data).forEach((r) => expect(r.payload).toEqual(payloadOf(r.baseOffset, r.payload.length)));
  await reopened.close();
});

test('a full log makes appends wait in order until trimmed, or fail at their deadline with nothing written', async () => {
  const { wal } = await openCollecting(1);
  const first = append(wal, 0, 10_000);
  await first.durable;
  let seed = 1;
  while (wal.usedBytes + 64 + 10_000 + 64 * 1024 <= wal.capacityBytes) {
    await append(wal, seed++, 10_000).durable;
  }
  // Fill the rest so nothing of 10 000 bytes fits any more.
  let filled = false;
  while (!filled) {
    const attempt = append(wal, seed, 10_000, Date.now());
    try {
      await attempt.durable;
      seed++;
    } catch (error) {
      expect(error).toBeInstanceOf(WalFullError);
      filled = true;
    }
  }
  const lastDurableSeed = seed - 1;
  const waiting = [append(wal, 1000, 10_000), append(wal, 1001, 10_000)];
  expect(wal.statistics.waiting).toBe(2);
  // Trim everything durable: both waiting appends get their place, in arrival order.
  await wal.trim(wal.endPosition);
  await Promise.all(waiting.map((w) => w.durable));
  expect(await waiting[0].position).toBeLessThan(await waiting[1].position);
  await wal.close();
  const { wal: reopened, records } = await openCollecting(2);
  expect(dataSeeds(records)).toEqual([1000, 1001]);
  expect(lastDurableSeed).toBeGreaterThan(10);
  await reopened.close();
});

test('a record larger than a segment is refused', async () => {
  const { wal } = await openCollecting(1);
  await expect(append(wal, 1, 64 * 1024).durable).rejects.toBeInstanceOf(WalRecordTooLargeError);
  await wal.close();
});

test('a torn header slot falls back to the other slot', async () => {
  const { wal } = await openCollecting(1);
  const a = append(wal, 1, 100);
  const b = append(wal, 2, 100);
  await Promise.all([a.durable, b.durable]);
  await wal.trim(await b.position); // header sequence n: trim at B
  await wal.close();
  const header = await open(path.join(options.dir, HEADER_FILE), 'r+');
  // The slot written last is torn; the other one still says where the trim was before.
  const slots = Buffer.alloc(2 * HEADER_SLOT_BYTES);
  await header.read(slots, 0, slots.length, 0);
  const newest = slots.readBigUInt64BE(8) > slots.readBigUInt64BE(HEADER_SLOT_BYTES + 8) ? 0 : 1;
  await header.write(Buffer.alloc(16, 0xff), 0, 16, newest * HEADER_SLOT_BYTES + 20);
  await header.close();
  const { wal: reopened, records } = await openCollecting(2);
  // The older slot's trim is at or before B: B is recovered, perhaps with A; nothing is lost.
  expect(dataSeeds(records)).toContain(2);
  await reopened.close();
});

test('an empty log is reformatted to a new capacity; a log holding records keeps its geometry', async () => {
  const first = await openCollecting(1);
  await append(first.wal, 1, 100).durable;
  await first.wal.close();
  const bigger = { ...options, capacityBytes: 2 * SMALL };
  const second = await openCollecting(2, bigger);
  expect(second.wal.capacityBytes).toBe(SMALL);
  await second.wal.trim(second.wal.endPosition);
  await second.wal.close();
  const third = await openCollecting(3, bigger);
  expect(third.wal.capacityBytes).toBe(2 * SMALL);
  expect(dataSeeds(third.records)).toEqual([]);
  await third.wal.close();
});

test('removeIfEmpty deletes only a closed WAL trimmed to its end, with the header this incarnation wrote last', async () => {
  const first = await openCollecting(1);
  await append(first.wal, 1, 100).durable;
  expect(await first.wal.removeIfEmpty()).toEqual({ removed: false, reason: 'the WAL is not closed' });
  await first.wal.close();
  // The record is above the trim point: not committed anywhere, so the directory stays.
  expect(await first.wal.removeIfEmpty()).toEqual({ removed: false, reason: expect.stringMatching(/^\d+ bytes above the trim point are not committed$/) as string });

  const second = await openCollecting(2);
  expect(dataSeeds(second.records)).toEqual([1]);
  await second.wal.trim(second.wal.endPosition);
  await second.wal.close();
  // A later incarnation opened the directory after the second closed it: the header is not the second's.
  const third = await openCollecting(3);
  expect(await second.wal.removeIfEmpty()).toEqual({ removed: false, reason: 'the header on disk is not the one this incarnation wrote last' });

  await third.wal.trim(third.wal.endPosition);
  await third.wal.close();
  expect(await third.wal.removeIfEmpty()).toEqual({ removed: true, bytes: SMALL + 2 * HEADER_SLOT_BYTES });
  expect(existsSync(options.dir)).toBe(false);
  // The next incarnation formats a new WAL in a new directory.
  const fourth = await openCollecting(4);
  expect(dataSeeds(fourth.records)).toEqual([]);
  await append(fourth.wal, 4, 100).durable;
  await fourth.wal.close();
  const fifth = await openCollecting(5);
  expect(dataSeeds(fifth.records)).toEqual([4]);
  await fifth.wal.close();
});

test('replayWal reads a directory without a WAL as undefined', async () => {
  expect(await replayWal(path.join(tempDir, 'nothing-here'), () => undefined)).toBeUndefined();
});

test('geometry: segments of at most 256 MiB, at least four', () => {
  expect(geometryFor(2 * 1024 ** 3)).toEqual({ segmentBytes: 256 * 1024 ** 2, segmentCount: 8 });
  expect(geometryFor(SMALL)).toEqual({ segmentBytes: 64 * 1024, segmentCount: 4 });
  expect(() => geometryFor(1000)).toThrow(/WAL capacity 1000 bytes is too small/);
});
