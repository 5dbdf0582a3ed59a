/**
 * What the capacity guard Lambda is told about its cluster: one document, written by the
 * CapacityGuard construct into the custom resource's properties (as JSON text) and the EventBridge
 * targets' input (as an object), and parsed (with clear errors) by the handler. Pure: the Lambda
 * bundles it.
 */

import type { AkuDefinitionOverride } from './aku';
import type { InstanceTypeSpec } from './instance-types';
import type { OntapDeploymentType } from './tiers';
import { isOntapDeploymentType } from './tiers';

export interface CapacityGuardConfig {
  /** The metric dimension `ClusterName` and the log line's `cluster`. */
  readonly clusterName: string;
  readonly fileSystemId: string;
  readonly autoScalingGroupName: string;
  /** What the cluster declares; the live file system must not be smaller. */
  readonly deploymentType: OntapDeploymentType;
  readonly throughputMBps: number;
  readonly akus: number;
  /** The declared types; the live group's mixed-instances overrides take precedence. */
  readonly instanceTypes: readonly string[];
  readonly instanceSpecs?: Readonly<Record<string, InstanceTypeSpec>>;
  readonly aku?: AkuDefinitionOverride;
  readonly keepAkusAfterZoneLoss?: boolean;
  readonly metricNamespace: string;
}

export const DEFAULT_METRIC_NAMESPACE = 'DisklessKafka/Capacity';

/** Metric names the guard publishes (dimension ClusterName). */
export const GUARD_METRICS = {
  /** Kafka write MiB/s the WAL tier carries beyond what the in-service brokers' guaranteed AKUs write. */
  headroom: 'WalWriteHeadroomMiBps',
  /** Capacity rules broken after the guard did what it could (errors only). */
  violations: 'CapacityRuleViolations',
} as const;

/**
 * The config from a custom resource (a JSON string: CloudFormation turns every scalar property into a
 * string) or from an EventBridge target (the object itself).
 */
export function parseGuardConfig(input: unknown): CapacityGuardConfig {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new Error(`capacity guard config is not valid JSON: ${(error as Error).message}`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`capacity guard config must be a JSON object (or its text), got ${input === null ? 'null' : typeof input}`);
  }
  const config = value as Record<string, unknown>;
  for (const field of ['clusterName', 'fileSystemId', 'autoScalingGroupName', 'metricNamespace'] as const) {
    if (typeof config[field] !== 'string' || config[field] === '') {
      throw new Error(`capacity guard config: ${field} must be a non-empty string, got ${JSON.stringify(config[field])}`);
    }
  }
  for (const field of ['throughputMBps', 'akus'] as const) {
    if (typeof config[field] !== 'number') throw new Error(`capacity guard config: ${field} must be a number, got ${JSON.stringify(config[field])}`);
  }
  if (typeof config.deploymentType !== 'string' || !isOntapDeploymentType(config.deploymentType)) {
    throw new Error(`capacity guard config: deploymentType must be an FSx for ONTAP deployment type, got ${JSON.stringify(config.deploymentType)}`);
  }
  if (!Array.isArray(config.instanceTypes) || !config.instanceTypes.every((t) => typeof t === 'string')) {
    throw new Error(`capacity guard config: instanceTypes must be a list of instance type names, got ${JSON.stringify(config.instanceTypes)}`);
  }
  return config as unknown as CapacityGuardConfig;
}
