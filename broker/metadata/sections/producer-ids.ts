/**
 * Producer ids: handed out in blocks so that InitProducerId costs a metadata write only once per
 * block. A block is durable before any id in it is returned, and a broker that restarts takes a
 * new block, so no id is ever handed out twice in the cluster.
 *
 * Entry: `producer-ids-allocated` { firstProducerId, count }: ignored unless firstProducerId is the
 * next unallocated id (the proposer reads it from this slice).
 */
import type { MetadataEntry } from '../entry';
import type { MetadataSection } from '../state';

export interface ProducerIdsSlice {
  nextProducerId: number;
}

export interface ProducerIdsAllocatedEntry extends MetadataEntry {
  readonly kind: 'producer-ids-allocated';
  readonly firstProducerId: number;
  readonly count: number;
}

export const producerIdsSection: MetadataSection<ProducerIdsSlice> = {
  name: 'producer-ids',
  kinds: ['producer-ids-allocated'],
  create: () => ({ nextProducerId: 0 }),
  apply(slice, entry, context) {
    const allocated = entry as ProducerIdsAllocatedEntry;
    if (allocated.firstProducerId !== slice.nextProducerId || allocated.count <= 0) {
      context.rejectEntry(`producer id block at ${allocated.firstProducerId}, expected ${slice.nextProducerId}`);
      return;
    }
    slice.nextProducerId += allocated.count;
  },
  save: (slice) => ({ ...slice }),
  load: (saved) => ({ ...(saved as ProducerIdsSlice) }),
};
