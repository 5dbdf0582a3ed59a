/**
 * The holder's side of a sequenced lease (lease-store.ts) with its bookkeeping (LeaseHolder): take
 * the lease at a sequence number, renew it by creating the next one, release it, and learn that it
 * was lost when a renewal's number is already taken (a fence, or another broker's claim).
 *
 * The keeper never sleeps by itself: its owner calls `renew` on a timer, so tests drive it by hand.
 */
import type { Logger } from 'pino';
import type { Clock } from './clock';
import { LeaseHolder } from './lease';
import type { LeaseLog, LeaseRecord } from './lease-store';
import type { LeaseTiming } from './timing';

/** Renewal records kept behind the latest: enough for any observer that reads forward. */
const KEEP_RECORDS = 32;

export type RenewalResult = 'renewed' | 'lost';

export class LeaseKeeper {
  readonly holder: LeaseHolder;
  private seq = 0;
  private lossReason: LeaseRecord | undefined;

  constructor(
    private readonly log: LeaseLog,
    private readonly identity: { readonly holder: number; readonly nodeId: number },
    timing: LeaseTiming,
    clock: Clock,
    private readonly logger: Logger,
  ) {
    this.holder = new LeaseHolder(timing, clock);
  }

  /** The sequence number of the latest record this keeper wrote. */
  get sequence(): number {
    return this.seq;
  }

  /** What took the lease away (the record that won the number), once lost. */
  get lostTo(): LeaseRecord | undefined {
    return this.lossReason;
  }

  /**
   * Takes the lease by creating record `seq` (1 for a new broker lease; the number after the
   * latest for a controller claim). False when that number was taken first.
   */
  async acquire(seq: number): Promise<boolean> {
    const ticket = this.holder.beginRenewal();
    if (!(await this.log.create(seq, this.record('renewal')))) return false;
    this.seq = seq;
    this.holder.renewed(ticket);
    return true;
  }

  /** Creates the next record. 'lost' when the number was taken: the lease is revoked for good. */
  async renew(): Promise<RenewalResult> {
    if (this.holder.isRevoked) return 'lost';
    const ticket = this.holder.beginRenewal();
    const next = this.seq + 1;
    if (!(await this.log.create(next, this.record('renewal')))) {
      const winner = await this.log.read(next);
      if (winner?.kind === 'renewal' && winner.holder === this.identity.holder) {
        // Our own earlier attempt landed although its answer was lost. When it was sent is not
        // known, so it does not extend the lease; the next renewal will.
        this.seq = next;
        return 'renewed';
      }
      this.holder.revoke();
      this.lossReason = winner;
      this.logger.warn({ lease: this.log.prefix, sequence: next, takenBy: this.lossReason }, 'lease lost');
      return 'lost';
    }
    this.seq = next;
    this.holder.renewed(ticket);
    if (next % KEEP_RECORDS === 0) await this.log.pruneBelow(next - KEEP_RECORDS);
    return 'renewed';
  }

  /** Gives the lease up for good: stop acknowledging first, then tell observers. */
  async release(): Promise<void> {
    if (this.holder.isRevoked) return;
    this.holder.revoke();
    if (!(await this.log.create(this.seq + 1, this.record('released')))) {
      this.lossReason = await this.log.read(this.seq + 1);
    }
  }

  private record(kind: 'renewal' | 'released'): LeaseRecord {
    return { kind, holder: this.identity.holder, nodeId: this.identity.nodeId };
  }
}
