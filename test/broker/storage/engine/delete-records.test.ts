/**
 * Storage.advanceLogStart (DeleteRecords): moves a partition's log start forward through the same
 * `log-start-advanced` metadata entry as retention, only within what is committed (uploaded).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ErrorCode } from '../../../../broker/protocol/error-codes';
import type { StorageEngine } from '../../../../broker/storage';
import { EARLIEST_TIMESTAMP } from '../../../../broker/storage/storage';
import { engineFixture, produce, readAll } from './helpers';

const fixture = engineFixture();
const tp = { topic: 't', partition: 0 };

const logStart = async (engine: StorageEngine) => (await engine.offsetForTimestamp(tp, EARLIEST_TIMESTAMP)).offset;

async function fetchAt(engine: StorageEngine, fetchOffset: bigint) {
  const [fetched] = await engine.fetch([{ ...tp, fetchOffset, maxBytes: 10_000 }], { maxWaitMs: 0, minBytes: 0, maxBytes: 10_000 });
  return fetched;
}

test('advancing the log start hides older records, drops whole objects, never goes back, and survives a restart', async () => {
  let engine = await fixture.start({ objectDeleteGraceMs: 0, uploadAgeMs: 3_600_000 });
  await engine.createTopic('t', 1, {});
  for (const value of ['a0', 'a1', 'a2']) await produce(engine, 't', 0, [value]);
  await engine.flush();
  const firstObject = engine.committedSegments('t', 0)[0].objectKey;
  for (const value of ['b0', 'b1']) await produce(engine, 't', 0, [value]);
  await engine.flush();
  const secondObject = engine.committedSegments('t', 0)[1].objectKey;

  // Offset 4 is inside the second object: that object stays, the first goes.
  expect(await engine.advanceLogStart(tp, 4n)).toBe(4n);
  expect(await logStart(engine)).toBe(4n);
  for (const below of [0n, 3n]) {
    expect(await fetchAt(engine, below)).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: 4n });
  }
  expect(await readAll(engine, 't', 0, 4n)).toEqual([[4n, 'b1']]);
  expect(engine.committedSegments('t', 0).map((segment) => segment.objectKey)).toEqual([secondObject]);
  await engine.runRetention(); // deletes what nothing refers to (no grace period here)
  expect(existsSync(path.join(fixture.dirs.root, 'objects', firstObject))).toBe(false);
  expect(existsSync(path.join(fixture.dirs.root, 'objects', secondObject))).toBe(true);

  // A lower (or equal) offset changes nothing.
  expect(await engine.advanceLogStart(tp, 2n)).toBe(4n);
  expect(await engine.advanceLogStart(tp, 4n)).toBe(4n);
  expect(await logStart(engine)).toBe(4n);

  // Beyond the committed end: c0 is durable in the WAL but not uploaded, so offset 6 is refused.
  await produce(engine, 't', 0, ['c0']);
  expect(engine.committedNextOffset('t', 0)).toBe(5);
  await expect(engine.advanceLogStart(tp, 6n)).rejects.toMatchObject({ code: ErrorCode.OFFSET_OUT_OF_RANGE });
  await expect(engine.advanceLogStart(tp, 100n)).rejects.toMatchObject({ code: ErrorCode.OFFSET_OUT_OF_RANGE });
  expect(await logStart(engine)).toBe(4n);
  // Up to the committed end is allowed.
  expect(await engine.advanceLogStart(tp, 5n)).toBe(5n);
  expect(await readAll(engine, 't', 0, 5n)).toEqual([[5n, 'c0']]);

  // The metadata log carries the new start.
  await fixture.stop();
  engine = await fixture.start();
  expect(await logStart(engine)).toBe(5n);
  expect(await fetchAt(engine, 4n)).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: 5n });
  expect(await readAll(engine, 't', 0, 5n)).toEqual([[5n, 'c0']]);
});

test('an unknown partition is UNKNOWN_TOPIC_OR_PARTITION', async () => {
  const engine = await fixture.start();
  await expect(engine.advanceLogStart({ topic: 'missing', partition: 0 }, 1n)).rejects.toMatchObject({
    code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  });
});
