import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CapacityGuard } from '../../lib/capacity/capacity-guard';
import { synthAndReport } from './synth-report';

// Only cdk-nag is under test here; the built-in CloudFormation Validate costs seconds per synth.
process.env.CDK_VALIDATION = 'false';

const app = new App();
const stack = new Stack(app, 'Guarded', { env: { account: '111122223333', region: 'eu-west-1' } });
const fleet = autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Fleet', 'orders-fleet');
const guard = new CapacityGuard(stack, 'CapacityGuard', {
  clusterName: 'orders',
  fileSystemId: 'fs-0123456789abcdef0',
  autoScalingGroup: fleet,
  capacity: { throughputMBps: 384, akus: 3, instanceTypes: ['m7g.large', 'm6g.large'], keepAkusAfterZoneLoss: false },
  schedule: Duration.minutes(5),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
// One synth, shared: it bundles the handler with esbuild and runs cdk-nag.
const outcome = synthAndReport(app, 'AwsSolutions');
const template = Template.fromStack(stack);

const EXPECTED_CONFIG = {
  clusterName: 'orders',
  fileSystemId: 'fs-0123456789abcdef0',
  autoScalingGroupName: 'orders-fleet',
  deploymentType: 'MULTI_AZ_2',
  throughputMBps: 384,
  akus: 3,
  instanceTypes: ['m7g.large', 'm6g.large'],
  keepAkusAfterZoneLoss: false,
  metricNamespace: 'DisklessKafka/Capacity',
};

test('cdk-nag AwsSolutions finds nothing unacknowledged', () => {
  expect(outcome.violations).toEqual([]);
  expect(outcome.error).toBeUndefined();
});

test('the function: Node.js 24, arm64, its own log group with retention, no retries', () => {
  template.hasResourceProperties('AWS::Lambda::Function', {
    Runtime: 'nodejs24.x',
    Architectures: ['arm64'],
    Handler: 'index.handler',
    Timeout: 60,
    LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^CapacityGuardLogs') } },
  });
  template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0 });
  template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 2);
});

test('the bundle carries the SDK clients and the capacity model, not aws-cdk-lib', () => {
  const assetDirs = readdirSync(app.outdir).filter((name) => name.startsWith('asset.'));
  const bundles = assetDirs
    .map((dir) => join(app.outdir, dir, 'index.js'))
    .map((file) => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return '';
      }
    })
    .filter((code) => code.includes('capacity guard'));
  expect(bundles).toHaveLength(1);
  const [bundle] = bundles;
  // Booleans, not toContain: a failure must not print a 1.7 MB bundle.
  expect(bundle.includes('DescribeInstanceTypeOfferings')).toBe(true);
  expect(bundle.includes('WalWriteHeadroomMiBps')).toBe(true);
  expect(/require\("@(aws-sdk\/client-|smithy\/)/.test(bundle)).toBe(false);
  expect(bundle.includes('aws-cdk-lib')).toBe(false);
});

test('the custom resource carries the declared capacity as JSON text', () => {
  const resources = template.findResources('Custom::DisklessKafkaCapacityGuard');
  const [resource] = Object.values(resources) as { Properties: { Config: string; ServiceToken: unknown } }[];
  expect(JSON.parse(resource.Properties.Config)).toEqual(EXPECTED_CONFIG);
  const provider = guard.node.findChild('Provider').node.findChild('framework-onEvent').node.defaultChild as CfnElement;
  expect(resource.Properties.ServiceToken).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(provider), 'Arn'] });
});

test('a schedule every five minutes and a rule on the fleet\'s scaling events invoke the guard', () => {
  template.hasResourceProperties('AWS::Events::Rule', {
    ScheduleExpression: 'rate(5 minutes)',
    Targets: [Match.objectLike({ Input: JSON.stringify({ trigger: 'schedule', config: EXPECTED_CONFIG }), RetryPolicy: { MaximumRetryAttempts: 0 } })],
  });
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: {
      source: ['aws.autoscaling'],
      'detail-type': ['EC2 Instance Launch Successful', 'EC2 Instance Terminate Successful'],
      detail: { AutoScalingGroupName: ['orders-fleet'] },
    },
    Targets: [Match.objectLike({ Input: JSON.stringify({ trigger: 'scaling-event', config: EXPECTED_CONFIG }) })],
  });
  template.resourceCountIs('AWS::Lambda::Permission', 2);
});

test('IAM: reads where no resource can be named, UpdateAutoScalingGroup on this fleet only, metrics in one namespace', () => {
  const guardRole = stack.getLogicalId(guard.node.findChild('Role').node.defaultChild as CfnElement);
  template.hasResourceProperties('AWS::IAM::Role', { Description: 'diskless-kafka capacity guard', ManagedPolicyArns: Match.absent() });
  template.hasResourceProperties('AWS::IAM::Policy', {
    Roles: [{ Ref: guardRole }],
    PolicyDocument: {
      Statement: [
        { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CapacityGuardLogs'), 'Arn'] } },
        {
          Sid: 'ReadCapacityInputs',
          Action: ['fsx:DescribeFileSystems', 'ec2:DescribeInstanceTypes', 'ec2:DescribeInstanceTypeOfferings', 'autoscaling:DescribeAutoScalingGroups'],
          Effect: 'Allow',
          Resource: '*',
        },
        {
          Sid: 'ClampThisFleet',
          Action: 'autoscaling:UpdateAutoScalingGroup',
          Effect: 'Allow',
          Resource: {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':autoscaling:eu-west-1:111122223333:autoScalingGroup:*:autoScalingGroupName/orders-fleet']],
          },
        },
        {
          Sid: 'PublishHeadroom',
          Action: 'cloudwatch:PutMetricData',
          Condition: { StringEquals: { 'cloudwatch:namespace': 'DisklessKafka/Capacity' } },
          Effect: 'Allow',
          Resource: '*',
        },
      ],
    },
  });
});

test('each function waits for its role policy, and not redundantly for the role it references (cfn-lint W3005)', () => {
  const functions = Object.values(template.findResources('AWS::Lambda::Function')) as { DependsOn?: string[] }[];
  expect(functions).toHaveLength(2);
  for (const fn of functions) {
    expect(fn.DependsOn).toHaveLength(1);
    expect(fn.DependsOn![0]).toMatch(/RoleDefaultPolicy/);
  }
});
