/** The benchmark's verdicts: a target is met or not met only when the floors before and after the brokers agree. */
import { latencyTarget, reachOnThisMachine, throughputTarget } from '../../bench/targets';

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

describe('reachOnThisMachine', () => {
  test("reads the least broker's verdict as the target's reach on the machine", () => {
    // The least broker at 851 MiB/s against floors of 1133 and 1199 MiB/s (a run at 17:40 UTC).
    expect(reachOnThisMachine(throughputTarget(851, { before: 1133, after: 1199 }).verdict)).toBe('the target is within reach on this machine');
    expect(reachOnThisMachine(latencyTarget(3.54, { before: 1.3, after: 1.08 }).verdict)).toBe(
      'the target is out of reach on this machine (the least broker misses it too)',
    );
    expect(reachOnThisMachine(latencyTarget(2.5, { before: 1.3, after: 1.6 }).verdict)).toMatch(/^inconclusive/);
  });
});
