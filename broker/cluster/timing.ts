/**
 * The cluster's timing model: one place that says how long a lease lasts, how often it is renewed,
 * how long others wait before they treat its holder as dead, and the clock assumption that makes
 * the waiting safe.
 *
 * The argument (docs/architecture.md, "Cluster: ownership, failover, fencing, drain"):
 * - A holder sends a renewal at its local time s; if the conditional write succeeds, it may
 *   acknowledge writes until s + leaseMs on its own clock (both of its clocks, see clock.ts).
 * - An observer (the controller) that first sees a renewal at its local time f has seen it after it
 *   was sent. It may declare the holder dead only after `expiryWaitMs` without seeing a newer
 *   renewal, measured on its own monotonic clock, and then fences with a compare-and-swap on the
 *   exact renewal it observed, so a renewal that lands in between makes the fence fail.
 * - Clocks may run at different rates, each within `maxClockRateError` of real time. The holder's
 *   leaseMs lasts at most leaseMs / (1 - e) real milliseconds; the observer's wait lasts at least
 *   expiryWaitMs / (1 + e). expiryWaitMs = leaseMs * (1 + e) / (1 - e) makes the second at least
 *   the first: when the fence is written, the holder's lease is over in real time.
 * No assumption is made about clock offsets (the two machines never compare readings), only
 * about rates, which NTP-disciplined clocks keep within a few hundred parts per million.
 */

export interface LeaseTiming {
  /** How long after sending a successful renewal its holder may acknowledge writes. */
  readonly leaseMs: number;
  /** How often the holder renews; several renewals fit in one lease so one slow write is harmless. */
  readonly renewIntervalMs: number;
  /** How often brokers read the leases and the metadata log (the controller's detection delay). */
  readonly pollIntervalMs: number;
  /** Bound on how much any clock's rate may differ from real time (0.01 = 1%). */
  readonly maxClockRateError: number;
}

/**
 * Production defaults: a dead broker's partitions move after about 10 s (like Kafka's KRaft
 * broker session timeout of 9 s), renewals every 2 s (one conditional PUT per broker per 2 s),
 * and a clock rate error bound 20 times looser than NTP's 500 ppm worst case.
 */
export const DEFAULT_LEASE_TIMING: LeaseTiming = {
  leaseMs: 10_000,
  renewIntervalMs: 2_000,
  pollIntervalMs: 500,
  maxClockRateError: 0.01,
};

/** How long an observer waits, on its own monotonic clock, before treating a lease as lapsed. */
export function expiryWaitMs(timing: LeaseTiming): number {
  const e = timing.maxClockRateError;
  return Math.ceil((timing.leaseMs * (1 + e)) / (1 - e));
}

/**
 * The longest a dead broker's partitions stay unserved, before replay: the observer notices the
 * last renewal up to one poll late, waits expiryWaitMs, and the new owner learns of the change up
 * to one poll later. (The renewal before death may itself be up to one interval old.)
 */
export function worstCaseDetectionMs(timing: LeaseTiming): number {
  return timing.renewIntervalMs + expiryWaitMs(timing) + 2 * timing.pollIntervalMs;
}

/** Problems with a timing, each saying what was given and what is allowed; empty when valid. */
export function timingProblems(timing: LeaseTiming): string[] {
  const problems: string[] = [];
  const positiveInteger = (name: keyof LeaseTiming): void => {
    const value = timing[name];
    if (!Number.isInteger(value) || value <= 0) {
      problems.push(`${name} must be a positive integer number of milliseconds, got ${value}`);
    }
  };
  positiveInteger('leaseMs');
  positiveInteger('renewIntervalMs');
  positiveInteger('pollIntervalMs');
  const e = timing.maxClockRateError;
  if (!(e >= 0 && e < 0.5)) {
    problems.push(`maxClockRateError must be in [0, 0.5), got ${e}`);
  }
  if (problems.length === 0 && timing.renewIntervalMs * 3 > timing.leaseMs) {
    problems.push(
      `renewIntervalMs (${timing.renewIntervalMs}) must be at most a third of leaseMs ` +
        `(${timing.leaseMs}) so that one slow renewal does not lose the lease`,
    );
  }
  return problems;
}

export function validateTiming(timing: LeaseTiming): LeaseTiming {
  const problems = timingProblems(timing);
  if (problems.length > 0) throw new RangeError(`invalid lease timing: ${problems.join('; ')}`);
  return timing;
}
