/**
 * The two sides of a lease, as pure bookkeeping over injected clocks (the object-store reads and
 * writes are in lease-store.ts). See timing.ts for the argument that ties them together.
 *
 * - LeaseHolder: the holder's own view. A renewal's validity starts when it was SENT, not when its
 *   answer arrived, and only counts once the conditional write succeeded. The lease is current while
 *   both clocks say less than leaseMs has passed since that send.
 * - LeaseObserver: another broker's view. It remembers when it first saw each version of each lease
 *   (on its monotonic clock only: a wall clock that jumps forward must never make it fence early)
 *   and reports a lease as lapsed once the same version has been seen for expiryWaitMs.
 */
import { type Clock, type ClockReading, elapsedSinceMs, readClock } from './clock';
import { type LeaseTiming, expiryWaitMs } from './timing';

/** Proof of when a renewal was sent; hand it back to `renewed` once the write succeeded. */
export interface RenewalTicket {
  readonly sentAt: ClockReading;
}

export class LeaseHolder {
  private validFrom: ClockReading | undefined;
  private revoked = false;

  constructor(
    private readonly timing: LeaseTiming,
    private readonly clock: Clock,
  ) {}

  /** Call right before sending a renewal (or the write that creates the lease). */
  beginRenewal(): RenewalTicket {
    return { sentAt: readClock(this.clock) };
  }

  /** The renewal sent with this ticket succeeded. Older tickets never shorten the lease. */
  renewed(ticket: RenewalTicket): void {
    if (this.revoked) return;
    if (this.validFrom === undefined || ticket.sentAt.monotonicMs > this.validFrom.monotonicMs) {
      this.validFrom = ticket.sentAt;
    }
  }

  /** The lease was fenced or released: it never becomes current again. */
  revoke(): void {
    this.revoked = true;
    this.validFrom = undefined;
  }

  get isRevoked(): boolean {
    return this.revoked;
  }

  /** True while the holder may acknowledge writes. */
  isCurrent(): boolean {
    return this.remainingMs() > 0;
  }

  /** Milliseconds left on the lease by the holder's own clocks (0 when not current). */
  remainingMs(): number {
    if (this.revoked || this.validFrom === undefined) return 0;
    return Math.max(0, this.timing.leaseMs - elapsedSinceMs(this.clock, this.validFrom));
  }
}

interface Sighting {
  readonly version: string;
  readonly firstSeenMs: number;
}

export class LeaseObserver {
  private readonly sightings = new Map<string, Sighting>();
  private readonly waitMs: number;

  constructor(
    timing: LeaseTiming,
    private readonly clock: Clock,
  ) {
    this.waitMs = expiryWaitMs(timing);
  }

  /**
   * Records what the lease `key` looks like now; `version` is anything that changes with every
   * renewal (the object's ETag), or a marker such as 'absent'.
   */
  observe(key: string, version: string): void {
    const known = this.sightings.get(key);
    if (known?.version !== version) {
      this.sightings.set(key, { version, firstSeenMs: this.clock.monotonicMs() });
    }
  }

  /**
   * True when `version` is the version last observed and has stayed so for the expiry wait.
   * Passing the version guards against acting on a lease that changed since it was observed.
   */
  isLapsed(key: string, version: string): boolean {
    const known = this.sightings.get(key);
    if (known?.version !== version) return false;
    return this.clock.monotonicMs() - known.firstSeenMs >= this.waitMs;
  }

  /** Milliseconds until `key` would count as lapsed if it stays unchanged (0 when it already is). */
  msUntilLapsed(key: string): number | undefined {
    const known = this.sightings.get(key);
    if (known === undefined) return undefined;
    return Math.max(0, this.waitMs - (this.clock.monotonicMs() - known.firstSeenMs));
  }

  forget(key: string): void {
    this.sightings.delete(key);
  }
}
