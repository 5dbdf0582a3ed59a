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
      // Minimal movement: a partition whose owner is live moves only off a broker above its share.
      const share = Math.ceil(partitions.length / brokers.length);
      const keptCounts = new Map<number, number>();
      for (const [key, owner] of next) {
        const previous = current.get(key);
        if (previous === owner) keptCounts.set(owner, (keptCounts.get(owner) ?? 0) + 1);
      }
      for (const broker of brokers) {
        const heldBefore = [...current.values()].filter((o) => o === broker.epoch).length;
        expect(keptCounts.get(broker.epoch) ?? 0).toBeGreaterThanOrEqual(Math.min(heldBefore, share - 1));
      }
      current = next;
    }
  });
});
