// The capacity rules' public API: the pure model, the synth-time policy pack, the capacity guard,
// and the template declaration the pack reads. Only re-exports live here.

export * from './model';
export * from './guard-config';
export * from './template-declaration';
export * from './policy-pack';
export * from './capacity-guard';
export type { ClusterCapacityOptions } from './cluster-capacity';
