import * as v8 from 'node:v8';

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

/**
 * The young generation's size as it was before Node.js 24, which the broker sets for itself at
 * start (applyYoungGenerationSizing), whichever way it is launched.
 *
 * V8 13.6 (Node.js 24.0) raised the default of this flag from 8 to 32. That moved the point where
 * V8 reclaims young ArrayBuffers (every socket read and every request frame is one) with a cheap
 * scavenge from 32 MiB of them to 128 MiB, above V8's fixed 64 MiB of external memory that starts
 * a full collection: a broker receiving 600 MiB/s ran about ten full collections a second and
 * almost no scavenges, and the benchmark's throughput fell by a sixth against Node.js 20 (Node.js
 * issues 61967 and 63863; docs/performance.md). With the old value, Node.js 24 collects them as
 * Node.js 20 and 22 do. The flag does not exist before Node.js 22 (where 8 is the default), so it
 * cannot be a fixed command-line flag of launchers that also run on Node.js 20;
 * test/broker/runtime-gc.test.ts checks that setting it at start takes effect.
 */
export const YOUNG_GENERATION_FLAG = '--scavenger-max-new-space-capacity-mb=8';

/** Sets YOUNG_GENERATION_FLAG on the Node.js versions whose default differs; true when it did. */
export function applyYoungGenerationSizing(nodeVersion: string = process.versions.node): boolean {
  const major = Number(nodeVersion.split('.')[0]);
  if (!(major >= 24)) return false;
  v8.setFlagsFromString(YOUNG_GENERATION_FLAG);
  return true;
}

/** The flags of BROKER_NODE_FLAGS this process was not started with (reported at start). */
export function missingBrokerNodeFlags(execArgv: readonly string[] = process.execArgv): string[] {
  return BROKER_NODE_FLAGS.filter((flag) => !execArgv.includes(flag));
}
