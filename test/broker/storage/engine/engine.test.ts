/**
 * The storage engine end to end on real files: WAL with fsync, local-directory object store.
 */
import { rm } from 'node:fs/promises';
import { crc32c } from '@node-rs/crc32';
import { CompressionCodec } from '../../../../broker/protocol/compression';
import { compressedBatch, SECTION_COMPRESSORS } from '../../../support/compressed-batch';
import * as path from 'node:path';
import { ErrorCode } from '../../../../broker/protocol/error-codes';
import { batchesOf, buildRecordBatch, validateProducedRecords } from '../../../../broker/protocol/record-batch';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../../../../broker/storage/storage';
import { LOG_PREFIX } from '../../../../broker/metadata/entry';
import { stallableStore } from '../../../support/stallable-store';
import { storeWith } from '../../../support/store-with';
import { FileObjectStore } from '../../../../broker/storage/object-stores';
import { batch, checksumCheckingStore, engineFixture, produce, readAll } from './helpers';

const fixture = engineFixture();

test('appends get consecutive offsets and read back with valid CRCs', async () => {
  const engine = await fixture.start();
  await engine.createTopic('orders', 2, {});
  const first = await produce(engine, 'orders', 0, ['a', 'b', 'c']);
  const second = await produce(engine, 'orders', 0, ['d']);
  const other = await produce(engine, 'orders', 1, ['x']);
  expect([first.baseOffset, second.baseOffset, other.baseOffset]).toEqual([0n, 3n, 0n]);
  expect(await readAll(engine, 'orders', 0)).toEqual([[0n, 'a'], [1n, 'b'], [2n, 'c'], [3n, 'd']]);
  expect(await readAll(engine, 'orders', 0, 2n)).toEqual([[2n, 'c'], [3n, 'd']]);
  expect(await engine.offsetForTimestamp({ topic: 'orders', partition: 0 }, LATEST_TIMESTAMP)).toEqual({ offset: 4n, timestamp: -1n });
  expect(await engine.offsetForTimestamp({ topic: 'orders', partition: 0 }, EARLIEST_TIMESTAMP)).toEqual({ offset: 0n, timestamp: -1n });
});

test('after close the WAL is empty and everything is read back from the object store alone', async () => {
  let engine = await fixture.start();
  await engine.createTopic('t', 1, { 'retention.ms': '1000000' });
  for (let i = 0; i < 50; i++) await produce(engine, 't', 0, [`v${i}`]);
  await fixture.stop();
  // The broker's local state matters for nothing: delete the WAL directory.
  await rm(fixture.dirs.walDir, { recursive: true, force: true });
  engine = await fixture.start();
  expect(engine.statistics.walUsedBytes).toBeLessThanOrEqual(64); // only the new epoch-start record
  expect(engine.describeTopic('t')?.configs).toEqual({ 'retention.ms': '1000000' });
  const records = await readAll(engine, 't', 0);
  expect(records.map(([offset]) => offset)).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i)));
  expect(records.map(([, value]) => value)).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
  expect((await produce(engine, 't', 0, ['next'])).baseOffset).toBe(50n);
  expect(engine.statistics.objects).toBe(0);
});

test('data is uploaded into few multi-partition objects and the WAL is trimmed', async () => {
  const engine = await fixture.start({ uploadAgeMs: 3_600_000, uploadSizeMiB: 0.25 });
  await engine.createTopic('a', 4, {});
  const value = 'x'.repeat(1000);
  for (let i = 0; i < 400; i++) await produce(engine, 'a', i % 4, [value]);
  // 400 KB of records with a 256 KiB threshold: at least one object cut by size, holding every partition.
  while (engine.statistics.objects < 1 || engine.statistics.commits < 1) await new Promise((r) => setTimeout(r, 5));
  const segments = [0, 1, 2, 3].map((p) => engine.committedSegments('a', p));
  const firstObject = segments[0][0].objectKey;
  expect(segments.every((list) => list.length > 0 && list[0].objectKey === firstObject)).toBe(true);
  await engine.flush();
  expect(engine.statistics.walUsedBytes).toBeLessThan(128);
  for (let p = 0; p < 4; p++) expect((await readAll(engine, 'a', p)).length).toBe(100);
});

