/**
 * The capacity model: pure functions, no AWS calls and no aws-cdk-lib, so the capacity guard Lambda
 * bundles it as is. Constructs, the policy pack, the Lambda, the docs and the broker import it from here.
 */

export * from './tiers';
export * from './aku';
export * from './instance-types';
export * from './broker-capacity';
export * from './fleet';
export * from './rules/catalogue';
export * from './rules/wal';
export * from './rules/brokers';
export * from './rules/fleet';
export * from './rules/live';
export * from './assess';
export * from './plan';
export * from './format';
