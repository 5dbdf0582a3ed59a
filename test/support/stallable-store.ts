/**
 * A local-directory object store whose writes of some keys hang while it is stalled: by default
 * the data objects (`data/...`), while the metadata log and the leases keep working. For tests of
 * uploads (or commits) that cannot finish.
 */
import { FileObjectStore } from '../../broker/storage/object-stores';
import type { ObjectStore } from '../../broker/storage/object-store';
import { storeWith } from './store-with';

export interface StallableStore {
  readonly store: ObjectStore;
  stall(): void;
  resume(): void;
  /** Writes waiting for resume(). */
  stalledPuts(): number;
}

export function stallableStore(root: string, stalls: (key: string) => boolean = (key) => key.startsWith('data/')): StallableStore {
  const inner = new FileObjectStore(root);
  let release: (() => void) | undefined;
  let gate: Promise<void> = Promise.resolve();
  let waiting = 0;
  const store = storeWith(inner, {
    put: async (key, body, condition, crc32c) => {
      if (stalls(key)) {
        waiting++;
        await gate;
        waiting--;
      }
      return inner.put(key, body, condition, crc32c);
    },
  });
  return {
    store,
    stall: () => {
      gate = new Promise((resolve) => (release = resolve));
    },
    resume: () => release?.(),
    stalledPuts: () => waiting,
  };
}
