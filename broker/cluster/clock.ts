/**
 * The clocks the cluster's timing decisions read. Injected everywhere so that tests drive time by
 * hand and never sleep.
 *
 * Leases are measured on the monotonic clock, which no NTP step can move. The wall clock is read
 * as a second witness: a machine that was suspended (a hibernated Spot instance, a frozen VM) may
 * resume with a monotonic clock that did not count the pause, while its wall clock is corrected
 * on resume. A lease holder trusts its lease only while BOTH clocks say it is current.
 */
import { performance } from 'node:perf_hooks';

export interface Clock {
  /** Milliseconds on a clock that never goes backwards (not comparable across machines). */
  monotonicMs(): number;
  /** Milliseconds since the Unix epoch; may jump either way. */
  wallMs(): number;
}

export const systemClock: Clock = {
  monotonicMs: () => performance.now(),
  wallMs: () => Date.now(),
};

/** A reading of both clocks taken at the same moment. */
export interface ClockReading {
  readonly monotonicMs: number;
  readonly wallMs: number;
}

export function readClock(clock: Clock): ClockReading {
  return { monotonicMs: clock.monotonicMs(), wallMs: clock.wallMs() };
}

/**
 * Time elapsed since `since`, as the more pessimistic of the two clocks would have it. A wall
 * clock that went backwards gives no evidence at all, so it counts as "forever".
 */
export function elapsedSinceMs(clock: Clock, since: ClockReading): number {
  const monotonic = clock.monotonicMs() - since.monotonicMs;
  const wall = clock.wallMs() - since.wallMs;
  if (wall < 0) return Number.POSITIVE_INFINITY;
  return Math.max(monotonic, wall);
}
