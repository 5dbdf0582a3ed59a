import {
  type AssignableBroker,
  type PartitionRef,
  assignPartitions,
  partitionKey,
} from '../../../broker/cluster/assignment';

function topic(name: string, count: number): PartitionRef[] {
  return Array.from({ length: count }, (_, partition) => ({ topic: name, partition }));
}

function countsByOwner(assignment: ReadonlyMap<string, number>): Map<number, number> {
  const counts = new Map<number, number>();
  for (const owner of assignment.values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  return counts;
}

function moved(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): string[] {
  return [...after].filter(([key, owner]) => before.get(key) !== owner).map(([key]) => key);
}

const threeZones: AssignableBroker[] = [
  { epoch: 4, zone: 'eu-west-1a' },
  { epoch: 9, zone: 'eu-west-1b' },
  { epoch: 12, zone: 'eu-west-1c' },
];

/** A small deterministic PRNG so the property tests are reproducible. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Minimal movement: a live broker gives up partitions only beyond its share of the whole (balance)
 * or beyond floor(topic partitions / brokers) of a topic (that topic's spread).
 */
function expectMinimalMovement(
  partitions: readonly PartitionRef[],
  brokers: readonly AssignableBroker[],
  current: ReadonlyMap<string, number>,
  next: ReadonlyMap<string, number>,
): void {
  const share = Math.ceil(partitions.length / brokers.length);
  const topicSizes = new Map<string, number>();
  for (const p of partitions) topicSizes.set(p.topic, (topicSizes.get(p.topic) ?? 0) + 1);
  for (const broker of brokers) {
    const heldBefore = [...current].filter(([, owner]) => owner === broker.epoch).map(([key]) => key);
    const givenUp = heldBefore.filter((key) => next.get(key) !== broker.epoch).length;
    let beyondTopicShares = 0;
    for (const [name, size] of topicSizes) {
      const held = heldBefore.filter((key) => key.startsWith(`${name}/`)).length;
      beyondTopicShares += Math.max(0, held - Math.floor(size / brokers.length));
    }
    expect(givenUp).toBeLessThanOrEqual(Math.max(0, heldBefore.length - share + 1) + beyondTopicShares);
  }
}

/** Random small inputs: 2 to 5 brokers in up to 3 zones, 1 to 3 topics, owners live, gone (epoch 9) or none. */
function randomInput(random: () => number): { partitions: PartitionRef[]; brokers: AssignableBroker[]; current: Map<string, number> } {
  const brokers = Array.from({ length: 2 + Math.floor(random() * 4) }, (_, i) => ({ epoch: i + 1, zone: `z${Math.floor(random() * 3)}` }));
  const partitions = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, t) => topic(`t${t}`, 1 + Math.floor(random() * 6))).flat();
  const current = new Map<string, number>();
  for (const p of partitions) {
    if (random() < 0.7) current.set(partitionKey(p.topic, p.partition), random() < 0.8 ? 1 + Math.floor(random() * brokers.length) : 9);
  }
  return { partitions, brokers, current };
}

