/**
 * The fixed-rate load shared by the floor and the brokers' latency runs: every tick (a timer, like
 * a producer's linger) the records due since the start become one request, whether or not earlier
 * requests have been answered.
 *
 * Each run starts with a warm-up whose requests are sent but not measured. A process just started
 * is not the one that serves for days: V8 is still compiling its hot paths (tens of functions a
 * second for the broker's first 15 s, `--trace-opt`), and its heap is still growing. In three
 * cold 30 s runs, the broker's produce p99 per 2 s had a median of 2.8 ms in the first 14 s and
 * 1.6 ms after; the least broker's 2.0 ms in its first 8 s and 1.2 ms after (docs/performance.md).
 */

export interface FixedRateLoad {
  readonly bytesPerSecond: number;
  readonly recordBytes: number;
  /** How often the records due are sent. */
  readonly tickMs: number;
  /** Sent first and not measured. */
  readonly warmUpMs: number;
  /** Measured, after the warm-up. */
  readonly durationMs: number;
}

/**
 * Runs `load`: `send(records, measured)` each tick with the records due (at most
 * `maxRecordsPerRequest`: a late tick on a busy machine sends its backlog over the next ticks, as
 * a producer's batch.size would), `measured` false during the warm-up. `onMeasuring` is called
 * once, when the warm-up ends. Resolves once the last tick has been sent.
 */
export function runAtFixedRate(
  load: FixedRateLoad,
  send: (records: number, measured: boolean) => void,
  options: { readonly maxRecordsPerRequest?: number; readonly onMeasuring?: () => void } = {},
): Promise<void> {
  const start = performance.now();
  const endMs = load.warmUpMs + load.durationMs;
  let sentRecords = 0;
  let measuring = false;
  return new Promise<void>((resolve) => {
    const tick = (): void => {
      const elapsedMs = performance.now() - start;
      if (elapsedMs >= endMs) {
        resolve();
        return;
      }
      if (!measuring && elapsedMs >= load.warmUpMs) {
        measuring = true;
        options.onMeasuring?.();
      }
      const due = Math.min(
        options.maxRecordsPerRequest ?? Infinity,
        Math.floor(((elapsedMs / 1000) * load.bytesPerSecond) / load.recordBytes) - sentRecords,
      );
      if (due > 0) {
        sentRecords += due;
        send(due, measuring);
      }
      setTimeout(tick, load.tickMs);
    };
    tick();
  });
}
