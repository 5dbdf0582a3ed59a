/**
 * The capacity rules on a real DisklessKafkaCluster: props checked at synth, the fleet sized from the
 * plan, the plan shown, the capacity declared for the policy pack, and the pack catching escape
 * hatches. Synths are few and shared: each costs seconds.
 */

import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as fsx from 'aws-cdk-lib/aws-fsx';
import { BrokerImage } from '../../lib/broker-image';
import { DisklessKafkaChecks } from '../../lib/capacity/policy-pack';
import { CAPACITY_METADATA_KEY } from '../../lib/capacity/template-declaration';
import type { DisklessKafkaClusterProps } from '../../lib/diskless-kafka-cluster';
import { DisklessKafkaCluster } from '../../lib/diskless-kafka-cluster';
import { synthAndReport } from './synth-report';

// Only the capacity checks are under test; CloudFormation Validate costs seconds per synth.
process.env.CDK_VALIDATION = 'false';

const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const image = BrokerImage.fromRegistry('public.ecr.aws/acme/diskless-kafka:1.0.0');

function cluster(props: DisklessKafkaClusterProps = {}, app = new App()): { app: App; stack: Stack; cluster: DisklessKafkaCluster } {
  const stack = new Stack(app, 'Capacity', { env: { region: 'us-east-1' } });
  return { app, stack, cluster: new DisklessKafkaCluster(stack, 'Kafka', { image, availabilityZones: ZONES, ...props }) };
}

function l1s(c: DisklessKafkaCluster) {
  return {
    fileSystem: c.node.findChild('Wal').node.findChild('Resource') as fsx.CfnFileSystem,
    group: c.fleet.autoScalingGroup.node.defaultChild as autoscaling.CfnAutoScalingGroup,
  };
}

describe('props that break a rule fail synth with its message', () => {
  test.each([
    [{ akus: 6 }, 'DisklessKafkaCluster capacity rule WalThroughput: 6 AKU need 180 MiB/s of WAL writes; the 384 MBps tier carries 150 MiB/s: choose 768 MBps or at most 5 AKU'],
    [{ akus: 11, walThroughputMBps: 768 }, 'DisklessKafkaCluster capacity rule WalThroughput: 11 AKU need 330 MiB/s of WAL writes; the 768 MBps tier carries 300 MiB/s: choose 1536 MBps or at most 10 AKU'],
    [{ akus: 3, akuDefinition: { writeMiBps: 60, readMiBps: 120, partitions: 2000 } }, 'DisklessKafkaCluster capacity rule WalThroughput: 3 AKU need 180 MiB/s'],
    [{ instanceTypes: [new ec2.InstanceType('x9g.large')] }, 'DisklessKafkaCluster capacity rule InstanceTypeUnknown: instance type x9g.large has no known vCPU'],
    [{ instanceTypes: [new ec2.InstanceType('m7g.medium')], instanceSpecs: { 'm7g.medium': { vcpus: 1, baselineBandwidthGbps: 0.4 } } }, 'DisklessKafkaCluster capacity rule BrokerTooSmall: instance type m7g.medium carries no AKU'],
  ] as [DisklessKafkaClusterProps, string][])('%j', (props, message) => {
    expect(() => cluster(props)).toThrow(message);
  });

  test('the boundaries pass: 5 AKU on 384 MBps, 10 on 768', () => {
    expect(cluster({ akus: 5 }).cluster.capacityPlan.findings).toEqual([]);
    expect(cluster({ akus: 10, walThroughputMBps: 768 }).cluster.capacityPlan.findings).toEqual([]);
  });
});

