/**
 * The fixed-rate load behind the floor and the latency runs: the records due each tick, the
 * warm-up's requests flagged as not measured, and the end. Jest's fake clock drives both the
 * timers and performance.now(), so the schedule is exact.
 */
import { runAtFixedRate } from '../../bench/fixed-rate';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

/** 10 records of 1 KiB a second: one record due every 100 ms. */
const load = { bytesPerSecond: 10 * 1024, recordBytes: 1024, tickMs: 50 };

test('sends the records due each tick, the warm-up unmeasured, and ends after warm-up and duration', async () => {
  const sent: { atMs: number; records: number; measured: boolean }[] = [];
  const measuringAt: number[] = [];
  const start = performance.now();
  const run = runAtFixedRate({ ...load, warmUpMs: 1000, durationMs: 2000 }, (records, measured) => sent.push({ atMs: performance.now() - start, records, measured }), {
    onMeasuring: () => measuringAt.push(performance.now() - start),
  });
  await jest.advanceTimersByTimeAsync(3100);
  await run;
  expect(measuringAt).toEqual([1000]);
  // One record every 100 ms, on every other 50 ms tick, up to the tick before 3000 ms.
  expect(sent.reduce((sum, request) => sum + request.records, 0)).toBe(29);
  expect(sent.every((request) => request.records === 1)).toBe(true);
  expect(sent.filter((request) => !request.measured).map((request) => request.atMs)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900]);
  expect(sent.filter((request) => request.measured)).toHaveLength(20);
  expect(sent.filter((request) => request.measured).every((request) => request.atMs >= 1000)).toBe(true);
});

test('a tick sends every record due in one request, at most maxRecordsPerRequest, the rest on the next ticks', async () => {
  // Ticks at 0, 700 and 1400 ms (the run ends at 2000): 7 records become due between two ticks.
  const slow = { ...load, tickMs: 700, warmUpMs: 0, durationMs: 2000 };
  const whole: number[] = [];
  const capped: number[] = [];
  const runs = [runAtFixedRate(slow, (records) => whole.push(records)), runAtFixedRate(slow, (records) => capped.push(records), { maxRecordsPerRequest: 5 })];
  await jest.advanceTimersByTimeAsync(2200);
  await Promise.all(runs);
  expect(whole).toEqual([7, 7]);
  // The second tick has 14 - 5 = 9 due and sends 5 of them.
  expect(capped).toEqual([5, 5]);
});

test('without a warm-up, everything is measured from the first tick', async () => {
  const measured: boolean[] = [];
  let measuringCalls = 0;
  const run = runAtFixedRate({ ...load, warmUpMs: 0, durationMs: 500 }, (_, isMeasured) => measured.push(isMeasured), {
    onMeasuring: () => measuringCalls++,
  });
  await jest.advanceTimersByTimeAsync(600);
  await run;
  expect(measuringCalls).toBe(1);
  expect(measured.length).toBeGreaterThan(0);
  expect(measured.every(Boolean)).toBe(true);
});
