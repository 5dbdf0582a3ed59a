// The public API of diskless-kafka's construct package. Only re-exports live here.

// The constructs.
export * from './wal-file-system';
export * from './stream-storage';
export * from './broker-image';
export * from './broker-security';
export * from './broker-fleet';
export * from './diskless-kafka-cluster';

// Capacity rules (lib/capacity/): the model, the DisklessKafkaChecks policy pack, the CapacityGuard.
export * from './capacity';
