/** Reads the live values the rules need: the file system, the Auto Scaling group, the instance types. */

import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import type { _InstanceType, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeInstanceTypeOfferingsCommand, DescribeInstanceTypesCommand } from '@aws-sdk/client-ec2';
import type { FileSystem, FSxClient } from '@aws-sdk/client-fsx';
import { DescribeFileSystemsCommand } from '@aws-sdk/client-fsx';
import type { InstanceTypeSpec } from '../../lib/capacity/model';
import type { CapacityGuardConfig } from '../../lib/capacity/guard-config';
import type { RetryOptions } from './retry';
import { collectPages } from './retry';

export interface AwsClients {
  readonly fsx: FSxClient;
  readonly ec2: EC2Client;
  readonly autoScaling: AutoScalingClient;
}

export interface LiveFileSystem {
  readonly id: string;
  readonly lifecycle?: string;
  readonly deploymentType?: string;
  readonly throughputMBps?: number;
}

export interface LiveFleet {
  readonly name: string;
  readonly minBrokers: number;
  readonly desiredBrokers: number;
  readonly maxBrokers: number;
  readonly zones: readonly string[];
  /** The group's mixed-instances overrides, or the declared types when it has none. */
  readonly instanceTypes: readonly string[];
  readonly inService: number;
}

export interface LiveState {
  readonly fileSystem: LiveFileSystem;
  readonly fleet: LiveFleet;
  readonly instanceSpecs: Readonly<Record<string, InstanceTypeSpec>>;
  /** "m7g.large@eu-west-1a" for every offering found. */
  readonly offerings: ReadonlySet<string>;
}

export function offeringKey(instanceType: string, zone: string): string {
  return `${instanceType}@${zone}`;
}

export async function readLiveState(config: CapacityGuardConfig, clients: AwsClients, retry: RetryOptions): Promise<LiveState> {
  const [fileSystem, fleet] = await Promise.all([
    readFileSystem(config.fileSystemId, clients.fsx, retry),
    readFleet(config, clients.autoScaling, retry),
  ]);
  const [instanceSpecs, offerings] = await Promise.all([
    readInstanceSpecs(fleet.instanceTypes, clients.ec2, retry),
    readOfferings(fleet.instanceTypes, fleet.zones, clients.ec2, retry),
  ]);
  return { fileSystem, fleet, instanceSpecs, offerings };
}

async function readFileSystem(fileSystemId: string, fsx: FSxClient, retry: RetryOptions): Promise<LiveFileSystem> {
  let fileSystems: FileSystem[];
  try {
    fileSystems = await collectPages(async (NextToken) => {
      const page = await fsx.send(new DescribeFileSystemsCommand({ FileSystemIds: [fileSystemId], NextToken }));
      return { items: page.FileSystems ?? [], nextToken: page.NextToken };
    }, retry);
  } catch (error) {
    if ((error as Error).name === 'FileSystemNotFound') fileSystems = [];
    else throw error;
  }
  const found = fileSystems.find((fs) => fs.FileSystemId === fileSystemId);
  if (found === undefined) {
    throw new Error(`file system ${fileSystemId} not found: the WAL the cluster declares does not exist in this account and region`);
  }
  const ontap = found.OntapConfiguration;
  return {
    id: fileSystemId,
    lifecycle: found.Lifecycle,
    deploymentType: ontap?.DeploymentType,
    throughputMBps: ontap?.ThroughputCapacity ?? ontap?.ThroughputCapacityPerHAPair,
  };
}

async function readFleet(config: CapacityGuardConfig, autoScaling: AutoScalingClient, retry: RetryOptions): Promise<LiveFleet> {
  const name = config.autoScalingGroupName;
  const groups = await collectPages(async (NextToken) => {
    const page = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name], NextToken }));
    return { items: page.AutoScalingGroups ?? [], nextToken: page.NextToken };
  }, retry);
  const group = groups.find((g) => g.AutoScalingGroupName === name);
  if (group === undefined) {
    throw new Error(`Auto Scaling group ${name} not found: the broker fleet the cluster declares does not exist in this account and region`);
  }
  const overrides = (group.MixedInstancesPolicy?.LaunchTemplate?.Overrides ?? [])
    .map((o) => o.InstanceType)
    .filter((t): t is string => t !== undefined);
  return {
    name,
    minBrokers: group.MinSize ?? 0,
    desiredBrokers: group.DesiredCapacity ?? 0,
    maxBrokers: group.MaxSize ?? 0,
    zones: group.AvailabilityZones ?? [],
    instanceTypes: overrides.length > 0 ? overrides : config.instanceTypes,
    inService: (group.Instances ?? []).filter((i) => i.LifecycleState === 'InService').length,
  };
}

async function readInstanceSpecs(instanceTypes: readonly string[], ec2: EC2Client, retry: RetryOptions): Promise<Record<string, InstanceTypeSpec>> {
  const described = await collectPages(async (NextToken) => {
    const page = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: instanceTypes as _InstanceType[], NextToken }));
    return { items: page.InstanceTypes ?? [], nextToken: page.NextToken };
  }, retry);
  const specs: Record<string, InstanceTypeSpec> = {};
  for (const type of described) {
    const vcpus = type.VCpuInfo?.DefaultVCpus;
    const cards = type.NetworkInfo?.NetworkCards ?? [];
    const baselineBandwidthGbps = cards.reduce((sum, card) => sum + (card.BaselineBandwidthInGbps ?? 0), 0);
    if (type.InstanceType && vcpus && baselineBandwidthGbps > 0) specs[type.InstanceType] = { vcpus, baselineBandwidthGbps };
  }
  return specs;
}

async function readOfferings(
  instanceTypes: readonly string[],
  zones: readonly string[],
  ec2: EC2Client,
  retry: RetryOptions,
): Promise<Set<string>> {
  const offerings = await collectPages(async (NextToken) => {
    const page = await ec2.send(
      new DescribeInstanceTypeOfferingsCommand({
        LocationType: 'availability-zone',
        Filters: [
          { Name: 'instance-type', Values: [...instanceTypes] },
          { Name: 'location', Values: [...zones] },
        ],
        NextToken,
      }),
    );
    return { items: page.InstanceTypeOfferings ?? [], nextToken: page.NextToken };
  }, retry);
  return new Set(offerings.map((o) => offeringKey(String(o.InstanceType), String(o.Location))));
}