test('objects are cut at the size threshold from durable data: concurrent appends do not make small objects', async () => {
  const engine = await fixture.start({ uploadSizeMiB: 0.25, uploadAgeMs: 3_600_000 });
  await engine.createTopic('burst', 4, {});
  const value = 'b'.repeat(8 * 1024 - 100); // the key repeats the value: records of 16 KiB
  // 64 appends of 16 KiB in flight at once: placed together, durable one after the other.
  await Promise.all(Array.from({ length: 64 }, (_, i) => produce(engine, 'burst', i % 4, [value])));
  await engine.flush();
  // 1 MiB in objects of at most 256 KiB: four, five with a remainder; cutting on queued
  // (not yet durable) bytes made one object per chunk or two.
  expect(engine.statistics.objects).toBeGreaterThanOrEqual(4);
  expect(engine.statistics.objects).toBeLessThanOrEqual(5);
});

test('each object is uploaded with the CRC-32C of its bytes, combined from the batches\' own checksums', async () => {
  const objects = checksumCheckingStore(path.join(fixture.dirs.root, 'objects'));
  // A log cache of 8 KiB: most chunks are read back from the WAL for their upload.
  const engine = await fixture.start({ objectStore: objects.store, logCacheMiB: 8 / 1024, uploadAgeMs: 3_600_000 });
  await engine.createTopic('plain', 3, {});
  await engine.createTopic('stamped', 1, { 'message.timestamp.type': 'LogAppendTime' });
  for (let i = 0; i < 60; i++) {
    // Several batches in one append, of odd sizes.
    const records = Buffer.concat([0, 1, 2].map((b) => buildRecordBatch([{ key: null, value: `v${i}-${b}-${'z'.repeat((i * 37 + b) % 300)}` }])));
    const headers = validateProducedRecords(records, 1 << 20);
    await engine.append({ topic: i % 2 === 0 ? 'plain' : 'stamped', partition: i % 2 === 0 ? i % 3 : 0 }, records, headers, { timeoutMs: 10_000 });
  }
  await engine.flush();
  expect(engine.statistics.objects).toBeGreaterThan(0);
  expect(objects.checked()).toBe(engine.statistics.objects);
  expect(objects.mismatches).toEqual([]);
  expect((await readAll(engine, 'stamped', 0)).length).toBe(90);
});

