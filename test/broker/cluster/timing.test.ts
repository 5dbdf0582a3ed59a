import {
  DEFAULT_LEASE_TIMING,
  type LeaseTiming,
  expiryWaitMs,
  timingProblems,
  validateTiming,
  worstCaseDetectionMs,
} from '../../../broker/cluster/timing';

describe('lease timing', () => {
  test('the defaults are valid and give a failover detection of about ten seconds', () => {
    expect(timingProblems(DEFAULT_LEASE_TIMING)).toEqual([]);
    expect(expiryWaitMs(DEFAULT_LEASE_TIMING)).toBe(10_203);
    expect(worstCaseDetectionMs(DEFAULT_LEASE_TIMING)).toBe(2_000 + 10_203 + 1_000);
  });

  test.each([0, 0.0005, 0.01, 0.1, 0.3])(
    'with clock rate error %p the observer waits at least as long in real time as the holder may act',
    (e) => {
      const timing: LeaseTiming = { ...DEFAULT_LEASE_TIMING, maxClockRateError: e };
      const wait = expiryWaitMs(timing);
      // Worst case: the holder's clock runs slow (its lease lasts longest in real time) and the
      // observer's clock runs fast (its wait is shortest in real time).
      const holderRealMs = timing.leaseMs / (1 - e);
      const observerRealMs = wait / (1 + e);
      expect(observerRealMs).toBeGreaterThanOrEqual(holderRealMs - 1e-9);
    },
  );

  test.each<[Partial<LeaseTiming>, string]>([
    [{ leaseMs: 0 }, 'leaseMs must be a positive integer number of milliseconds, got 0'],
    [{ renewIntervalMs: 1.5 }, 'renewIntervalMs must be a positive integer number of milliseconds, got 1.5'],
    [{ pollIntervalMs: -1 }, 'pollIntervalMs must be a positive integer number of milliseconds, got -1'],
    [{ maxClockRateError: 0.5 }, 'maxClockRateError must be in [0, 0.5), got 0.5'],
    [{ maxClockRateError: Number.NaN }, 'maxClockRateError must be in [0, 0.5), got NaN'],
    [
      { leaseMs: 3000, renewIntervalMs: 1500 },
      'renewIntervalMs (1500) must be at most a third of leaseMs (3000) so that one slow renewal does not lose the lease',
    ],
  ])('rejects %p', (override, message) => {
    const timing = { ...DEFAULT_LEASE_TIMING, ...override };
    expect(timingProblems(timing)).toEqual([message]);
    expect(() => validateTiming(timing)).toThrow(`invalid lease timing: ${message}`);
  });
});
