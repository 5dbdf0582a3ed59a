/** The latest N durations (ms): `add` is cheap enough for the hot path; `summary` sorts, so call it for reports only. */
export class LatencyRing {
  private readonly samples: Float64Array;
  private count = 0;

  constructor(size = 4096) {
    this.samples = new Float64Array(size);
  }

  add(ms: number): void {
    this.samples[this.count % this.samples.length] = ms;
    this.count++;
  }

  /** Percentiles of the latest samples, rounded to microseconds (zeros without samples). */
  summary(): { p50: number; p99: number; max: number } {
    // A typed copy sorts numerically in place without boxing 4096 doubles.
    const recent = this.samples.slice(0, Math.min(this.count, this.samples.length)).sort();
    const at = (q: number) =>
      recent.length === 0 ? 0 : Math.round(recent[Math.min(recent.length - 1, Math.floor(q * recent.length))] * 1000) / 1000;
    return { p50: at(0.5), p99: at(0.99), max: at(1) };
  }
}
