/** Latency samples and their percentiles. */

export class Samples {
  private readonly values: number[] = [];

  add(value: number): void {
    this.values.push(value);
  }

  get count(): number {
    return this.values.length;
  }

  /** The p-th percentile (0-100), nearest rank; NaN without samples. */
  percentile(p: number): number {
    if (this.values.length === 0) return NaN;
    const sorted = [...this.values].sort((a, b) => a - b);
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[rank];
  }

  summary(): LatencySummary {
    return { count: this.count, p50: this.percentile(50), p99: this.percentile(99), p999: this.percentile(99.9), max: this.percentile(100) };
  }
}

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function formatMs(ms: number): string {
  return Number.isNaN(ms) ? 'n/a' : ms < 10 ? ms.toFixed(3) : ms.toFixed(1);
}