describe('the default cluster', () => {
  const { stack, cluster: kafka } = cluster();
  const template = Template.fromStack(stack);

  test('sizes its fleet from the plan: three brokers, up to the five the 384 MBps tier absorbs', () => {
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '3', DesiredCapacity: '3', MaxSize: '5' });
    expect(kafka.capacityPlan.fleet).toMatchObject({ minBrokers: 3, desiredBrokers: 3, maxBrokers: 5, brokerAkus: 1 });
  });

  test('shows the plan as an info annotation and a stack output', () => {
    Annotations.fromStack(stack).hasInfo('/Capacity/Kafka', Match.stringLikeRegexp('WAL tier +MULTI_AZ_2 384 MBps: 150 MiB/s of Kafka writes \\(measured\\), 5 AKU'));
    template.hasOutput('*', { Value: '384 MBps WAL, 3 AKU, 3 brokers (max 5, 1 AKU each), 60 MiB/s WAL headroom', Description: 'Capacity plan (docs/capacity.md)' });
  });

  test('declares its capacity on the Auto Scaling group for the policy pack', () => {
    const { fileSystem } = l1s(kafka);
    template.hasResource('AWS::AutoScaling::AutoScalingGroup', {
      Metadata: Match.objectLike({ [CAPACITY_METADATA_KEY]: { walFileSystem: stack.resolve(fileSystem.logicalId) as string, akus: 3 } }),
    });
  });

  test('has a capacity guard on its file system and fleet', () => {
    const [resource] = Object.values(template.findResources('Custom::DisklessKafkaCapacityGuard')) as { Properties: { Config: unknown } }[];
    const config = JSON.stringify(stack.resolve(resource.Properties.Config));
    expect(config).toContain('\\"akus\\":3');
    expect(config).toContain(`\\"clusterName\\":\\"${kafka.clusterId}\\"`);
    expect(kafka.capacityGuard).toBeDefined();
  });
});

describe('options', () => {
  test('a tier far larger than the AKUs need is an acknowledgeable warning, not an error', () => {
    const { stack } = cluster({ walThroughputMBps: 768 });
    Annotations.fromStack(stack).hasWarning(
      '/Capacity/Kafka',
      Match.stringLikeRegexp('3 AKU need 90 MiB/s of WAL writes; the 768 MBps tier carries 300 MiB/s, 30% used: 384 MBps carries them'),
    );
  });

  test('keepAkusAfterZoneLoss sizes the fleet for two zones', () => {
    const { cluster: kafka } = cluster({ keepAkusAfterZoneLoss: true });
    expect(kafka.capacityPlan.fleet).toMatchObject({ minBrokers: 5, desiredBrokers: 5, maxBrokers: 8, akusAfterZoneLoss: 3 });
  });

  test('capacityGuard: false leaves the guard out but keeps the declaration', () => {
    const { stack, cluster: kafka } = cluster({ capacityGuard: false });
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::DisklessKafkaCapacityGuard', 0);
    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.hasResource('AWS::AutoScaling::AutoScalingGroup', { Metadata: Match.objectLike({ [CAPACITY_METADATA_KEY]: Match.anyValue() }) });
    expect(kafka.capacityGuard).toBeUndefined();
  });
});

describe('DisklessKafkaChecks on a real DisklessKafkaCluster', () => {
  function checkedCluster(props: DisklessKafkaClusterProps = {}) {
    const app = new App();
    Validations.of(app).addPlugins(new DisklessKafkaChecks());
    // The guard's bundling is not under test here.
    app.node.setContext('aws:cdk:bundling-stacks', []);
    return cluster({ capacityGuard: false, ...props }, app);
  }

  test('the cluster as built passes', () => {
    const { app } = checkedCluster();
    expect(synthAndReport(app, 'DisklessKafkaChecks')).toEqual({ error: undefined, violations: [] });
  });

  test("an escape hatch on the fleet's MaxSize fails synth", () => {
    const { app, cluster: kafka } = checkedCluster();
    l1s(kafka).group.addPropertyOverride('MaxSize', '9');
    const outcome = synthAndReport(app, 'DisklessKafkaChecks');
    expect(outcome.error).toBeDefined();
    expect(outcome.violations).toEqual([
      {
        ruleName: 'FleetExceedsWal',
        severity: 'error',
        logicalIds: [Stack.of(kafka).resolve(l1s(kafka).group.logicalId) as string],
        description:
          "the fleet's maximum of 9 brokers guarantees 9 AKU at 1 AKU per broker (m7g.large, m6g.large, r7g.large, r6g.large); " +
          'the 384 MBps tier carries 150 MiB/s, 5 AKU: set the maximum to at most 5 brokers or choose 768 MBps',
      },
    ]);
  });

  test("an escape hatch on the file system's ThroughputCapacity fails synth", () => {
    const { app, cluster: kafka } = checkedCluster({ akus: 10, walThroughputMBps: 768 });
    l1s(kafka).fileSystem.addPropertyOverride('OntapConfiguration.ThroughputCapacity', 384);
    const outcome = synthAndReport(app, 'DisklessKafkaChecks');
    expect(outcome.error).toBeDefined();
    expect(outcome.violations.map((v) => [v.ruleName, v.description])).toEqual([
      ['WalThroughput', '10 AKU need 300 MiB/s of WAL writes; the 384 MBps tier carries 150 MiB/s: choose 768 MBps or at most 5 AKU'],
    ]);
  });
});
