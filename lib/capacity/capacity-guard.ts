/**
 * CapacityGuard: the capacity rules at deploy time and while running.
 *
 * One Lambda function (lambda/capacity-guard) serves a custom resource, so a deployment whose live
 * file system or fleet breaks a rule fails with the rule's message, and two EventBridge rules (a
 * schedule and the fleet's scaling events), so a fleet raised by hand beyond what the WAL tier
 * absorbs is set back. It publishes the WAL headroom to CloudWatch on every run.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CfnResource } from 'aws-cdk-lib';
import { CustomResource, Duration, Names, Stack, Validations } from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { IConstruct } from 'constructs';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '../private/nag';
import type { CapacityGuardConfig } from './guard-config';
import { DEFAULT_METRIC_NAMESPACE } from './guard-config';
import type { CapacityRequest } from './plan';

export interface CapacityGuardProps {
  /** The WAL file system's id (a token is fine). */
  readonly fileSystemId: string;
  /** The broker fleet. The guard may lower its sizes, and only its. */
  readonly autoScalingGroup: autoscaling.IAutoScalingGroup;
  /** What the cluster declares: tier, AKUs, instance types, AKU definition, zone-loss requirement. */
  readonly capacity: CapacityRequest;
  /**
   * The `ClusterName` dimension of the metrics and the `cluster` of the log line.
   *
   * @default - a name unique in the app, from the construct path
   */
  readonly clusterName?: string;
  /**
   * How often the guard checks the live values, besides the fleet's scaling events.
   *
   * @default Duration.minutes(5)
   */
  readonly schedule?: Duration;
  /**
   * The CloudWatch namespace of the headroom and violation metrics.
   *
   * @default 'DisklessKafka/Capacity'
   */
  readonly metricNamespace?: string;
  /**
   * How long the guard's logs are kept (the function's and the Provider framework's).
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/** Instance state changes of a group in EventBridge (always emitted; no CloudTrail needed). */
const SCALING_EVENT_TYPES = ['EC2 Instance Launch Successful', 'EC2 Instance Terminate Successful'];

export class CapacityGuard extends Construct {
  /** The guard's Lambda function. */
  public readonly function: lambda.IFunction;
  /** The custom resource that checks the live values on every deployment. */
  public readonly resource: CustomResource;
  public readonly scheduleRule: events.Rule;
  public readonly scalingEventRule: events.Rule;
  public readonly logGroup: logs.ILogGroup;
  public readonly clusterName: string;
  public readonly metricNamespace: string;

