/**
 * Every broker watches every lease (the controller's and each active broker's) on each poll, so a
 * broker that becomes controller already knows how long each lease has stood still and the death
 * of the controller does not add a second expiry wait to a failover. Watching is a read of the
 * record after the latest one seen per lease; acting on a lapse lists first (LeaseWatch.confirm).
 */
import type { ObjectStore } from '../storage/object-store';
import type { Clock } from './clock';
import { LeaseObserver } from './lease';
import { LeaseLog, LeaseWatch, type SequencedRecord } from './lease-store';
import type { LeaseTiming } from './timing';

export const CONTROLLER_LEASE_PREFIX = 'cluster/controller';

export function brokerLeasePrefix(epoch: number): string {
  return `cluster/leases/${String(epoch).padStart(20, '0')}`;
}

const CONTROLLER_KEY = 'controller';
const brokerKey = (epoch: number): string => `broker-${epoch}`;
/** The version of a lease without any record yet. */
const ABSENT = 'absent';

export class LeaseMonitor {
  private readonly observer: LeaseObserver;
  private readonly brokerWatches = new Map<number, LeaseWatch>();
  readonly controllerWatch: LeaseWatch;

  constructor(
    private readonly store: ObjectStore,
    timing: LeaseTiming,
    clock: Clock,
  ) {
    this.observer = new LeaseObserver(timing, clock);
    this.controllerWatch = new LeaseWatch(new LeaseLog(store, CONTROLLER_LEASE_PREFIX));
  }

  /** Polls the controller lease and the leases of `epochs`; forgets leases no longer asked about. */
  async poll(epochs: readonly number[]): Promise<void> {
    for (const epoch of [...this.brokerWatches.keys()]) {
      if (!epochs.includes(epoch)) {
        this.brokerWatches.delete(epoch);
        this.observer.forget(brokerKey(epoch));
      }
    }
    const polls = epochs.map(async (epoch) => {
      const latest = await this.brokerWatch(epoch).poll();
      this.observer.observe(brokerKey(epoch), versionOf(latest));
    });
    polls.push(
      this.controllerWatch.poll().then((latest) => this.observer.observe(CONTROLLER_KEY, versionOf(latest))),
    );
    await Promise.all(polls);
  }

  brokerWatch(epoch: number): LeaseWatch {
    let watch = this.brokerWatches.get(epoch);
    if (watch === undefined) {
      watch = new LeaseWatch(new LeaseLog(this.store, brokerLeasePrefix(epoch)));
      this.brokerWatches.set(epoch, watch);
    }
    return watch;
  }

  latestOfBroker(epoch: number): SequencedRecord | undefined {
    return this.brokerWatches.get(epoch)?.latest;
  }

  /** The broker's lease has not changed for the expiry wait, as last polled. */
  brokerLapsed(epoch: number): boolean {
    return this.observer.isLapsed(brokerKey(epoch), versionOf(this.latestOfBroker(epoch)));
  }

  controllerLapsed(): boolean {
    return this.observer.isLapsed(CONTROLLER_KEY, versionOf(this.controllerWatch.latest));
  }

  /**
   * Lists the broker's lease and records what it finds; true when the lease is STILL lapsed (the
   * listing found nothing newer than what was observed). Call right before fencing.
   */
  async confirmBrokerLapsed(epoch: number): Promise<boolean> {
    const latest = await this.brokerWatch(epoch).confirm();
    this.observer.observe(brokerKey(epoch), versionOf(latest));
    return this.brokerLapsed(epoch);
  }

  async confirmControllerLapsed(): Promise<boolean> {
    const latest = await this.controllerWatch.confirm();
    this.observer.observe(CONTROLLER_KEY, versionOf(latest));
    return this.controllerLapsed();
  }
}

function versionOf(latest: SequencedRecord | undefined): string {
  return latest === undefined ? ABSENT : String(latest.seq);
}
