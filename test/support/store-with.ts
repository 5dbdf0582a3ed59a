/**
 * A store that behaves as `inner` except for the operations given: an override runs instead (to
 * stall, check, count or fail them) and decides whether and how to call on to `inner`. For tests of
 * what the broker does around an object store's writes and deletes.
 */
import type { ObjectStore } from '../../broker/storage/object-store';

export function storeWith(inner: ObjectStore, overrides: Partial<Pick<ObjectStore, 'put' | 'delete'>>): ObjectStore {
  return {
    location: inner.location,
    put: overrides.put ?? ((key, body, condition, crc32c) => inner.put(key, body, condition, crc32c)),
    get: (key, range) => inner.get(key, range),
    head: (key) => inner.head(key),
    list: (prefix, startAfter) => inner.list(prefix, startAfter),
    delete: overrides.delete ?? ((key) => inner.delete(key)),
  };
}
