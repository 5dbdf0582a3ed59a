/**
 * The metadata log and the sections of state the data path needs. See state.ts for how to add
 * entry kinds.
 */
import { brokersSection } from './sections/brokers';
import { partitionDataSection } from './sections/partition-data';
import { producerIdsSection } from './sections/producer-ids';
import { topicsSection } from './sections/topics';
import type { AnySection } from './state';

export * from './entry';
export * from './log';
export * from './state';
export * from './sections/brokers';
export * from './sections/partition-data';
export * from './sections/producer-ids';
export * from './sections/topics';

/** The sections every broker applies, in this order (topics before the partition data that refers to them). */
export const DATA_PATH_SECTIONS: readonly AnySection[] = [topicsSection, brokersSection, partitionDataSection, producerIdsSection];
