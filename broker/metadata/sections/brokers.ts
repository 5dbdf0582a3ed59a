/**
 * Broker registrations: each start of a broker process appends `broker-registered`, and that
 * entry's sequence is the incarnation's epoch (unique and increasing across the cluster). WAL
 * records and metadata entries carry it.
 *
 * Entry: `broker-registered` { nodeId, host, port, zone } (the cluster section reads the same entry
 * for membership).
 *
 * Fencing rule owned here: once a node registered again, its earlier incarnations may no longer
 * change partition data (a restarted broker's old process cannot commit over the new one). Other
 * sections add their own rules (e.g. ownership) through acceptsPartitionWrite.
 */
import type { MetadataEntry } from '../entry';
import type { MetadataSection } from '../state';

export interface BrokerRegistration {
  readonly nodeId: number;
  readonly epoch: number;
  readonly host: string;
  readonly port: number;
  readonly zone: string | null;
}

export interface BrokersSlice {
  /** Every registration, by epoch. */
  readonly byEpoch: Map<number, BrokerRegistration>;
  /** The latest epoch of each node. */
  readonly latestEpoch: Map<number, number>;
}

export interface BrokerRegisteredEntry extends MetadataEntry {
  readonly kind: 'broker-registered';
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly zone: string | null;
}

export const brokersSection: MetadataSection<BrokersSlice> = {
  name: 'brokers',
  kinds: ['broker-registered'],
  create: () => ({ byEpoch: new Map(), latestEpoch: new Map() }),
  apply(slice, entry, context) {
    const registered = entry as BrokerRegisteredEntry;
    slice.byEpoch.set(context.sequence, {
      nodeId: registered.nodeId,
      epoch: context.sequence,
      host: registered.host,
      port: registered.port,
      zone: registered.zone,
    });
    slice.latestEpoch.set(registered.nodeId, context.sequence);
  },
  acceptsPartitionWrite(slice, writerEpoch) {
    if (writerEpoch === undefined) return true;
    const registration = slice.byEpoch.get(writerEpoch);
    return registration !== undefined && slice.latestEpoch.get(registration.nodeId) === writerEpoch;
  },
  save: (slice) => [...slice.byEpoch.values()],
  load(saved) {
    const slice: BrokersSlice = { byEpoch: new Map(), latestEpoch: new Map() };
    for (const registration of saved as BrokerRegistration[]) {
      slice.byEpoch.set(registration.epoch, registration);
      slice.latestEpoch.set(registration.nodeId, Math.max(slice.latestEpoch.get(registration.nodeId) ?? 0, registration.epoch));
    }
    return slice;
  },
};
