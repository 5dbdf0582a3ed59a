/**
 * Time as the group coordinator sees it: a wall clock (commit timestamps, state timestamps,
 * offset retention) and one-shot timers (session, rebalance, initial delay, pending sync).
 *
 * Injected so that unit tests drive time by hand and never sleep.
 */

/** Cancels a scheduled timer; calling it after the timer fired, or twice, does nothing. */
export type CancelTimer = () => void;

export interface Scheduler {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
  /** Runs `task` once, `delayMs` from now. */
  schedule(delayMs: number, task: () => void): CancelTimer;
}

export const systemScheduler: Scheduler = {
  nowMs: () => Date.now(),
  schedule(delayMs, task) {
    const timer = setTimeout(task, delayMs);
    // A pending session timer must never keep the process alive after the server closed.
    timer.unref();
    return () => clearTimeout(timer);
  },
};
