import type { Clock } from '../../../broker/cluster/clock';

/** A clock tests move by hand: monotonic and wall time advance together unless told otherwise. */
export class FakeClock implements Clock {
  private monotonic = 1_000;
  private wall = 1_700_000_000_000;

  monotonicMs(): number {
    return this.monotonic;
  }

  wallMs(): number {
    return this.wall;
  }

  advance(ms: number): void {
    this.monotonic += ms;
    this.wall += ms;
  }

  /** Moves only the wall clock (an NTP step, or a resume from suspension that the monotonic clock missed). */
  stepWall(ms: number): void {
    this.wall += ms;
  }
}