test('object bodies are built right while appends go on and the log cache overwrites their chunks', async () => {
  const objects = checksumCheckingStore(path.join(fixture.dirs.root, 'objects'));
  // 2 MiB objects through a 1 MiB log cache, appends in flight all the while: chunks the ring
  // evicted are read back from the WAL, and while the uploader waits for such a read the ring
  // moves on and evicts more of the same object's chunks.
  const options = { objectStore: objects.store, walCapacityMiB: 32, logCacheMiB: 1, uploadSizeMiB: 2, uploadAgeMs: 3_600_000 };
  const engine = await fixture.start(options);
  await engine.createTopic('overwritten', 2, {});
  const value = (i: number): string => `${i}:`.padEnd(4096, String.fromCharCode(97 + (i % 26)));
  const inFlight = new Set<Promise<unknown>>();
  for (let i = 0; i < 2048; i++) {
    const appended = produce(engine, 'overwritten', i % 2, [value(i)]).finally(() => inFlight.delete(appended));
    inFlight.add(appended);
    if (inFlight.size >= 64) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await engine.flush();
  expect(engine.statistics.objects).toBeGreaterThanOrEqual(4);
  expect(objects.checked()).toBe(engine.statistics.objects);
  expect(objects.mismatches).toEqual([]);
  // A new engine on the same store and an empty log cache reads every record back from the objects.
  await fixture.stop();
  const reopened = await fixture.start(options);
  for (const partition of [0, 1]) {
    const read = await readAll(reopened, 'overwritten', partition);
    expect(read.map(([, v]) => v)).toEqual(Array.from({ length: 1024 }, (_, k) => value(2 * k + partition)));
  }
});

test('an object gathered from the log cache keeps its bytes while its PUT waits and the ring wraps under it', async () => {
  // The uploader hands the store the cached payloads themselves (views into the ring), pinned until
  // the PUT is over: traffic meanwhile must not write over them.
  const inner = new FileObjectStore(path.join(fixture.dirs.root, 'objects'));
  let releaseGate: () => void = () => {};
  const gate = new Promise<void>((resolve) => (releaseGate = resolve));
  const received: { pieces: readonly Buffer[]; asReceived: Buffer; crc: number | undefined }[] = [];
  const store = storeWith(inner, {
    put: async (key, body, condition, crc) => {
      if (key.startsWith('data/')) {
        const pieces = Buffer.isBuffer(body) ? [body] : body;
        received.push({ pieces, asReceived: Buffer.concat(pieces), crc });
        await gate;
      }
      return inner.put(key, body, condition, crc);
    },
  });
  const engine = await fixture.start({ objectStore: store, walCapacityMiB: 32, logCacheMiB: 1, uploadSizeMiB: 0.25, uploadAgeMs: 3_600_000, maxConcurrentUploads: 1 });
  await engine.createTopic('pinned', 1, {});
  const value = (i: number): string => `${i}:`.padEnd(4096, String.fromCharCode(97 + (i % 26)));
  let produced = 0;
  try {
    while (received.length === 0) await produce(engine, 'pinned', 0, [value(produced++)]);
    // Four times the ring's size while the first PUT waits.
    const during = produced + 1024;
    while (produced < during) await produce(engine, 'pinned', 0, [value(produced++)]);
    const [first] = received;
    expect(Buffer.isBuffer(first.pieces)).toBe(false);
    expect(Buffer.concat(first.pieces).equals(first.asReceived)).toBe(true);
    expect(crc32c(first.asReceived)).toBe(first.crc);
  } finally {
    releaseGate();
  }
  await engine.flush();
  expect((await readAll(engine, 'pinned', 0)).map(([, v]) => v)).toEqual(Array.from({ length: produced }, (_, i) => value(i)));
  // Read back from the objects alone.
  await fixture.stop();
  await rm(fixture.dirs.walDir, { recursive: true, force: true });
  const reopened = await fixture.start({ objectStore: store, logCacheMiB: 1 });
  expect((await readAll(reopened, 'pinned', 0)).map(([, v]) => v)).toEqual(Array.from({ length: produced }, (_, i) => value(i)));
});

test('uploads go on while the metadata log is slow to commit the ones before', async () => {
  const objects = stallableStore(path.join(fixture.dirs.root, 'objects'), (key) => key.startsWith(LOG_PREFIX));
  const engine = await fixture.start({ objectStore: objects.store, maxConcurrentUploads: 1, uploadSizeMiB: 16 / 1024, uploadAgeMs: 3_600_000 });
  await engine.createTopic('slow-commit', 1, {});
  objects.stall();
  const value = 'c'.repeat(4000);
  for (let i = 0; i < 20; i++) await produce(engine, 'slow-commit', 0, [value]);
  // One PUT at a time, and the first object's commit hangs: the next objects are written anyway.
  while (engine.statistics.objects < 3) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(objects.stalledPuts()).toBe(1);
  expect(engine.statistics.commits).toBe(0);
  objects.resume();
  await engine.flush();
  expect(engine.statistics.commits).toBeGreaterThan(0);
  expect((await readAll(engine, 'slow-commit', 0)).length).toBe(20);
});

test('a retried idempotent batch is answered with its original offsets, before and after a restart', async () => {
  let engine = await fixture.start({ uploadAgeMs: 3_600_000 });
  await engine.createTopic('idem', 1, {});
  const { producerId, producerEpoch } = await engine.allocateProducerId();
  const send = (sequence: number, values: string[]) =>
    produce(engine, 'idem', 0, values, { producerId, producerEpoch, baseSequence: sequence });
  await produce(engine, 'idem', 0, ['plain']);
  expect((await send(0, ['a', 'b'])).baseOffset).toBe(1n);
  expect((await send(2, ['c'])).baseOffset).toBe(3n);
  expect((await send(0, ['a', 'b'])).baseOffset).toBe(1n); // duplicate
  await expect(send(5, ['z'])).rejects.toMatchObject({ code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
  await expect(produce(engine, 'idem', 0, ['old'], { producerId, producerEpoch: producerEpoch - 1, baseSequence: 3 })).rejects.toMatchObject({
    code: ErrorCode.INVALID_PRODUCER_EPOCH,
  });
  // Restart without close: the state comes back from the WAL replay.
  const crashed = engine;
  engine = await fixture.start();
  expect((await send(2, ['c'])).baseOffset).toBe(3n);
  expect((await send(3, ['d'])).baseOffset).toBe(4n);
  await engine.close();
  engine = await fixture.start();
  // And after everything was uploaded: from the committed producer state.
  expect((await send(3, ['d'])).baseOffset).toBe(4n);
  expect((await readAll(engine, 'idem', 0)).map(([, v]) => v)).toEqual(['plain', 'a', 'b', 'c', 'd']);
  void crashed;
});

test('a fetch waits for data (long polling) and returns when it arrives', async () => {
  const engine = await fixture.start();
  await engine.createTopic('poll', 1, {});
  const waiting = engine.fetch([{ topic: 'poll', partition: 0, fetchOffset: 0n, maxBytes: 1 << 20 }], {
    maxWaitMs: 60_000,
    minBytes: 1,
    maxBytes: 1 << 20,
  });
  await produce(engine, 'poll', 0, ['hello']);
  const [result] = await waiting;
  expect(result.errorCode).toBe(ErrorCode.NONE);
  expect(result.highWatermark).toBe(1n);
  expect(result.records.length).toBeGreaterThan(0);
});

test('a long poll at the tail ends empty at its deadline; with another partition behind it answers at once', async () => {
  const engine = await fixture.start();
  await engine.createTopic('tail', 2, {});
  await produce(engine, 'tail', 1, ['behind']);
  const [expired] = await engine.fetch([{ topic: 'tail', partition: 0, fetchOffset: 0n, maxBytes: 1 << 20 }], {
    maxWaitMs: 50,
    minBytes: 1,
    maxBytes: 1 << 20,
  });
  expect(expired).toMatchObject({ errorCode: ErrorCode.NONE, highWatermark: 0n, logStartOffset: 0n });
  expect(expired.records.length).toBe(0);
  const mixed = await engine.fetch(
    [
      { topic: 'tail', partition: 0, fetchOffset: 0n, maxBytes: 1 << 20 },
      { topic: 'tail', partition: 1, fetchOffset: 0n, maxBytes: 1 << 20 },
    ],
    { maxWaitMs: 60_000, minBytes: 1, maxBytes: 1 << 20 },
  );
  expect(mixed.map((result) => result.records.length > 0)).toEqual([false, true]);
});

test('an aborted long poll returns empty, and an out-of-range offset or unknown topic is reported', async () => {
  const engine = await fixture.start();
  await engine.createTopic('poll', 1, {});
  const abort = new AbortController();
  const waiting = engine.fetch([{ topic: 'poll', partition: 0, fetchOffset: 0n, maxBytes: 1 << 20 }], {
    maxWaitMs: 60_000,
    minBytes: 1,
    maxBytes: 1 << 20,
    signal: abort.signal,
  });
  abort.abort();
  expect((await waiting)[0].records.length).toBe(0);
  const results = await engine.fetch(
    [
      { topic: 'poll', partition: 0, fetchOffset: 5n, maxBytes: 100 },
      { topic: 'nope', partition: 0, fetchOffset: 0n, maxBytes: 100 },
    ],
    { maxWaitMs: 0, minBytes: 0, maxBytes: 1000 },
  );
  expect(results.map((r) => r.errorCode)).toEqual([ErrorCode.OFFSET_OUT_OF_RANGE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
});

test('fetch limits: whole batches within maxBytes, but at least one batch for the first partition', async () => {
  const engine = await fixture.start();
  await engine.createTopic('big', 2, {});
  await produce(engine, 'big', 0, ['x'.repeat(5000)]);
  await produce(engine, 'big', 0, ['y'.repeat(5000)]);
  await produce(engine, 'big', 1, ['z'.repeat(5000)]);
  const results = await engine.fetch(
    [
      { topic: 'big', partition: 0, fetchOffset: 0n, maxBytes: 100 },
      { topic: 'big', partition: 1, fetchOffset: 0n, maxBytes: 100 },
    ],
    { maxWaitMs: 0, minBytes: 0, maxBytes: 1000 },
  );
  // One whole batch although larger than maxBytes (the first partition with data), none after it.
  expect([...batchesOf(results[0].records)].map((b) => b.header.baseOffset)).toEqual([0n]);
  expect(results[0].records.length).toBeGreaterThan(5000);
  expect(results[1].records.length).toBe(0);
});

test.each([['uncompressed', CompressionCodec.None, (section: Buffer) => section] as const, ...SECTION_COMPRESSORS])('ListOffsets by timestamp finds the first record at or after it, in memory and in objects (%s batches)', async (_name, codec, compress) => {
  let engine = await fixture.start({ uploadAgeMs: 3_600_000 });
  await engine.createTopic('ts', 1, {});
  const records = (timestamps: number[]) => timestamps.map((t) => ({ key: null, value: `t${t}`, timestamp: BigInt(t) }));
  for (const timestamps of [[1000, 1100], [2000, 2500], [3000]]) {
    // As Kafka does, inside a compressed batch too: the exact record, not the batch's first.
    const set = compressedBatch(codec, compress, records(timestamps));
    await engine.append({ topic: 'ts', partition: 0 }, set, validateProducedRecords(set, 1 << 20), { timeoutMs: 1000 });
  }
  const lookup = (t: number) => engine.offsetForTimestamp({ topic: 'ts', partition: 0 }, BigInt(t));
  const expected = [
    [500, { offset: 0n, timestamp: 1000n }],
    [1050, { offset: 1n, timestamp: 1100n }],
    [2200, { offset: 3n, timestamp: 2500n }],
    [3000, { offset: 4n, timestamp: 3000n }],
    [9999, { offset: -1n, timestamp: -1n }],
  ] as const;
  for (const [t, answer] of expected) expect(await lookup(t)).toEqual(answer);
  await engine.close();
  engine = await fixture.start();
  for (const [t, answer] of expected) expect(await lookup(t)).toEqual(answer);
});

test('ListOffsets by timestamp answers the first offset of a batch whose records do not decompress', async () => {
  // Produce checks a batch's CRC and header, not its compressed records: a client can store such a batch.
  const engine = await fixture.start();
  await engine.createTopic('garbled', 1, {});
  await produce(engine, 'garbled', 0, ['before'], { baseTimestamp: 500n });
  const records = [1000, 2000, 3000].map((t) => ({ key: null, value: `t${t}`, timestamp: BigInt(t) }));
  const set = compressedBatch(CompressionCodec.Gzip, () => Buffer.from('this is not gzip'), records);
  await engine.append({ topic: 'garbled', partition: 0 }, set, validateProducedRecords(set, 1 << 20), { timeoutMs: 1000 });
  expect(await engine.offsetForTimestamp({ topic: 'garbled', partition: 0 }, 1500n)).toEqual({ offset: 1n, timestamp: 3000n });
});

test('topics: validation, configs with defaults, validate-only, delete', async () => {
  const engine = await fixture.start();
  await expect(engine.createTopic('bad name!', 1, {})).rejects.toMatchObject({ code: ErrorCode.INVALID_TOPIC_EXCEPTION });
  await expect(engine.createTopic('t', 0, {})).rejects.toMatchObject({ code: ErrorCode.INVALID_PARTITIONS });
  await expect(engine.createTopic('t', 1, { 'cleanup.policy': 'compact' })).rejects.toThrow(/invalid value "compact" for cleanup.policy/);
  await expect(engine.createTopic('t', 1, { 'no.such': '1' })).rejects.toMatchObject({ code: ErrorCode.INVALID_CONFIG });
  await expect(engine.createTopic('t', 1, { 'retention.ms': 'soon' })).rejects.toMatchObject({ code: ErrorCode.INVALID_CONFIG });
  const dry = await engine.createTopic('t', 3, {}, { validateOnly: true });
  expect(dry.partitionCount).toBe(3);
  expect(engine.describeTopic('t')).toBeUndefined();
  const created = await engine.createTopic('t', 3, { 'retention.bytes': '1000' });
  expect(created.topicId).toMatch(/^[0-9a-f]{32}$/);
  await expect(engine.createTopic('t', 1, {})).rejects.toMatchObject({ code: ErrorCode.TOPIC_ALREADY_EXISTS });
  const configs = Object.fromEntries(engine.effectiveConfigs('t').map((c) => [c.name, [c.value, c.isDefault]]));
  expect(configs['retention.bytes']).toEqual(['1000', false]);
  expect(configs['retention.ms']).toEqual(['604800000', true]);
  expect(configs['max.message.bytes']).toEqual(['1048588', true]);
  expect(configs['cleanup.policy']).toEqual(['delete', true]);
  expect(engine.listTopics().map((t) => t.name)).toEqual(['t']);
  await engine.deleteTopic('t');
  expect(engine.describeTopic('t')).toBeUndefined();
  await expect(engine.deleteTopic('t')).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  await expect(produce(engine, 't', 0, ['x'])).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  // A new topic of the same name starts empty.
  await engine.createTopic('t', 1, {});
  expect((await produce(engine, 't', 0, ['x'])).baseOffset).toBe(0n);
});

test('max.message.bytes and LogAppendTime are applied per topic', async () => {
  const engine = await fixture.start();
  await engine.createTopic('small', 1, { 'max.message.bytes': '200', 'message.timestamp.type': 'LogAppendTime' });
  await expect(produce(engine, 'small', 0, ['x'.repeat(300)])).rejects.toMatchObject({ code: ErrorCode.MESSAGE_TOO_LARGE });
  const before = BigInt(Date.now());
  const result = await produce(engine, 'small', 0, ['ok'], { baseTimestamp: 5n });
  expect(result.logAppendTimeMs).toBeGreaterThanOrEqual(before);
  const [fetched] = await engine.fetch([{ topic: 'small', partition: 0, fetchOffset: 0n, maxBytes: 1000 }], { maxWaitMs: 0, minBytes: 0, maxBytes: 1000 });
  const { readRecords } = await import('../../../../broker/protocol/record-batch');
  expect(readRecords(fetched.records)[0].timestamp).toBe(result.logAppendTimeMs);
});

test('producer ids are never handed out twice, across restarts', async () => {
  let engine = await fixture.start();
  const first = await Promise.all(Array.from({ length: 5 }, () => engine.allocateProducerId()));
  await engine.close();
  engine = await fixture.start();
  const second = await engine.allocateProducerId();
  const ids = [...first, second].map((p) => p.producerId);
  expect(new Set(ids).size).toBe(6);
});

test('a small log cache serves older data from the WAL and then from objects, with the same bytes', async () => {
  const engine = await fixture.start({ logCacheMiB: 16 / 1024, readCacheMiB: 64 / 1024, blockBytes: 4096, uploadAgeMs: 3_600_000 });
  await engine.createTopic('cold', 1, {});
  const values = Array.from({ length: 200 }, (_, i) => `value-${i}-${'p'.repeat(i % 50)}`);
  for (const value of values) await produce(engine, 'cold', 0, [value]);
  expect(engine.statistics.logCacheBytes).toBeLessThanOrEqual(16 * 1024);
  expect(engine.statistics.objects).toBe(0);
  expect((await readAll(engine, 'cold', 0)).map(([, v]) => v)).toEqual(values); // memory + WAL
  await engine.flush();
  expect((await readAll(engine, 'cold', 0)).map(([, v]) => v)).toEqual(values); // memory + objects
  expect(engine.statistics.blockCache.misses).toBeGreaterThan(0);
  expect(engine.statistics.blockCache.cachedBytes).toBeLessThanOrEqual(64 * 1024);
  expect((await readAll(engine, 'cold', 0, 150n)).map(([, v]) => v)).toEqual(values.slice(150));
});

test('unknown partitions and shutting down are refused with Kafka errors', async () => {
  const engine = await fixture.start();
  await engine.createTopic('t', 1, {});
  await expect(produce(engine, 't', 1, ['x'])).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  const { records, headers } = batch(['x']);
  await fixture.stop(); // closes `engine`
  await expect(engine.append({ topic: 't', partition: 0 }, records, headers, { timeoutMs: 10 })).rejects.toMatchObject({
    code: ErrorCode.NOT_LEADER_OR_FOLLOWER,
  });
});

test('flush commits what was written before it, even while producers keep writing', async () => {
  const engine = await fixture.start({ uploadAgeMs: 3_600_000 });
  await engine.createTopic('busy', 2, {});
  let producing = true;
  const background = (async () => {
    while (producing) await produce(engine, 'busy', 1, ['noise']);
  })();
  for (let i = 0; i < 10; i++) await produce(engine, 'busy', 0, [`keep-${i}`]);
  await engine.flush();
  const segments = engine.committedSegments('busy', 0);
  expect(segments[segments.length - 1].nextOffset).toBe(10);
  producing = false;
  await background;
});
