/**
 * Backpressure (a stalled object store fills a small WAL) and retention (deleting whole objects).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ErrorCode } from '../../../../broker/protocol/error-codes';
import { EARLIEST_TIMESTAMP } from '../../../../broker/storage/storage';
import { FileObjectStore } from '../../../../broker/storage/object-stores';
import { DELETE_CONCURRENCY } from '../../../../broker/storage/object-store';
import { LOG_PREFIX } from '../../../../broker/metadata';
import { stallableStore } from '../../../support/stallable-store';
import { storeWith } from '../../../support/store-with';
import { batch, engineFixture, produce, readAll } from './helpers';

const fixture = engineFixture();

test('a stalled object store fills the WAL: producers are refused with a retriable error, nothing is lost, writes resume', async () => {
  const objects = stallableStore(path.join(fixture.dirs.root, 'objects'));
  const engine = await fixture.start({ objectStore: objects.store, walCapacityMiB: 0.25, uploadAgeMs: 5 });
  await engine.createTopic('bp', 1, {});
  objects.stall();
  const acked: string[] = [];
  let refused = 0;
  const value = (i: number) => `v${i}-${'p'.repeat(2000)}`;
  let i = 0;
  while (refused === 0) {
    try {
      const { records, headers } = batch([value(i)]);
      await engine.append({ topic: 'bp', partition: 0 }, records, headers, { timeoutMs: 50 });
      acked.push(value(i));
    } catch (error) {
      expect(error).toMatchObject({ code: ErrorCode.REQUEST_TIMED_OUT });
      refused++;
    }
    i++;
  }
  expect(objects.stalledPuts()).toBeGreaterThan(0);
  expect(acked.length).toBeGreaterThan(50);
  // A producer waiting longer gets through once the store comes back.
  const waiting = produce(engine, 'bp', 0, ['after']);
  objects.resume();
  const after = await waiting;
  expect(after.baseOffset).toBe(BigInt(acked.length));
  const values = (await readAll(engine, 'bp', 0)).map(([, v]) => v);
  expect(values).toEqual([...acked, 'after']);
  await engine.flush();
  expect(engine.statistics.walUsedBytes).toBeLessThan(1000);
});

test('retention.ms deletes whole old objects and advances the log start', async () => {
  let engine = await fixture.start({ objectDeleteGraceMs: 0, uploadAgeMs: 3_600_000 });
  await engine.createTopic('old', 1, { 'retention.ms': '60000' });
  const now = Date.now();
  for (let i = 0; i < 3; i++) await produce(engine, 'old', 0, [`old-${i}`], { baseTimestamp: BigInt(now - 3_600_000) });
  await engine.flush();
  const oldObject = engine.committedSegments('old', 0)[0].objectKey;
  for (let i = 0; i < 2; i++) await produce(engine, 'old', 0, [`new-${i}`], { baseTimestamp: BigInt(now) });
  await engine.flush();
  expect(engine.committedSegments('old', 0)).toHaveLength(2);
  await engine.runRetention(now);
  expect(await engine.offsetForTimestamp({ topic: 'old', partition: 0 }, EARLIEST_TIMESTAMP)).toEqual({ offset: 3n, timestamp: -1n });
  const [below] = await engine.fetch([{ topic: 'old', partition: 0, fetchOffset: 0n, maxBytes: 1000 }], { maxWaitMs: 0, minBytes: 0, maxBytes: 1000 });
  expect(below.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  expect(below.logStartOffset).toBe(3n);
  expect((await readAll(engine, 'old', 0, 3n)).map(([, v]) => v)).toEqual(['new-0', 'new-1']);
  // The object went on the same pass (no grace period here), and the deletion is recorded.
  expect(existsSync(path.join(fixture.dirs.root, 'objects', oldObject))).toBe(false);
  await engine.close();
  engine = await fixture.start();
  expect(engine.committedSegments('old', 0)).toHaveLength(1);
  expect(await engine.offsetForTimestamp({ topic: 'old', partition: 0 }, EARLIEST_TIMESTAMP)).toEqual({ offset: 3n, timestamp: -1n });
});

test('retention.bytes drops the oldest objects the limit does not need', async () => {
  const engine = await fixture.start({ objectDeleteGraceMs: 0, uploadAgeMs: 3_600_000 });
  await engine.createTopic('sized', 1, { 'retention.bytes': '2500' });
  for (let i = 0; i < 4; i++) {
    await produce(engine, 'sized', 0, [`${i}-${'s'.repeat(1000)}`]);
    await engine.flush();
  }
  expect(engine.committedSegments('sized', 0)).toHaveLength(4);
  await engine.runRetention();
  const remaining = engine.committedSegments('sized', 0);
  // As in Kafka, whole segments go while what remains stays at least retention.bytes.
  expect(remaining.map((s) => s.baseOffset)).toEqual([2, 3]);
  const kept = remaining.reduce((sum, s) => sum + s.size, 0);
  expect(kept).toBeGreaterThanOrEqual(2500);
  expect(kept - remaining[0].size).toBeLessThan(2500);
});

test('retention deletes many objects concurrently, a bounded number at a time', async () => {
  // Each DELETE takes a few milliseconds here (tens on S3): one at a time, retention fell behind a
  // broker creating objects quickly.
  const inner = new FileObjectStore(path.join(fixture.dirs.root, 'objects'));
  let inFlight = 0;
  let mostInFlight = 0;
  const deleted: string[] = [];
  const store = storeWith(inner, {
    delete: async (key) => {
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await inner.delete(key);
      deleted.push(key);
      inFlight--;
    },
  });
  const engine = await fixture.start({ objectStore: store, objectDeleteGraceMs: 0, uploadAgeMs: 3_600_000 });
  await engine.createTopic('many', 1, { 'retention.bytes': '1' });
  for (let i = 0; i < 2 * DELETE_CONCURRENCY + 3; i++) {
    await produce(engine, 'many', 0, [`${i}`]);
    await engine.flush();
  }
  const objects = engine.committedSegments('many', 0).map((segment) => segment.objectKey);
  await engine.runRetention();
  // Everything but the newest object goes, all in this pass, never more than the limit at once.
  expect(deleted.sort()).toEqual(objects.slice(0, -1).sort());
  expect(mostInFlight).toBe(DELETE_CONCURRENCY);
  for (const key of deleted) expect(await inner.head(key)).toBeUndefined();
});

test('a retention pass moves every partition in one metadata write', async () => {
  const inner = new FileObjectStore(path.join(fixture.dirs.root, 'objects'));
  const metadataWrites: string[] = [];
  const store = storeWith(inner, {
    put: (key, body, condition, crc32c) => {
      if (key.startsWith(LOG_PREFIX)) metadataWrites.push(body.toString());
      return inner.put(key, body, condition, crc32c);
    },
  });
  const engine = await fixture.start({ objectStore: store, objectDeleteGraceMs: 0, uploadAgeMs: 3_600_000 });
  const partitions = 6;
  await engine.createTopic('wide', partitions, { 'retention.bytes': '1' });
  for (let round = 0; round < 2; round++) {
    for (let partition = 0; partition < partitions; partition++) await produce(engine, 'wide', partition, [`${round}-${partition}`]);
    await engine.flush();
  }
  metadataWrites.length = 0;
  await engine.runRetention();
  // The log starts (one entry for the six partitions), then the deletion of the first object.
  expect(metadataWrites.map((body) => (JSON.parse(body) as { kind: string }).kind)).toEqual(['log-starts-advanced', 'objects-deleted']);
  for (let partition = 0; partition < partitions; partition++) {
    const [result] = await engine.fetch([{ topic: 'wide', partition, fetchOffset: 0n, maxBytes: 1000 }], { maxWaitMs: 0, minBytes: 0, maxBytes: 1000 });
    expect(result.logStartOffset).toBe(1n);
  }
});

test('altered configs replace the topic\'s, survive a restart, and produce and retention follow them at once', async () => {
  let engine = await fixture.start({ objectDeleteGraceMs: 0, uploadAgeMs: 3_600_000 });
  await engine.createTopic('kept', 1, { 'retention.ms': '604800000', 'max.message.bytes': '3000' });
  for (let i = 0; i < 3; i++) {
    await produce(engine, 'kept', 0, [`${i}-${'k'.repeat(1000)}`]);
    await engine.flush();
  }
  await expect(produce(engine, 'kept', 0, ['b'.repeat(5000)])).rejects.toMatchObject({ code: ErrorCode.MESSAGE_TOO_LARGE });
  await engine.runRetention();
  expect(engine.committedSegments('kept', 0)).toHaveLength(3); // nothing is old enough or too big

  await expect(engine.alterTopicConfigs('kept', { 'retention.bytes': 'lots' })).rejects.toMatchObject({ code: ErrorCode.INVALID_CONFIG });
  await expect(engine.alterTopicConfigs('missing', {})).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  await engine.alterTopicConfigs('kept', { 'retention.bytes': '1' }, { validateOnly: true });
  expect(engine.describeTopic('kept')?.configs).toEqual({ 'retention.ms': '604800000', 'max.message.bytes': '3000' });

  // The new set replaces the old one: max.message.bytes, left out, returns to its default.
  await engine.alterTopicConfigs('kept', { 'retention.bytes': '2500' });
  const configs = Object.fromEntries(engine.effectiveConfigs('kept').map((c) => [c.name, [c.value, c.isDefault]]));
  expect(configs['retention.bytes']).toEqual(['2500', false]);
  expect(configs['max.message.bytes']).toEqual(['1048588', true]);
  await engine.runRetention();
  expect(engine.committedSegments('kept', 0).map((s) => s.baseOffset)).toEqual([1, 2]);
  expect((await produce(engine, 'kept', 0, ['b'.repeat(5000)])).baseOffset).toBe(3n);

  // Changes made from the current configs compose, even when they race.
  await Promise.all([
    engine.alterTopicConfigs('kept', (current) => ({ ...current, 'retention.ms': '3600000' })),
    engine.alterTopicConfigs('kept', (current) => ({ ...current, 'max.message.bytes': '9000' })),
  ]);
  const composed = { 'retention.bytes': '2500', 'retention.ms': '3600000', 'max.message.bytes': '9000' };
  expect(engine.describeTopic('kept')?.configs).toEqual(composed);
  await expect(engine.alterTopicConfigs('kept', (current) => ({ ...current, 'retention.ms': 'never' }))).rejects.toMatchObject({ code: ErrorCode.INVALID_CONFIG });

  await engine.close();
  engine = await fixture.start();
  expect(engine.describeTopic('kept')?.configs).toEqual(composed);
});
