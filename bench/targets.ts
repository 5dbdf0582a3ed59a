/**
 * Issue 4's two targets, judged against the floor measured twice: before the brokers run and
 * again after them. On a shared machine the device's latency and bandwidth move by several times
 * within minutes (a fixed-rate floor p99 of 1.1 ms in one run, 4.4 ms in the next), so a single
 * floor can make a run look met or missed by accident. A verdict stands only when both floors
 * give it; when they disagree, the run says so instead of picking one.
 */

/** Produce p99 at most this far above the floor's p99. */
export const LATENCY_GAP_TARGET_MS = 1;
/** Maximum throughput at least this share of the floor's bandwidth. */
export const THROUGHPUT_SHARE_TARGET = 0.7;

export type Verdict = 'met' | 'not met' | 'inconclusive (the floor moved during the run)';

/** The floor measured before and after the brokers. */
export interface Bracket {
  readonly before: number;
  readonly after: number;
}

function judge(passes: readonly boolean[]): Verdict {
  if (passes.every(Boolean)) return 'met';
  if (!passes.some(Boolean)) return 'not met';
  return 'inconclusive (the floor moved during the run)';
}

/** The produce p99 minus each floor p99, and whether it is within the target against both. */
export function latencyTarget(produceP99Ms: number, floorP99Ms: Bracket): { readonly gapsMs: Bracket; readonly verdict: Verdict } {
  const gapsMs = { before: produceP99Ms - floorP99Ms.before, after: produceP99Ms - floorP99Ms.after };
  return { gapsMs, verdict: judge([gapsMs.before, gapsMs.after].map((gap) => gap <= LATENCY_GAP_TARGET_MS)) };
}

/** The throughput as a share of each floor bandwidth, and whether it reaches the target against both. */
export function throughputTarget(mibPerSecond: number, floorMiBps: Bracket): { readonly shares: Bracket; readonly verdict: Verdict } {
  const shares = { before: mibPerSecond / floorMiBps.before, after: mibPerSecond / floorMiBps.after };
  return { shares, verdict: judge([shares.before, shares.after].map((share) => share >= THROUGHPUT_SHARE_TARGET)) };
}

/**
 * What the least broker's verdict on a target says about this machine (bench/least-broker.ts:
 * only the work this data path makes every broker do). It missing a target puts the target out
 * of reach of any broker here; it meeting one says the target is reachable, not that ours is close.
 */
export function reachOnThisMachine(leastBrokerVerdict: Verdict): string {
  if (leastBrokerVerdict === 'met') return 'the target is within reach on this machine';
  if (leastBrokerVerdict === 'not met') return 'the target is out of reach on this machine (the least broker misses it too)';
  return leastBrokerVerdict;
}
