/** A Scheduler whose time moves only when a test says so: no test sleeps. */
import type { CancelTimer, Scheduler } from '../../../broker/coordinator/scheduler';

interface Timer {
  readonly dueMs: number;
  readonly sequence: number;
  readonly task: () => void;
  cancelled: boolean;
}

export class ManualScheduler implements Scheduler {
  private now: number;
  private sequence = 0;
  private timers: Timer[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  schedule(delayMs: number, task: () => void): CancelTimer {
    const timer: Timer = { dueMs: this.now + delayMs, sequence: this.sequence++, task, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Pending timers, for assertions that nothing is left behind. */
  get pendingTimers(): number {
    return this.timers.filter((timer) => !timer.cancelled).length;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due, in order, each at its own time;
   * timers scheduled by those tasks fire too if they fall due within the window. Microtasks (the
   * coordinator's resolved promises) run after each timer.
   */
  async advance(ms: number): Promise<void> {
    const target = this.now + ms;
    for (;;) {
      const due = this.timers
        .filter((timer) => !timer.cancelled && timer.dueMs <= target)
        .sort((a, b) => a.dueMs - b.dueMs || a.sequence - b.sequence)[0];
      if (!due) break;
      due.cancelled = true;
      this.now = Math.max(this.now, due.dueMs);
      due.task();
      await settle();
    }
    this.timers = this.timers.filter((timer) => !timer.cancelled);
    this.now = target;
    await settle();
  }
}

/** Lets every pending promise continuation run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
