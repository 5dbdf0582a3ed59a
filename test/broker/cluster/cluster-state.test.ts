import { ClusterState } from '../../../broker/cluster/cluster-state';
import { applyAll, register } from './fixtures/cluster-entries';

/** Three brokers registered at sequences 1, 2, 3 (their epochs), t/0 owned by 1 and t/1 by 2. */
function threeBrokers(): ClusterState {
  const state = new ClusterState();
  applyAll(state, 1, [
    register(1),
    register(2),
    register(3),
    {
      kind: 'partitions-assigned',
      by: 1,
      changes: [
        { topic: 't', partition: 0, owner: 1, expectedVersion: 0 },
        { topic: 't', partition: 1, owner: 2, expectedVersion: 0 },
      ],
    },
  ]);
  return state;
}

describe('ClusterState', () => {
  test('a registration sequence is the epoch; registered brokers are active', () => {
    const state = threeBrokers();
    expect(state.activeBrokers().map((b) => [b.epoch, b.nodeId, b.zone])).toEqual([
      [1, 1, 'z1'],
      [2, 2, 'z2'],
      [3, 3, 'z3'],
    ]);
    expect(state.partition('t', 0)).toEqual({ owner: 1, version: 4, leaderEpoch: 1, replayFrom: [], moveTo: undefined });
    expect(state.canServe(1, 't', 0)).toBe(true);
    expect(state.canServe(2, 't', 0)).toBe(false);
  });

  test('without registrations (a lone broker) every commit counts; with them only the owner\'s', () => {
    const lone = new ClusterState();
    expect(lone.acceptsCommit(undefined, 't', 0)).toBe(true);
    const state = threeBrokers();
    expect(state.acceptsCommit(1, 't', 0)).toBe(true);
    expect(state.acceptsCommit(2, 't', 0)).toBe(false);
    expect(state.acceptsCommit(undefined, 't', 0)).toBe(false);
  });

  test('fencing an owner leaves its partitions unowned, to be replayed from its WAL, and rejects its later commits', () => {
    const state = threeBrokers();
    const [fenced] = applyAll(state, 5, [{ kind: 'broker-fenced', epoch: 1, by: 2 }]);
    expect(fenced).toEqual({ applied: true, changed: [{ topic: 't', partition: 0 }] });
    expect(state.broker(1)?.status).toBe('fenced');
    expect(state.partition('t', 0)).toEqual({ owner: undefined, version: 5, leaderEpoch: 1, replayFrom: [1], moveTo: undefined });
    expect(state.acceptsCommit(1, 't', 0)).toBe(false);
    // The new owner may commit (its replay upload) but serves only once recovered.
    applyAll(state, 6, [{ kind: 'partitions-assigned', by: 2, changes: [{ topic: 't', partition: 0, owner: 3, expectedVersion: 5 }] }]);
    expect(state.acceptsCommit(3, 't', 0)).toBe(true);
    expect(state.canServe(3, 't', 0)).toBe(false);
    const [recovered] = applyAll(state, 7, [{ kind: 'partition-recovered', epoch: 3, topic: 't', partition: 0 }]);
    expect(recovered.applied).toBe(true);
    expect(state.canServe(3, 't', 0)).toBe(true);
    expect(state.partition('t', 0).leaderEpoch).toBe(2);
  });

  test('an assignment computed from an outdated version is ignored', () => {
    const state = threeBrokers();
    applyAll(state, 5, [{ kind: 'broker-fenced', epoch: 1, by: 2 }]);
    const outcomes = applyAll(state, 6, [
      { kind: 'partitions-assigned', by: 2, changes: [{ topic: 't', partition: 0, owner: 3, expectedVersion: 5 }] },
      // A second controller (or a zombie one) computed its change from the same old state.
      { kind: 'partitions-assigned', by: 3, changes: [{ topic: 't', partition: 0, owner: 2, expectedVersion: 5 }] },
    ]);
    expect(outcomes.map((o) => o.applied)).toEqual([true, false]);
    expect(state.partition('t', 0).owner).toBe(3);
  });

  test('assignments to fenced, departed or unknown epochs are ignored', () => {
    const state = threeBrokers();
    applyAll(state, 5, [{ kind: 'broker-fenced', epoch: 3, by: 1 }, { kind: 'broker-left', epoch: 2 }]);
    const outcomes = applyAll(state, 7, [
      { kind: 'partitions-assigned', by: 1, changes: [{ topic: 'u', partition: 0, owner: 3, expectedVersion: 0 }] },
      { kind: 'partitions-assigned', by: 1, changes: [{ topic: 'u', partition: 0, owner: 2, expectedVersion: 0 }] },
      { kind: 'partitions-assigned', by: 1, changes: [{ topic: 'u', partition: 0, owner: 99, expectedVersion: 0 }] },
    ]);
    expect(outcomes.map((o) => o.applied)).toEqual([false, false, false]);
  });

  test('a broker that leaves hands its partitions back with nothing to replay', () => {
    const state = threeBrokers();
    applyAll(state, 5, [{ kind: 'broker-left', epoch: 2 }]);
    expect(state.partition('t', 1)).toMatchObject({ owner: undefined, replayFrom: [] });
    expect(state.broker(2)?.status).toBe('left');
    // Leaving or fencing twice changes nothing.
    expect(state.apply(6, { kind: 'broker-fenced', epoch: 2, by: 1 }).applied).toBe(false);
  });

  test('a move of an owned partition is a request until the owner releases it', () => {
    const state = threeBrokers();
    applyAll(state, 5, [{ kind: 'partitions-assigned', by: 1, changes: [{ topic: 't', partition: 0, owner: 3, expectedVersion: 4 }] }]);
    expect(state.partition('t', 0)).toMatchObject({ owner: 1, moveTo: 3 });
    // The owner stops serving at once, but still owns it (its final upload commits count).
    expect(state.canServe(1, 't', 0)).toBe(false);
    expect(state.acceptsCommit(1, 't', 0)).toBe(true);
    // Only the owner can release.
    expect(state.apply(6, { kind: 'partition-released', epoch: 2, topic: 't', partition: 0 }).applied).toBe(false);
    expect(state.apply(7, { kind: 'partition-released', epoch: 1, topic: 't', partition: 0 }).applied).toBe(true);
    expect(state.partition('t', 0)).toEqual({ owner: 3, version: 7, leaderEpoch: 2, replayFrom: [], moveTo: undefined });
    expect(state.canServe(3, 't', 0)).toBe(true);
  });

  test('if the move target dies before the release, the partition becomes unowned', () => {
    const state = threeBrokers();
    applyAll(state, 5, [
      { kind: 'partitions-assigned', by: 1, changes: [{ topic: 't', partition: 0, owner: 3, expectedVersion: 4 }] },
      { kind: 'broker-fenced', epoch: 3, by: 1 },
    ]);
    expect(state.partition('t', 0)).toMatchObject({ owner: 1, moveTo: undefined });
    expect(state.canServe(1, 't', 0)).toBe(true);
  });

  test('a broker fenced in the middle of a recovery passes on both WALs to replay', () => {
    const state = threeBrokers();
    applyAll(state, 5, [
      { kind: 'broker-fenced', epoch: 1, by: 2 },
      { kind: 'partitions-assigned', by: 2, changes: [{ topic: 't', partition: 0, owner: 3, expectedVersion: 5 }] },
      { kind: 'broker-fenced', epoch: 3, by: 2 },
    ]);
    expect(state.partition('t', 0).replayFrom).toEqual([1, 3]);
  });

  test('a restarted node may reuse its WAL directory only once its older incarnation is fenced and replayed', () => {
    const state = threeBrokers();
    applyAll(state, 5, [register(1)]); // epoch 5: node 1 again, while epoch 1 may still be alive
    expect(state.walReusable(5)).toBe(false);
    applyAll(state, 6, [{ kind: 'broker-fenced', epoch: 1, by: 2 }]);
    expect(state.walReusable(5)).toBe(false); // t/0 still waits for a replay of epoch 1's WAL
    applyAll(state, 7, [
      { kind: 'partitions-assigned', by: 2, changes: [{ topic: 't', partition: 0, owner: 5, expectedVersion: 6 }] },
      { kind: 'partition-recovered', epoch: 5, topic: 't', partition: 0 },
    ]);
    expect(state.walReusable(5)).toBe(true);
    expect(state.walReusable(2)).toBe(true);
    expect(state.walReusable(42)).toBe(false);
  });

  test('an epoch\'s WAL is finished once the epoch is fenced and replayed, or left; never while active or unknown', () => {
    const state = threeBrokers();
    expect(state.walFinished(1)).toBe(false); // active
    applyAll(state, 5, [{ kind: 'broker-fenced', epoch: 1, by: 2 }]);
    expect(state.walFinished(1)).toBe(false); // t/0 waits for a replay of it
    applyAll(state, 6, [
      { kind: 'partitions-assigned', by: 2, changes: [{ topic: 't', partition: 0, owner: 2, expectedVersion: 5 }] },
      { kind: 'partition-recovered', epoch: 2, topic: 't', partition: 0 },
      { kind: 'broker-left', epoch: 3 },
    ]);
    expect(state.walFinished(1)).toBe(true);
    expect(state.walFinished(3)).toBe(true);
    expect(state.walFinished(2)).toBe(false);
    expect(state.walFinished(42)).toBe(false);
  });

  test('recovered is only accepted from the owner of a partition that waits for a replay', () => {
    const state = threeBrokers();
    expect(state.apply(5, { kind: 'partition-recovered', epoch: 1, topic: 't', partition: 0 }).applied).toBe(false);
    applyAll(state, 6, [{ kind: 'broker-fenced', epoch: 1, by: 2 }]);
    expect(state.apply(7, { kind: 'partition-recovered', epoch: 2, topic: 't', partition: 0 }).applied).toBe(false);
  });
});
