import { LeaseHolder, LeaseObserver } from '../../../broker/cluster/lease';
import { type LeaseTiming, expiryWaitMs } from '../../../broker/cluster/timing';
import { FakeClock } from './fake-clock';

const timing: LeaseTiming = { leaseMs: 1_000, renewIntervalMs: 300, pollIntervalMs: 100, maxClockRateError: 0.01 };

describe('LeaseHolder', () => {
  test('is not current before its first renewal succeeded', () => {
    const holder = new LeaseHolder(timing, new FakeClock());
    holder.beginRenewal();
    expect(holder.isCurrent()).toBe(false);
  });

  test('counts the lease from when the renewal was sent, not from when it was answered', () => {
    const clock = new FakeClock();
    const holder = new LeaseHolder(timing, clock);
    const ticket = holder.beginRenewal();
    clock.advance(400); // a slow conditional write
    holder.renewed(ticket);
    expect(holder.remainingMs()).toBe(600);
    clock.advance(599);
    expect(holder.isCurrent()).toBe(true);
    clock.advance(1);
    expect(holder.isCurrent()).toBe(false);
  });

  test('an older renewal answered late never shortens the lease', () => {
    const clock = new FakeClock();
    const holder = new LeaseHolder(timing, clock);
    const first = holder.beginRenewal();
    clock.advance(300);
    const second = holder.beginRenewal();
    holder.renewed(second);
    holder.renewed(first);
    expect(holder.remainingMs()).toBe(1_000);
  });

  test('a wall clock that jumped forward (resume from suspension) ends the lease', () => {
    const clock = new FakeClock();
    const holder = new LeaseHolder(timing, clock);
    holder.renewed(holder.beginRenewal());
    clock.stepWall(5_000);
    expect(holder.isCurrent()).toBe(false);
  });

  test('a wall clock that went backwards gives no evidence and ends the lease', () => {
    const clock = new FakeClock();
    const holder = new LeaseHolder(timing, clock);
    holder.renewed(holder.beginRenewal());
    clock.stepWall(-1);
    expect(holder.isCurrent()).toBe(false);
  });

  test('a revoked lease never comes back', () => {
    const clock = new FakeClock();
    const holder = new LeaseHolder(timing, clock);
    const ticket = holder.beginRenewal();
    holder.revoke();
    holder.renewed(ticket);
    expect(holder.isCurrent()).toBe(false);
    expect(holder.isRevoked).toBe(true);
  });
});

describe('LeaseObserver', () => {
  test('a lease lapses only after the same version was seen for the whole expiry wait', () => {
    const clock = new FakeClock();
    const observer = new LeaseObserver(timing, clock);
    observer.observe('broker-7', 'v1');
    clock.advance(expiryWaitMs(timing) - 1);
    expect(observer.isLapsed('broker-7', 'v1')).toBe(false);
    expect(observer.msUntilLapsed('broker-7')).toBe(1);
    clock.advance(1);
    expect(observer.isLapsed('broker-7', 'v1')).toBe(true);
  });

  test('a renewal restarts the wait', () => {
    const clock = new FakeClock();
    const observer = new LeaseObserver(timing, clock);
    observer.observe('b', 'v1');
    clock.advance(900);
    observer.observe('b', 'v2');
    clock.advance(900);
    expect(observer.isLapsed('b', 'v2')).toBe(false);
    expect(observer.isLapsed('b', 'v1')).toBe(false);
  });

  test('observing the same version again does not restart the wait', () => {
    const clock = new FakeClock();
    const observer = new LeaseObserver(timing, clock);
    observer.observe('b', 'v1');
    clock.advance(800);
    observer.observe('b', 'v1');
    clock.advance(expiryWaitMs(timing) - 800);
    expect(observer.isLapsed('b', 'v1')).toBe(true);
  });

  test('wall clock jumps never make an observer fence early', () => {
    const clock = new FakeClock();
    const observer = new LeaseObserver(timing, clock);
    observer.observe('b', 'v1');
    clock.stepWall(60_000);
    expect(observer.isLapsed('b', 'v1')).toBe(false);
  });

  test('an unknown or forgotten lease is not lapsed', () => {
    const clock = new FakeClock();
    const observer = new LeaseObserver(timing, clock);
    expect(observer.isLapsed('b', 'v1')).toBe(false);
    expect(observer.msUntilLapsed('b')).toBeUndefined();
    observer.observe('b', 'v1');
    observer.forget('b');
    clock.advance(10_000);
    expect(observer.isLapsed('b', 'v1')).toBe(false);
  });

  test('the holder has stopped acknowledging by the time the observer may fence it, at the worst clock rates', () => {
    // Simulate real time in microseconds; the holder's clock runs 1% slow, the observer's 1% fast.
    const e = timing.maxClockRateError;
    const holderClock = new FakeClock();
    const observerClock = new FakeClock();
    const holder = new LeaseHolder(timing, holderClock);
    const observer = new LeaseObserver(timing, observerClock);
    const ticket = holder.beginRenewal();
    holder.renewed(ticket);
    observer.observe('b', 'v1'); // seen at the instant it was sent: the earliest possible
    let lastHolderCurrentRealMs = 0;
    let firstLapsedRealMs: number | undefined;
    for (let realMs = 0; realMs < 3_000 && firstLapsedRealMs === undefined; realMs += 1) {
      holderClock.advance(1 - e);
      observerClock.advance(1 + e);
      if (holder.isCurrent()) lastHolderCurrentRealMs = realMs + 1;
      if (observer.isLapsed('b', 'v1')) firstLapsedRealMs = realMs + 1;
    }
    expect(firstLapsedRealMs).toBeDefined();
    expect(firstLapsedRealMs!).toBeGreaterThanOrEqual(lastHolderCurrentRealMs);
  });
});
