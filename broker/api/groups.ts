/**
 * What the group APIs (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
 * OffsetCommit, OffsetFetch, ListGroups, DescribeGroups, DeleteGroups) share: reaching the
 * coordinator, and grouping per-partition results by topic in request order.
 */
import type { GroupCoordinator } from '../coordinator/coordinator';
import type { RequestContext } from './api';

/** The coordinator, or undefined when this server runs without one (COORDINATOR_NOT_AVAILABLE). */
export function coordinatorOf(context: RequestContext): GroupCoordinator | undefined {
  return context.services.groups;
}

/** Groups per-partition entries by topic, topics and partitions in the order they come. */
export function byTopic<P extends { readonly topic: string }, R>(
  entries: readonly P[],
  partitionOf: (entry: P) => R,
): { name: string; partitions: R[] }[] {
  const topics = new Map<string, R[]>();
  for (const entry of entries) {
    const partitions = topics.get(entry.topic) ?? [];
    partitions.push(partitionOf(entry));
    topics.set(entry.topic, partitions);
  }
  return [...topics].map(([name, partitions]) => ({ name, partitions }));
}
