/**
 * How DisklessKafkaCluster uses the capacity model: its capacity props, the plan it sizes the fleet
 * from (errors fail synth, warnings become acknowledgeable warnings, the plan is shown as an info
 * annotation and a stack output), and the checks it attaches to what it built (the template
 * declaration the policy pack reads, and the capacity guard).
 */

import { Annotations, CfnOutput, CfnResource, Token, Validations } from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import type { IConstruct } from 'constructs';
import { Construct } from 'constructs';
import type { AkuDefinitionOverride } from './aku';
import { CapacityGuard } from './capacity-guard';
import { formatPlanSummary, formatPlanText } from './format';
import type { InstanceTypeSpec } from './instance-types';
import type { CapacityPlan, CapacityRequest } from './plan';
import { planCapacity } from './plan';
import { errorsOf, warningsOf } from './rules/catalogue';
import { declareCapacity } from './template-declaration';

/** The capacity props DisklessKafkaCluster adds to `akus`, `walThroughputMBps` and `instanceTypes`. */
export interface ClusterCapacityOptions {
  /**
   * Your own AKU definition, e.g. measured on your workload.
   *
   * @default DEFAULT_AKU - AutoMQ's: 30 MiB/s of writes or 60 MiB/s of reads, 1,125 partitions
   */
  readonly akuDefinition?: AkuDefinitionOverride;
  /**
   * Size the fleet so that it still carries `akus` after losing its fullest zone.
   *
   * @default false
   */
  readonly keepAkusAfterZoneLoss?: boolean;
  /**
   * vCPU and baseline network figures of instance types the capacity model does not list.
   *
   * @default - the model's table (lib/capacity/instance-types.ts)
   */
  readonly instanceSpecs?: Readonly<Record<string, InstanceTypeSpec>>;
  /**
   * Check the live file system and fleet on every deployment, and clamp the fleet back within
   * what the WAL tier absorbs while running (CapacityGuard).
   *
   * @default true
   */
  readonly capacityGuard?: boolean;
}

/**
 * The cluster's capacity plan. Throws with the rules' messages when the props break a rule; adds a
 * warning per warning finding, the plan as an info annotation and its summary as an output.
 */
export function planClusterCapacity(scope: IConstruct, request: CapacityRequest): CapacityPlan {
  for (const [name, value] of [['walThroughputMBps', request.throughputMBps], ['akus', request.akus]] as const) {
    if (Token.isUnresolved(value)) {
      throw new Error(`DisklessKafkaCluster ${name} is an unresolved token; the fleet is sized from it at synth, so give a number`);
    }
  }
  const plan = planCapacity(request);
  const errors = errorsOf(plan.findings);
  if (errors.length > 0) {
    throw new Error(errors.map((f) => `DisklessKafkaCluster capacity rule ${f.ruleId}: ${f.message}`).join('\n'));
  }
  for (const warning of warningsOf(plan.findings)) {
    Validations.of(scope).addWarning(`DisklessKafka-${warning.ruleId}`, warning.message);
  }
  Annotations.of(scope).addInfo(formatPlanText(plan));
  new CfnOutput(scope, 'CapacityPlan', { value: formatPlanSummary(plan), description: 'Capacity plan (docs/capacity.md)' });
  return plan;
}

export interface ClusterCapacityChecks {
  readonly request: CapacityRequest;
  readonly clusterName: string;
  /** The WAL's id. */
  readonly fileSystemId: string;
  /** The WAL construct; when it holds the AWS::FSx::FileSystem (not an imported one), the template declares the pair. */
  readonly fileSystem: unknown;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  /** @default true */
  readonly capacityGuard?: boolean;
}

/** Declare the capacity in the template (for DisklessKafkaChecks) and add the guard unless turned off. */
export function attachCapacityChecks(scope: IConstruct, checks: ClusterCapacityChecks): CapacityGuard | undefined {
  const { request, autoScalingGroup } = checks;
  const fileSystem = Construct.isConstruct(checks.fileSystem) ? checks.fileSystem.node.defaultChild : undefined;
  const group = autoScalingGroup.node.defaultChild;
  if (fileSystem instanceof CfnResource && group instanceof CfnResource) {
    declareCapacity(group, fileSystem, {
      akus: request.akus,
      keepAkusAfterZoneLoss: request.keepAkusAfterZoneLoss,
      aku: request.aku,
      instanceSpecs: request.instanceSpecs,
    });
  }
  if (checks.capacityGuard === false) return undefined;
  return new CapacityGuard(scope, 'CapacityGuard', {
    clusterName: checks.clusterName,
    fileSystemId: checks.fileSystemId,
    autoScalingGroup,
    capacity: request,
  });
}