describe('assignPartitions', () => {
  test('no brokers: nothing is assigned', () => {
    expect(assignPartitions({ partitions: topic('t', 3), brokers: [], current: new Map() }).size).toBe(0);
  });

  test('a fresh assignment gives every partition one owner, balanced, each topic spread over the zones', () => {
    const partitions = [...topic('orders', 6), ...topic('__consumer_offsets', 50), ...topic('odd', 1)];
    const assignment = assignPartitions({ partitions, brokers: threeZones, current: new Map() });
    expect(assignment.size).toBe(57);
    expect([...countsByOwner(assignment).values()].sort()).toEqual([19, 19, 19]);
    const ordersOwners = topic('orders', 6).map((p) => assignment.get(partitionKey(p.topic, p.partition)));
    expect(countsByOwner(new Map(ordersOwners.map((o, i) => [String(i), o!])))).toEqual(
      new Map([[4, 2], [9, 2], [12, 2]]),
    );
  });

  test('spreads a topic over zones, not just over brokers, when zones hold several brokers', () => {
    const brokers: AssignableBroker[] = [
      { epoch: 1, zone: 'a' },
      { epoch: 2, zone: 'a' },
      { epoch: 3, zone: 'b' },
      { epoch: 4, zone: 'b' },
      { epoch: 5, zone: 'c' },
      { epoch: 6, zone: 'c' },
    ];
    const assignment = assignPartitions({ partitions: topic('t', 3), brokers, current: new Map() });
    const zones = [...assignment.values()].map((epoch) => brokers.find((b) => b.epoch === epoch)!.zone);
    expect(new Set(zones)).toEqual(new Set(['a', 'b', 'c']));
  });

  test('is deterministic and independent of the order brokers and partitions are listed in', () => {
    const partitions = [...topic('a', 7), ...topic('b', 5)];
    const one = assignPartitions({ partitions, brokers: threeZones, current: new Map() });
    const two = assignPartitions({
      partitions: [...partitions].reverse(),
      brokers: [...threeZones].reverse(),
      current: new Map(),
    });
    expect([...two].sort()).toEqual([...one].sort());
  });

  test('when a broker leaves, only its partitions move, and they spread over the survivors', () => {
    const partitions = [...topic('t', 12), ...topic('__consumer_offsets', 9)];
    const before = assignPartitions({ partitions, brokers: threeZones, current: new Map() });
    const survivors = threeZones.filter((b) => b.epoch !== 9);
    const after = assignPartitions({ partitions, brokers: survivors, current: before });
    const movedKeys = moved(before, after);
    expect(movedKeys.sort()).toEqual([...before].filter(([, o]) => o === 9).map(([k]) => k).sort());
    const counts = countsByOwner(after);
    expect(Math.abs(counts.get(4)! - counts.get(12)!)).toBeLessThanOrEqual(1);
  });

  test('when a broker joins, only enough partitions move to give it its share', () => {
    const partitions = topic('t', 12);
    const twoBrokers = threeZones.slice(0, 2);
    const before = assignPartitions({ partitions, brokers: twoBrokers, current: new Map() });
    const after = assignPartitions({ partitions, brokers: threeZones, current: before });
    const movedKeys = moved(before, after);
    expect(movedKeys).toHaveLength(4);
    for (const key of movedKeys) expect(after.get(key)).toBe(12);
  });

  test('a joining broker gets a share of every topic, not one whole topic', () => {
    const partitions = [...topic('__consumer_offsets', 50), ...topic('drain', 6), ...topic('rolling', 6)];
    const before = assignPartitions({ partitions, brokers: threeZones.slice(0, 2), current: new Map() });
    const after = assignPartitions({ partitions, brokers: threeZones, current: before });
    const onNewcomer = (name: string) => [...after].filter(([key, owner]) => key.startsWith(`${name}/`) && owner === 12).length;
    expect([onNewcomer('rolling'), onNewcomer('drain')]).toEqual([2, 2]);
    expect(onNewcomer('__consumer_offsets')).toBeGreaterThanOrEqual(16);
    expect(moved(before, after)).toHaveLength(20);
  });

  test('a broker that joins as __consumer_offsets is created still gets a share of an existing topic', () => {
    // The broker's whole room is taken by the new partitions: placement alone leaves the topic on
    // two brokers (how cluster-failover once found its topic on brokers 1 and 3 only).
    const failover = topic('failover', 6);
    const before = new Map(failover.map((p) => [partitionKey(p.topic, p.partition), p.partition < 3 ? 4 : 12]));
    const partitions = [...topic('__consumer_offsets', 50), ...failover];
    const after = assignPartitions({ partitions, brokers: threeZones, current: before });
    const failoverOwners = failover.map((p) => after.get(partitionKey(p.topic, p.partition))!);
    expect(countsByOwner(new Map(failoverOwners.map((o, i) => [String(i), o])))).toEqual(new Map([[4, 2], [9, 2], [12, 2]]));
    // One of the topic's partitions moves from each of the two brokers, nothing more of it.
    expect(moved(before, after).filter((key) => key.startsWith('failover/'))).toHaveLength(2);
    expect([...countsByOwner(after).values()].sort()).toEqual([18, 19, 19]);
    // And the result is stable: computed again, nothing moves.
    expect(moved(after, assignPartitions({ partitions, brokers: threeZones, current: after }))).toEqual([]);
  });

  test('swapping for a topic\'s spread over brokers never unbalances a topic over the zones', () => {
    // Zone a has three brokers, zone b two; broker 6 is gone and two partitions are new. Each
    // topic ends up spread over the zones as evenly as its count allows.
    const brokers: AssignableBroker[] = [
      { epoch: 1, zone: 'a' },
      { epoch: 2, zone: 'b' },
      { epoch: 3, zone: 'a' },
      { epoch: 4, zone: 'b' },
      { epoch: 5, zone: 'a' },
    ];
    const current = new Map<string, number>([
      ['t0/0', 5], ['t0/2', 2], ['t0/3', 3], ['t0/4', 5], ['t1/0', 1], ['t1/2', 4], ['t0/1', 6],
    ]);
    const after = assignPartitions({ partitions: [...topic('t0', 6), ...topic('t1', 3)], brokers, current });
    const zoneCounts = (name: string) => {
      const counts = new Map<string, number>([['a', 0], ['b', 0]]);
      for (const [key, owner] of after) {
        if (!key.startsWith(`${name}/`)) continue;
        const zone = brokers.find((b) => b.epoch === owner)!.zone!;
        counts.set(zone, counts.get(zone)! + 1);
      }
      return counts;
    };
    expect(zoneCounts('t0')).toEqual(new Map([['a', 3], ['b', 3]]));
    expect(Math.abs(zoneCounts('t1').get('a')! - zoneCounts('t1').get('b')!)).toBe(1);
  });

  test('a swap takes a kept partition only from a broker above its fair share of the topic', () => {
    // Broker 4 is gone; three partitions are new. t2 sits 4/2/0 on brokers 3/2/1: a swap may move
    // one of broker 3's four, but not one of broker 2's two (floor(6 / 3) = 2, its fair share).
    const brokers: AssignableBroker[] = [
      { epoch: 1, zone: 'b' },
      { epoch: 2, zone: 'b' },
      { epoch: 3, zone: 'a' },
    ];
    const partitions = [...topic('t0', 4), ...topic('t1', 3), ...topic('t2', 6)];
    const current = new Map<string, number>([
      ['t0/1', 1], ['t0/2', 1], ['t0/3', 2], ['t1/1', 4], ['t1/2', 4],
      ['t2/0', 2], ['t2/1', 3], ['t2/2', 3], ['t2/3', 3], ['t2/4', 3], ['t2/5', 2],
    ]);
    const after = assignPartitions({ partitions, brokers, current });
    expect(moved(current, after).filter((key) => current.get(key) === 2)).toEqual([]);
    expectMinimalMovement(partitions, brokers, current, after);
  });

  test('a restarted broker (new epoch, same zone) gets a share back', () => {
    const partitions = topic('t', 9);
    const before = assignPartitions({ partitions, brokers: threeZones, current: new Map() });
    const withoutFirst = assignPartitions({ partitions, brokers: threeZones.slice(1), current: before });
    const restarted = [...threeZones.slice(1), { epoch: 20, zone: 'eu-west-1a' }];
    const after = assignPartitions({ partitions, brokers: restarted, current: withoutFirst });
    expect(countsByOwner(after)).toEqual(new Map([[9, 3], [12, 3], [20, 3]]));
    expect(moved(withoutFirst, after)).toHaveLength(3);
  });

  test('property: balanced, complete, and stable under random membership changes', () => {
    const random = prng(42);
    const zones = ['a', 'b', 'c'];
    let nextEpoch = 1;
    const brokers: AssignableBroker[] = [];
    for (let i = 0; i < 3; i++) brokers.push({ epoch: nextEpoch++, zone: zones[i % 3] });
    let partitions = [...topic('x', 10), ...topic('y', 4)];
    let current = new Map<string, number>();
    for (let round = 0; round < 200; round++) {
      const action = random();
      if (action < 0.3 && brokers.length > 1) {
        brokers.splice(Math.floor(random() * brokers.length), 1);
      } else if (action < 0.6 && brokers.length < 7) {
        brokers.push({ epoch: nextEpoch++, zone: zones[Math.floor(random() * 3)] });
      } else if (action < 0.7) {
        partitions = [...partitions, ...topic(`t${round}`, 1 + Math.floor(random() * 4))];
      }
      const live = new Set(brokers.map((b) => b.epoch));
      const next = assignPartitions({ partitions, brokers, current });
      // Complete, only live owners.
      expect(next.size).toBe(partitions.length);
      for (const owner of next.values()) expect(live.has(owner)).toBe(true);
      // Balanced.
      const counts = brokers.map((b) => countsByOwner(next).get(b.epoch) ?? 0);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      expectMinimalMovement(partitions, brokers, current, next);
      // Stable: computed again with nothing changed, nothing moves.
      expect(moved(next, assignPartitions({ partitions, brokers, current: next }))).toEqual([]);
      current = next;
    }
  });
  test('property: from arbitrary starting points, balanced and complete with minimal movement', () => {
    const random = prng(7);
    for (let round = 0; round < 3000; round++) {
      const { partitions, brokers, current } = randomInput(random);
      const next = assignPartitions({ partitions, brokers, current });
      expect(next.size).toBe(partitions.length);
      const counts = brokers.map((b) => countsByOwner(next).get(b.epoch) ?? 0);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      expectMinimalMovement(partitions, brokers, current, next);
    }
  });

  test('property: a complete, balanced assignment over live brokers is kept as it is, however its topics are spread', () => {
    // No hand-off without a change of brokers or partitions: spreading a topic only uses partitions
    // that move anyway.
    const random = prng(11);
    for (let round = 0; round < 1000; round++) {
      const { partitions, brokers } = randomInput(random);
      // Deal the partitions round-robin over brokers in a random order: balanced, randomly spread.
      const order = [...partitions].sort(() => random() - 0.5);
      const current = new Map(order.map((p, i) => [partitionKey(p.topic, p.partition), brokers[i % brokers.length].epoch]));
      expect(moved(current, assignPartitions({ partitions, brokers, current }))).toEqual([]);
    }
  });
});
