/**
 * A broker fleet and its WAL composed by hand from L1s, as a platform team might without
 * DisklessKafkaCluster: what the policy pack must judge from the template alone.
 */

import { App, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as fsx from 'aws-cdk-lib/aws-fsx';
import type { CapacityDeclaration } from '../../lib/capacity/template-declaration';
import { declareCapacity } from '../../lib/capacity/template-declaration';

export interface HandComposedOptions {
  readonly throughputMBps?: number;
  readonly zones?: readonly string[];
  readonly minSize?: number;
  readonly maxSize?: number;
  readonly instanceTypes?: readonly string[];
  /** Omit to leave the group undeclared. */
  readonly declaration?: Omit<CapacityDeclaration, 'walFileSystem'>;
}

export interface HandComposed {
  readonly app: App;
  readonly stack: Stack;
  readonly fileSystem: fsx.CfnFileSystem;
  readonly autoScalingGroup: autoscaling.CfnAutoScalingGroup;
}

export function handComposedStack(options: HandComposedOptions = {}): HandComposed {
  const app = new App();
  const stack = new Stack(app, 'HandComposed');
  const vpc = new ec2.CfnVPC(stack, 'Vpc', { cidrBlock: '10.0.0.0/16' });
  const subnets = (options.zones ?? ['eu-west-1a', 'eu-west-1b', 'eu-west-1c']).map(
    (zone, i) => new ec2.CfnSubnet(stack, `Subnet${i}`, { vpcId: vpc.ref, cidrBlock: `10.0.${i}.0/24`, availabilityZone: zone }),
  );
  const fileSystem = new fsx.CfnFileSystem(stack, 'Wal', {
    fileSystemType: 'ONTAP',
    storageCapacity: 1024,
    subnetIds: [subnets[0].ref, subnets[1].ref],
    ontapConfiguration: {
      deploymentType: 'MULTI_AZ_2',
      throughputCapacity: options.throughputMBps ?? 384,
      preferredSubnetId: subnets[0].ref,
    },
  });
  const launchTemplate = new ec2.CfnLaunchTemplate(stack, 'Brokers', {
    launchTemplateData: { imageId: 'ami-12345678' },
  });
  const autoScalingGroup = new autoscaling.CfnAutoScalingGroup(stack, 'Fleet', {
    minSize: String(options.minSize ?? 3),
    maxSize: String(options.maxSize ?? 5),
    desiredCapacity: String(options.minSize ?? 3),
    vpcZoneIdentifier: subnets.map((s) => s.ref),
    mixedInstancesPolicy: {
      launchTemplate: {
        launchTemplateSpecification: { launchTemplateId: launchTemplate.ref, version: launchTemplate.attrLatestVersionNumber },
        overrides: (options.instanceTypes ?? ['m7g.large', 'm6g.large']).map((instanceType) => ({ instanceType })),
      },
    },
  });
  if (options.declaration) declareCapacity(autoScalingGroup, fileSystem, options.declaration);
  return { app, stack, fileSystem, autoScalingGroup };
}
