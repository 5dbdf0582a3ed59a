/**
 * A local-directory object store whose data-object writes (`data/...`) hang while it is stalled;
 * the metadata log and the leases keep working. For tests of uploads that cannot finish.
 */
import { FileObjectStore } from '../../broker/storage/object-stores';
import type { ObjectStore } from '../../broker/storage/object-store';

export interface StallableStore {
  readonly store: ObjectStore;
  stall(): void;
  resume(): void;
  /** Data-object writes waiting for resume(). */
  stalledPuts(): number;
}

export function stallableStore(root: string): StallableStore {
  const inner = new FileObjectStore(root);
  let release: (() => void) | undefined;
  let gate: Promise<void> = Promise.resolve();
  let waiting = 0;
  const store: ObjectStore = {
    location: inner.location,
    async put(key, body, condition, crc32c) {
      if (key.startsWith('data/')) {
        waiting++;
        await gate;
        waiting--;
      }
      return inner.put(key, body, condition, crc32c);
    },
    get: (key, range) => inner.get(key, range),
    head: (key) => inner.head(key),
    list: (prefix, startAfter) => inner.list(prefix, startAfter),
    delete: (key) => inner.delete(key),
  };
  return {
    store,
    stall: () => {
      gate = new Promise((resolve) => (release = resolve));
    },
    resume: () => release?.(),
    stalledPuts: () => waiting,
  };
}