  constructor(scope: Construct, id: string, props: CapacityGuardProps) {
    super(scope, id);
    this.clusterName = props.clusterName ?? Names.uniqueResourceName(this, { maxLength: 64 });
    this.metricNamespace = props.metricNamespace ?? DEFAULT_METRIC_NAMESPACE;
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const group = props.autoScalingGroup;
    const config: CapacityGuardConfig = {
      clusterName: this.clusterName,
      fileSystemId: props.fileSystemId,
      autoScalingGroupName: group.autoScalingGroupName,
      deploymentType: props.capacity.deploymentType ?? 'MULTI_AZ_2',
      throughputMBps: props.capacity.throughputMBps,
      akus: props.capacity.akus,
      instanceTypes: props.capacity.instanceTypes,
      instanceSpecs: props.capacity.instanceSpecs,
      aku: props.capacity.aku,
      keepAkusAfterZoneLoss: props.capacity.keepAkusAfterZoneLoss,
      metricNamespace: this.metricNamespace,
    };

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention });
    const role = this.createRole(group);
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: handlerEntry(),
      handler: 'handler',
      // Pinned, not NODEJS_LATEST: the runtime changes with a reviewed commit, not with an
      // aws-cdk-lib upgrade. 24 is also the newest aws-cdk-lib knows, so cdk-nag's L1 is satisfied.
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.minutes(1),
      role,
      logGroup: this.logGroup,
      // Scheduled runs come every few minutes; a failed one is not worth a retry.
      retryAttempts: 0,
      description: 'diskless-kafka capacity guard: checks the WAL tier against the broker fleet, clamps the fleet, publishes headroom',
      // The SDK clients are bundled (not taken from the runtime) so the tested versions run.
      bundling: { externalModules: [], minify: true, sourceMap: false },
    });

    dependOnPolicyOnly(this.function, role);
    this.resource = this.createCustomResource(config, retention);
    this.resource.node.addDependency(role);
    const target = (trigger: 'schedule' | 'scaling-event') =>
      new targets.LambdaFunction(this.function, { event: events.RuleTargetInput.fromObject({ trigger, config }), retryAttempts: 0 });
    this.scheduleRule = new events.Rule(this, 'Schedule', {
      description: 'diskless-kafka capacity guard: periodic check',
      schedule: events.Schedule.rate(props.schedule ?? Duration.minutes(5)),
      targets: [target('schedule')],
    });
    this.scalingEventRule = new events.Rule(this, 'ScalingEvents', {
      description: 'diskless-kafka capacity guard: check after each launch or termination in the broker fleet',
      eventPattern: {
        source: ['aws.autoscaling'],
        detailType: SCALING_EVENT_TYPES,
        detail: { AutoScalingGroupName: [group.autoScalingGroupName] },
      },
      targets: [target('scaling-event')],
    });
  }

  /** Least privilege: read what the rules need, lower this fleet's sizes, publish to one namespace. */
  private createRole(group: autoscaling.IAutoScalingGroup): iam.Role {
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'diskless-kafka capacity guard',
    });
    this.logGroup.grantWrite(role);
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadCapacityInputs',
        actions: [
          'fsx:DescribeFileSystems',
          'ec2:DescribeInstanceTypes',
          'ec2:DescribeInstanceTypeOfferings',
          'autoscaling:DescribeAutoScalingGroups',
        ],
        resources: ['*'],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ClampThisFleet',
        actions: ['autoscaling:UpdateAutoScalingGroup'],
        resources: [group.autoScalingGroupArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PublishHeadroom',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': this.metricNamespace } },
      }),
    );
    const policy = role.node.findChild('DefaultPolicy');
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'fsx:DescribeFileSystems, ec2:DescribeInstanceTypes, ec2:DescribeInstanceTypeOfferings, autoscaling:DescribeAutoScalingGroups and ' +
        'cloudwatch:PutMetricData support no resource-level permissions (Service Authorization Reference); PutMetricData is held to one namespace by condition.',
    });
    acknowledgeWildcardResource(
      policy,
      group.autoScalingGroupArn,
      "The group's ARN contains a UUID CloudFormation does not expose; the group name pins UpdateAutoScalingGroup to this fleet.",
    );
    return role;
  }

  private createCustomResource(config: CapacityGuardConfig, retention: logs.RetentionDays): CustomResource {
    const frameworkRole = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'diskless-kafka capacity guard: custom resource provider framework',
    });
    const frameworkLogs = new logs.LogGroup(this, 'ProviderLogs', { retention });
    frameworkLogs.grantWrite(frameworkRole);
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.function,
      frameworkOnEventRole: frameworkRole,
      logGroup: frameworkLogs,
    });
    dependOnPolicyOnly(provider.node.findChild('framework-onEvent'), frameworkRole);
    acknowledgeWildcardResource(
      frameworkRole.node.findChild('DefaultPolicy'),
      `${this.function.functionArn}:*`,
      "The Provider framework grants itself invoke on the guard function's versions and aliases; the function itself is fixed.",
    );
    return new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::DisklessKafkaCapacityGuard',
      // JSON text: CloudFormation would turn numbers and booleans of an object into strings.
      properties: { Config: Stack.of(this).toJsonString(config) },
    });
  }
}

/**
 * A function must wait for its role's policy, but CDK also makes it wait for the role itself, which
 * its `Role: Fn::GetAtt` already implies (cfn-lint W3005): keep the policy only.
 */
function dependOnPolicyOnly(fn: IConstruct, role: iam.Role): void {
  const cfnFunction = fn.node.defaultChild as CfnResource;
  const policy = role.node.findChild('DefaultPolicy').node.defaultChild as CfnResource;
  cfnFunction.addOverride('DependsOn', [policy.logicalId]);
}

/** The handler's source when running from TypeScript, its compiled file when running from dist/. */
function handlerEntry(): string {
  const candidates = ['index.ts', 'index.js'].map((file) => path.join(__dirname, '..', '..', 'lambda', 'capacity-guard', file));
  const entry = candidates.find((candidate) => fs.existsSync(candidate));
  if (entry === undefined) throw new Error(`capacity guard handler not found: looked for ${candidates.join(' and ')}`);
  return entry;
}
