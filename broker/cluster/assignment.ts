/**
 * Partition assignment: which live broker owns each partition. A pure function of the partitions,
 * the brokers that may take partitions, and the current owners, so the controller can recompute it
 * after every change and every broker could check it.
 *
 * Goals, in order:
 * 1. Every partition has exactly one owner among the given brokers.
 * 2. Balance: owner counts differ by at most one.
 * 3. Minimal movement: a partition stays with its current owner unless that owner is gone or holds
 *    more than its share. When a broker leaves, only its partitions move; when one joins, only the
 *    partitions needed to give it its share move, taken from the fullest brokers.
 * 4. Zones: the partitions of each topic are spread over the zones as evenly as the counts allow,
 *    so losing a zone affects every topic a little rather than some topics entirely.
 * 5. Brokers: the partitions of each topic are spread over the brokers, so a topic's traffic uses
 *    them all. Placement alone can miss this when a broker's room is filled by other partitions
 *    (a broker that joins as __consumer_offsets is created takes its whole share from it), so a
 *    last pass swaps, one partition of the topic against one that moves this round anyway. That
 *    moves a kept partition only off a broker holding more than its fair share of the topic.
 * Consumer groups need no separate rule: a group is coordinated by the owner of its
 * __consumer_offsets partition, which is assigned like any other.
 *
 * Brokers are identified by epoch (one incarnation), not node id: a restarted broker is a new
 * incarnation, and partitions never silently pass from one incarnation to the next.
 */

export interface PartitionRef {
  readonly topic: string;
  readonly partition: number;
}

export interface AssignableBroker {
  readonly epoch: number;
  /** The broker's availability zone (null when unknown: all such brokers count as one zone). */
  readonly zone: string | null;
}

/** A stable string key for a partition, usable in maps. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

export interface AssignmentInput {
  readonly partitions: readonly PartitionRef[];
  readonly brokers: readonly AssignableBroker[];
  /** Current owner epoch by partitionKey; owners not among `brokers` count as gone. */
  readonly current: ReadonlyMap<string, number>;
}

/** New owner epoch by partitionKey. Empty when there are no brokers. */
export function assignPartitions(input: AssignmentInput): Map<string, number> {
  const assignment = new Map<string, number>();
  if (input.brokers.length === 0) return assignment;

  const partitions = [...input.partitions].sort(comparePartitions);
  const brokers = [...input.brokers].sort((a, b) => a.epoch - b.epoch);
  const live = new Set(brokers.map((b) => b.epoch));
  const capacity = shares(partitions, brokers, input.current, live);

  const load = new Map<number, number>(brokers.map((b) => [b.epoch, 0]));
  const spread = new TopicSpread(brokers);
  const give = (partition: PartitionRef, epoch: number): void => {
    assignment.set(partitionKey(partition.topic, partition.partition), epoch);
    load.set(epoch, (load.get(epoch) ?? 0) + 1);
    spread.add(partition.topic, epoch);
  };

  // Keep what can be kept; a broker over its share gives up the partitions of the topics it holds
  // most of beyond their fair share, so the moves spread every topic rather than emptying one.
  const release = releases(partitions, brokers, input.current, capacity);
  const homeless: PartitionRef[] = [];
  for (const partition of partitions) {
    const key = partitionKey(partition.topic, partition.partition);
    const owner = input.current.get(key);
    if (owner !== undefined && live.has(owner) && !release.has(key)) {
      give(partition, owner);
    } else {
      homeless.push(partition);
    }
  }

  // Place the rest: emptiest zone for the topic, then emptiest broker for the topic, then most room.
  for (const partition of homeless) {
    let best: AssignableBroker | undefined;
    let bestScore: readonly number[] = [];
    for (const broker of brokers) {
      const room = (capacity.get(broker.epoch) ?? 0) - (load.get(broker.epoch) ?? 0);
      if (room <= 0) continue;
      const score = [
        spread.inZone(partition.topic, broker.zone),
        spread.onBroker(partition.topic, broker.epoch),
        -room,
        broker.epoch,
      ];
      if (best === undefined || lexicographicallyLess(score, bestScore)) {
        best = broker;
        bestScore = score;
      }
    }
    // Capacities add up to the partition count, so some broker always has room.
    give(partition, best!.epoch);
  }

  narrowTopicSpread(partitions, brokers, assignment, spread, input.current);
  return assignment;
}

