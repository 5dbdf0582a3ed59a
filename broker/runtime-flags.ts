/**
 * The Node.js flags the broker runs with. Every launcher uses them: `npm start` / `npm run broker`
 * (package.json), the container (Dockerfile), the local cluster and the benchmark;
 * test/broker/runtime-flags.test.ts keeps package.json and the Dockerfile in agreement with this list.
 *
 * --initial-old-space-size: V8 derives its first old-generation limits from the live heap, which
 * is small here (about 16 MiB: the broker's data lives in off-heap buffers). Objects that outlive
 * a request by a few milliseconds (waiting for the WAL, a long poll) are promoted, so with the
 * default the old generation reached its limit several times a second, and each full
 * mark-compact paused the event loop for 3 to 9 ms: most of the produce latency tail. Measured
 * with `npm run bench` (docs/performance.md): 38 to 57 full collections in a 15 s latency run
 * without the flag, 2 with it, and produce p99 from 12-16 ms to 6-8 ms, for about 20 MiB more RSS.
 * The benchmark's client is the same kind of process (a small heap, its data in buffers) and runs
 * with them too: without them its own full collections, delaying the responses it times, added
 * 3 to 4 ms to the measured produce p99 (8.2 to 9.0 ms against 4.7 to 5.3 ms in A/B runs).
 * These flags cannot be set through NODE_OPTIONS (Node refuses this one there).
 */
export const BROKER_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=128'];

/** The flags of BROKER_NODE_FLAGS this process was not started with (reported at start). */
export function missingBrokerNodeFlags(execArgv: readonly string[] = process.execArgv): string[] {
  return BROKER_NODE_FLAGS.filter((flag) => !execArgv.includes(flag));
}
