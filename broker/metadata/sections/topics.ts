/**
 * Topics: created and deleted by entries, named by name and by a random topic id (WAL records and
 * committed data refer to the id, so a topic deleted and created again is a different topic).
 *
 * Entries:
 * - `topic-created` { name, topicId, partitionCount, configs, internal }: ignored if the name or id exists;
 * - `topic-deleted` { name, topicId }: ignored unless that topic exists;
 * - `topic-configs-altered` { name, topicId, configs }: the topic's configs replaced (AlterConfigs),
 *   ignored unless that topic exists.
 */
import type { MetadataEntry } from '../entry';
import type { MetadataSection } from '../state';

export interface TopicRecord {
  readonly name: string;
  /** 32 hex characters. */
  readonly topicId: string;
  readonly partitionCount: number;
  readonly configs: Readonly<Record<string, string>>;
  readonly internal: boolean;
}

export interface TopicsSlice {
  readonly byName: Map<string, TopicRecord>;
  readonly byId: Map<string, TopicRecord>;
}

export interface TopicCreatedEntry extends MetadataEntry, TopicRecord {
  readonly kind: 'topic-created';
}
export interface TopicDeletedEntry extends MetadataEntry {
  readonly kind: 'topic-deleted';
  readonly name: string;
  readonly topicId: string;
}
export interface TopicConfigsAlteredEntry extends MetadataEntry {
  readonly kind: 'topic-configs-altered';
  readonly name: string;
  readonly topicId: string;
  readonly configs: Readonly<Record<string, string>>;
}

export const topicsSection: MetadataSection<TopicsSlice> = {
  name: 'topics',
  kinds: ['topic-created', 'topic-deleted', 'topic-configs-altered'],
  create: () => ({ byName: new Map(), byId: new Map() }),
  apply(slice, entry, context) {
    if (entry.kind === 'topic-created') {
      const created = entry as TopicCreatedEntry;
      if (slice.byName.has(created.name) || slice.byId.has(created.topicId)) {
        context.rejectEntry(`topic ${created.name} already exists`);
        return;
      }
      const topic: TopicRecord = {
        name: created.name,
        topicId: created.topicId,
        partitionCount: created.partitionCount,
        configs: { ...created.configs },
        internal: created.internal,
      };
      slice.byName.set(topic.name, topic);
      slice.byId.set(topic.topicId, topic);
    } else if (entry.kind === 'topic-configs-altered') {
      const altered = entry as TopicConfigsAlteredEntry;
      const topic = slice.byId.get(altered.topicId);
      if (topic?.name !== altered.name) {
        context.rejectEntry(`no topic ${altered.name} with id ${altered.topicId}`);
        return;
      }
      const updated: TopicRecord = { ...topic, configs: { ...altered.configs } };
      slice.byName.set(updated.name, updated);
      slice.byId.set(updated.topicId, updated);
    } else {
      const deleted = entry as TopicDeletedEntry;
      const topic = slice.byId.get(deleted.topicId);
      if (topic?.name !== deleted.name) {
        context.rejectEntry(`no topic ${deleted.name} with id ${deleted.topicId}`);
        return;
      }
      slice.byName.delete(topic.name);
      slice.byId.delete(topic.topicId);
    }
  },
  save: (slice) => [...slice.byName.values()],
  load(saved) {
    const slice: TopicsSlice = { byName: new Map(), byId: new Map() };
    for (const topic of saved as TopicRecord[]) {
      slice.byName.set(topic.name, topic);
      slice.byId.set(topic.topicId, topic);
    }
    return slice;
  },
};