/**
 * Swaps that narrow each topic's spread over the brokers, until none is left. A swap: a broker
 * holding two or more partitions of a topic beyond another gives one of them (one that moves this
 * round anyway if it has such, else a kept one, but only from above floor(topic partitions /
 * brokers)) and takes back a partition the other broker receives this round, of a topic that the
 * other broker holds more of. So a swap costs at most one hand-off beyond what placement decided.
 * Loads do not change; neither topic's spread over brokers or zones widens, and the first one's
 * narrows, so the swaps end.
 */
function narrowTopicSpread(
  partitions: readonly PartitionRef[],
  brokers: readonly AssignableBroker[],
  assignment: Map<string, number>,
  spread: TopicSpread,
  current: ReadonlyMap<string, number>,
): void {
  const keptBy = (p: PartitionRef, epoch: number): boolean => current.get(partitionKey(p.topic, p.partition)) === epoch;
  // Swaps take back only partitions that move this round: with none, there is nothing to do (the
  // controller recomputes the assignment on every tick, and most ticks change nothing).
  if (partitions.every((p) => keptBy(p, assignment.get(partitionKey(p.topic, p.partition))!))) return;
  const topicSize = new Map<string, number>();
  // The partitions each broker holds of each topic, in partition order.
  const held = new Map<number, Map<string, PartitionRef[]>>(brokers.map((b) => [b.epoch, new Map()]));
  for (const p of partitions) {
    topicSize.set(p.topic, (topicSize.get(p.topic) ?? 0) + 1);
    const byTopic = held.get(assignment.get(partitionKey(p.topic, p.partition))!)!;
    const list = byTopic.get(p.topic);
    if (list === undefined) byTopic.set(p.topic, [p]);
    else list.push(p);
  }
  // Moving one partition of `topic` between the two brokers leaves the topic no wider spread.
  const narrows = (topic: string, from: AssignableBroker, to: AssignableBroker, margin: number): boolean =>
    spread.onBroker(topic, from.epoch) - spread.onBroker(topic, to.epoch) >= margin &&
    (from.zone === to.zone || spread.inZone(topic, from.zone) - spread.inZone(topic, to.zone) >= 1);
  const move = (p: PartitionRef, from: number, to: number): void => {
    const list = held.get(from)!.get(p.topic)!;
    list.splice(list.indexOf(p), 1);
    const target = held.get(to)!;
    target.set(p.topic, [...(target.get(p.topic) ?? []), p].sort(comparePartitions));
    assignment.set(partitionKey(p.topic, p.partition), to);
    spread.move(p.topic, from, to);
  };
  const swapOnce = (topic: string): boolean => {
    const counts = brokers.map((b) => spread.onBroker(topic, b.epoch));
    if (Math.max(...counts) - Math.min(...counts) < 2) return false; // already spread: the common case
    const fairShare = Math.floor(topicSize.get(topic)! / brokers.length);
    for (const fuller of brokers) {
      const own = held.get(fuller.epoch)!.get(topic) ?? [];
      // A kept partition leaves only a broker above its fair share of the topic.
      const give = own.find((p) => !keptBy(p, fuller.epoch)) ?? (own.length > fairShare ? own[own.length - 1] : undefined);
      if (give === undefined) continue;
      for (const emptier of brokers) {
        if (!narrows(topic, fuller, emptier, 2)) continue;
        let take: PartitionRef | undefined;
        for (const [other, list] of held.get(emptier.epoch)!) {
          if (other === topic || (take !== undefined && other > take.topic) || !narrows(other, emptier, fuller, 1)) continue;
          take = list.find((p) => !keptBy(p, emptier.epoch)) ?? take;
        }
        if (take === undefined) continue;
        move(give, fuller.epoch, emptier.epoch);
        move(take, emptier.epoch, fuller.epoch);
        return true;
      }
    }
    return false;
  };
  const topics = [...topicSize.keys()];
  for (let swapped = true; swapped; ) {
    swapped = false;
    for (const topic of topics) {
      while (swapOnce(topic)) swapped = true;
    }
  }
}

/**
 * Each broker's share: floor(P / B), plus one for P mod B brokers: those that hold the most now (so
 * the fewest partitions move), then those in zones with the fewest such extras (so a small topic
 * can still reach every zone), then by epoch.
 */
