/** The benchmark's verdicts: a target is met or not met only when the floors before and after the brokers agree. */
import { latencyTarget, throughputTarget } from '../../bench/targets';

describe('latencyTarget', () => {
  test('is met when the produce p99 is within 1 ms of both floors', () => {
    const result = latencyTarget(2.0, { before: 1.2, after: 1.5 });
    expect(result.gapsMs.before).toBeCloseTo(0.8);
    expect(result.gapsMs.after).toBeCloseTo(0.5);
    expect(result.verdict).toBe('met');
  });

  test('is not met when the produce p99 is more than 1 ms above both floors', () => {
    expect(latencyTarget(3.6, { before: 1.1, after: 1.3 }).verdict).toBe('not met');
  });

  test('is inconclusive when one floor puts it within the target and the other does not', () => {
    // The device slowed down during the run: the later floor makes the broker look good.
    const result = latencyTarget(4.3, { before: 1.1, after: 4.35 });
    expect(result.gapsMs.before).toBeCloseTo(3.2);
    expect(result.gapsMs.after).toBeCloseTo(-0.05);
    expect(result.verdict).toMatch(/^inconclusive/);
  });

  test('a gap of exactly 1 ms meets it', () => {
    expect(latencyTarget(2, { before: 1, after: 1 }).verdict).toBe('met');
  });
});

describe('throughputTarget', () => {
  test('is met when the throughput is at least 70% of both floors', () => {
    const result = throughputTarget(800, { before: 1000, after: 1100 });
    expect(result.shares.before).toBeCloseTo(0.8);
    expect(result.shares.after).toBeCloseTo(0.727, 3);
    expect(result.verdict).toBe('met');
  });

  test('is not met when it is under 70% of both', () => {
    expect(throughputTarget(630, { before: 1137, after: 1090 }).verdict).toBe('not met');
  });

  test('is inconclusive when the floors disagree', () => {
    expect(throughputTarget(700, { before: 1200, after: 900 }).verdict).toMatch(/^inconclusive/);
  });
});
