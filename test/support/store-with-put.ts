/**
 * A store that behaves as `inner` except for writes: `put` runs first (to stall, check or fail
 * them) and decides whether and how to call on to `inner.put`. For tests of what the broker does
 * around an object store's writes.
 */
import type { ObjectStore } from '../../broker/storage/object-store';

export function storeWithPut(inner: ObjectStore, put: ObjectStore['put']): ObjectStore {
  return {
    location: inner.location,
    put,
    get: (key, range) => inner.get(key, range),
    head: (key) => inner.head(key),
    list: (prefix, startAfter) => inner.list(prefix, startAfter),
    delete: (key) => inner.delete(key),
  };
}