function shares(
  partitions: readonly PartitionRef[],
  brokers: readonly AssignableBroker[],
  current: ReadonlyMap<string, number>,
  live: ReadonlySet<number>,
): Map<number, number> {
  const holding = new Map<number, number>(brokers.map((b) => [b.epoch, 0]));
  for (const partition of partitions) {
    const owner = current.get(partitionKey(partition.topic, partition.partition));
    if (owner !== undefined && live.has(owner)) holding.set(owner, (holding.get(owner) ?? 0) + 1);
  }
  const base = Math.floor(partitions.length / brokers.length);
  const capacity = new Map<number, number>(brokers.map((b) => [b.epoch, base]));
  const extrasInZone = new Map<string, number>();
  const waiting = [...brokers];
  for (let extras = partitions.length % brokers.length; extras > 0; extras--) {
    let bestIndex = 0;
    let bestScore: readonly number[] = [];
    waiting.forEach((broker, index) => {
      const score = [-(holding.get(broker.epoch) ?? 0), extrasInZone.get(broker.zone ?? '') ?? 0, broker.epoch];
      if (index === 0 || lexicographicallyLess(score, bestScore)) {
        bestIndex = index;
        bestScore = score;
      }
    });
    const [chosen] = waiting.splice(bestIndex, 1);
    capacity.set(chosen.epoch, base + 1);
    extrasInZone.set(chosen.zone ?? '', (extrasInZone.get(chosen.zone ?? '') ?? 0) + 1);
  }
  return capacity;
}

/**
 * The partitions each broker above its share gives up (by partitionKey): one at a time from the
 * topic it holds the most of beyond ceil(topic partitions / brokers), its highest partition first.
 */
function releases(
  partitions: readonly PartitionRef[],
  brokers: readonly AssignableBroker[],
  current: ReadonlyMap<string, number>,
  capacity: ReadonlyMap<number, number>,
): Set<string> {
  const topicSize = new Map<string, number>();
  for (const p of partitions) topicSize.set(p.topic, (topicSize.get(p.topic) ?? 0) + 1);
  const fairShare = (topic: string): number => Math.ceil((topicSize.get(topic) ?? 0) / brokers.length);
  const released = new Set<string>();
  for (const broker of brokers) {
    const held = partitions.filter((p) => current.get(partitionKey(p.topic, p.partition)) === broker.epoch);
    const byTopic = new Map<string, PartitionRef[]>();
    for (const p of held) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
    for (let excess = held.length - (capacity.get(broker.epoch) ?? 0); excess > 0; excess--) {
      let worst: string | undefined;
      for (const [topic, list] of byTopic) {
        if (list.length === 0) continue;
        const over = list.length - fairShare(topic);
        const worstOver = worst === undefined ? -Infinity : byTopic.get(worst)!.length - fairShare(worst);
        if (worst === undefined || over > worstOver || (over === worstOver && topic < worst)) worst = topic;
      }
      const given = byTopic.get(worst!)!.pop()!;
      released.add(partitionKey(given.topic, given.partition));
    }
  }
  return released;
}

/** Counts of each topic's partitions per zone and per broker, for spreading. */
class TopicSpread {
  private readonly zoneOf = new Map<number, string>();
  private readonly counts = new Map<string, number>();

  constructor(brokers: readonly AssignableBroker[]) {
    for (const broker of brokers) this.zoneOf.set(broker.epoch, broker.zone ?? '');
  }

  add(topic: string, epoch: number): void {
    this.bump(`z:${this.zoneOf.get(epoch)}:${topic}`, 1);
    this.bump(`b:${epoch}:${topic}`, 1);
  }

  move(topic: string, from: number, to: number): void {
    this.bump(`z:${this.zoneOf.get(from)}:${topic}`, -1);
    this.bump(`b:${from}:${topic}`, -1);
    this.add(topic, to);
  }

  inZone(topic: string, zone: string | null): number {
    return this.counts.get(`z:${zone ?? ''}:${topic}`) ?? 0;
  }

  onBroker(topic: string, epoch: number): number {
    return this.counts.get(`b:${epoch}:${topic}`) ?? 0;
  }

  private bump(key: string, by: number): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + by);
  }
}

function comparePartitions(a: PartitionRef, b: PartitionRef): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  return a.partition - b.partition;
}

function lexicographicallyLess(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i] < b[i];
  }
  return false;
}
