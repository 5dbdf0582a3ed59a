import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeInstanceTypeOfferingsCommand, DescribeInstanceTypesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { FileSystem } from '@aws-sdk/client-fsx';
import { DescribeFileSystemsCommand, FSxClient } from '@aws-sdk/client-fsx';
import { mockClient } from 'aws-sdk-client-mock';
import type { CapacityGuardConfig } from '../../lib/capacity/guard-config';
import type { CustomResourceEvent, RunReport } from '../../lambda/capacity-guard/guard';
import { createCapacityGuard } from '../../lambda/capacity-guard/guard';

const fsx = mockClient(FSxClient);
const ec2 = mockClient(EC2Client);
const autoScaling = mockClient(AutoScalingClient);
const cloudWatch = mockClient(CloudWatchClient);

const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const TYPES = ['m7g.large', 'm6g.large'];
const BASELINE_GBPS: Record<string, number> = { 'm7g.large': 0.937, 'm6g.large': 0.75, 'm7g.xlarge': 1.876 };

const CONFIG: CapacityGuardConfig = {
  clusterName: 'orders',
  fileSystemId: 'fs-0123456789abcdef0',
  autoScalingGroupName: 'orders-fleet',
  deploymentType: 'MULTI_AZ_2',
  throughputMBps: 384,
  akus: 3,
  instanceTypes: TYPES,
  metricNamespace: 'DisklessKafka/Capacity',
};

/** The live world the mocks serve; each test changes what it needs. */
interface World {
  fileSystem: FileSystem;
  group: AutoScalingGroup;
  baselineGbps: Record<string, number>;
  offered: (instanceType: string, zone: string) => boolean;
}

function healthyWorld(): World {
  return {
    fileSystem: {
      FileSystemId: CONFIG.fileSystemId,
      Lifecycle: 'AVAILABLE',
      OntapConfiguration: { DeploymentType: 'MULTI_AZ_2', ThroughputCapacity: 384 },
    },
    group: {
      AutoScalingGroupName: CONFIG.autoScalingGroupName,
      MinSize: 3,
      MaxSize: 5,
      DesiredCapacity: 3,
      AvailabilityZones: ZONES,
      Instances: ZONES.map((zone, i) => ({
        InstanceId: `i-${i}`,
        AvailabilityZone: zone,
        LifecycleState: 'InService',
        HealthStatus: 'Healthy',
        ProtectedFromScaleIn: false,
      })),
      MixedInstancesPolicy: { LaunchTemplate: { Overrides: TYPES.map((InstanceType) => ({ InstanceType })) } },
      DefaultCooldown: 300,
      HealthCheckType: 'EC2',
      CreatedTime: new Date(0),
    },
    baselineGbps: { ...BASELINE_GBPS },
    offered: () => true,
  };
}

let world: World;
let logLines: string[];
let sleeps: number[];

function serve(): void {
  fsx.on(DescribeFileSystemsCommand).callsFake(() => ({ FileSystems: [world.fileSystem] }));
  autoScaling.on(DescribeAutoScalingGroupsCommand).callsFake(() => ({ AutoScalingGroups: [world.group] }));
  autoScaling.on(UpdateAutoScalingGroupCommand).callsFake((input: { MinSize?: number; MaxSize?: number; DesiredCapacity?: number }) => {
    world.group = {
      ...world.group,
      MinSize: input.MinSize ?? world.group.MinSize,
      MaxSize: input.MaxSize ?? world.group.MaxSize,
      DesiredCapacity: input.DesiredCapacity ?? world.group.DesiredCapacity,
    };
    return {};
  });
  ec2.on(DescribeInstanceTypesCommand).callsFake((input: { InstanceTypes: string[] }) => ({
    InstanceTypes: input.InstanceTypes.filter((t) => world.baselineGbps[t] !== undefined).map((t) => ({
      InstanceType: t,
      VCpuInfo: { DefaultVCpus: t.endsWith('.xlarge') ? 4 : 2 },
      NetworkInfo: { NetworkCards: [{ NetworkCardIndex: 0, BaselineBandwidthInGbps: world.baselineGbps[t] }] },
    })),
  }));
  ec2.on(DescribeInstanceTypeOfferingsCommand).callsFake((input: { Filters: { Name: string; Values: string[] }[] }) => {
    const [types, zones] = ['instance-type', 'location'].map((name) => input.Filters.find((f) => f.Name === name)!.Values);
    return {
      InstanceTypeOfferings: types.flatMap((t) =>
        zones.filter((z) => world.offered(t, z)).map((z) => ({ InstanceType: t, Location: z, LocationType: 'availability-zone' })),
      ),
    };
  });
  cloudWatch.on(PutMetricDataCommand).resolves({});
}

beforeEach(() => {
  for (const mock of [fsx, ec2, autoScaling, cloudWatch]) mock.reset();
  world = healthyWorld();
  logLines = [];
  sleeps = [];
  serve();
});

const guard = createCapacityGuard({
  clients: {
    fsx: new FSxClient({ region: 'eu-west-1' }),
    ec2: new EC2Client({ region: 'eu-west-1' }),
    autoScaling: new AutoScalingClient({ region: 'eu-west-1' }),
    cloudWatch: new CloudWatchClient({ region: 'eu-west-1' }),
  },
  retry: { attempts: 4, baseDelayMs: 1, sleep: (ms) => Promise.resolve(void sleeps.push(ms)), random: () => 1 },
  log: (line) => logLines.push(line),
});

function customResource(RequestType: CustomResourceEvent['RequestType'], config: Partial<CapacityGuardConfig> = {}): CustomResourceEvent {
  return {
    RequestType,
    ResourceProperties: { Config: JSON.stringify({ ...CONFIG, ...config }) },
    ...(RequestType === 'Create' ? {} : { PhysicalResourceId: 'capacity-guard:orders-fleet' }),
  };
}

/** EventBridge targets carry the config as an object (custom resources as JSON text). */
function trigger(kind: 'schedule' | 'scaling-event', config: Partial<CapacityGuardConfig> = {}) {
  return { trigger: kind, config: { ...CONFIG, ...config } } as const;
}

function publishedMetrics(): Record<string, number | undefined> {
  const calls = cloudWatch.commandCalls(PutMetricDataCommand);
  const data: MetricDatum[] = calls[calls.length - 1].args[0].input.MetricData ?? [];
  return Object.fromEntries(data.map((d): [string, number | undefined] => [d.MetricName ?? '?', d.Value]));
}

function onlyLogLine(): Record<string, unknown> {
  expect(logLines).toHaveLength(1);
  return JSON.parse(logLines[0]) as Record<string, unknown>;
}

describe('on Create and Update', () => {
  test.each(['Create', 'Update'] as const)('%s with healthy live values succeeds and reports the bound', async (requestType) => {
    await expect(guard(customResource(requestType))).resolves.toEqual({
      PhysicalResourceId: 'capacity-guard:orders-fleet',
      Data: { MaxBrokers: 5, BrokerAkus: 1, WalWriteHeadroomMiBps: 60 },
    });
    expect(autoScaling.commandCalls(UpdateAutoScalingGroupCommand)).toHaveLength(0);
    expect(publishedMetrics()).toEqual({ CapacityRuleViolations: 0, WalWriteHeadroomMiBps: 60 });
    expect(onlyLogLine()).toMatchObject({ trigger: requestType.toLowerCase(), cluster: 'orders', maxBrokers: 5, violations: 0 });
  });

  const brokenWorlds: [string, (w: World) => Partial<CapacityGuardConfig> | void, string][] = [
    ['WalTierBelowDeclared', () => ({ throughputMBps: 768 }), 'file system fs-0123456789abcdef0 runs at 384 MBps but the cluster declares 768 MBps'],
    ['WalAvailable', (w) => void (w.fileSystem.Lifecycle = 'MISCONFIGURED'), 'file system fs-0123456789abcdef0 is MISCONFIGURED'],
    ['WalDeploymentType', (w) => void (w.fileSystem.OntapConfiguration!.DeploymentType = 'SINGLE_AZ_1'), 'deployment type SINGLE_AZ_1 cannot hold the WAL'],
    ['WalTier', (w) => void (w.fileSystem.OntapConfiguration!.ThroughputCapacity = 400), '400 MBps is not a MULTI_AZ_2 throughput tier'],
    ['WalThroughput', () => ({ akus: 6 }), '6 AKU need 180 MiB/s of WAL writes; the 384 MBps tier carries 150 MiB/s: choose 768 MBps or at most 5 AKU'],
    ['InstanceTypeOffered', (w) => void (w.offered = (t, z) => !(t === 'm6g.large' && z === 'eu-west-1c')), 'instance type m6g.large is not offered in eu-west-1c'],
    ['InstanceTypeUnknown', (w) => void (w.group.MixedInstancesPolicy = { LaunchTemplate: { Overrides: [{ InstanceType: 'x9.large' }] } }), 'instance type x9.large has no known'],
    ['BrokerTooSmall', (w) => void (w.baselineGbps['m6g.large'] = 0.128), 'instance type m6g.large carries no AKU'],
    ['ThreeZones', (w) => void (w.group.AvailabilityZones = ZONES.slice(0, 2)), 'the fleet spans 2 zones'],
    ['FleetCapacity', () => ({ akus: 4 }), "the fleet's minimum of 3 brokers carries 3 AKU"],
    ['ZoneLoss', () => ({ keepAkusAfterZoneLoss: true }), 'after losing its fullest zone (1 of 3 brokers)'],
    ['FleetExceedsWal', (w) => void (w.group.MaxSize = 9), "the fleet's maximum of 9 brokers guarantees 9 AKU"],
  ];

  describe.each(['Create', 'Update'] as const)('%s fails the deployment with the rule broken', (requestType) => {
    test.each(brokenWorlds)('%s', async (ruleId, breakIt, message) => {
      const config = breakIt(world) ?? {};
      const failure = guard(customResource(requestType, config));
      await expect(failure).rejects.toThrow(`- ${ruleId}: ${message}`);
      await expect(failure).rejects.toThrow('capacity guard: the live resources break');
      // At deploy a declared size above the bound is an error, never a silent clamp.
      expect(autoScaling.commandCalls(UpdateAutoScalingGroupCommand)).toHaveLength(0);
      expect(onlyLogLine().findings).toEqual(expect.arrayContaining([expect.stringContaining(`error ${ruleId}: ${message}`)]));
    });
  });

  test('on Delete nothing is read and nothing fails, however broken the world', async () => {
    world.group.MaxSize = 99;
    world.fileSystem.Lifecycle = 'FAILED';
    await expect(guard({ RequestType: 'Delete', ResourceProperties: { Config: 'not even json' }, PhysicalResourceId: 'capacity-guard:orders-fleet' })).resolves.toEqual({
      PhysicalResourceId: 'capacity-guard:orders-fleet',
    });
    for (const mock of [fsx, ec2, autoScaling, cloudWatch]) expect(mock.calls()).toHaveLength(0);
    expect(onlyLogLine()).toMatchObject({ trigger: 'delete', summary: 'nothing to check on delete' });
  });
});

describe('missing resources', () => {
  test('a file system that does not exist (FileSystemNotFound) is a clear error', async () => {
    fsx.on(DescribeFileSystemsCommand).rejects(Object.assign(new Error('File system fs-0123456789abcdef0 does not exist'), { name: 'FileSystemNotFound' }));
    await expect(guard(customResource('Create'))).rejects.toThrow(
      'file system fs-0123456789abcdef0 not found: the WAL the cluster declares does not exist in this account and region',
    );
    expect(onlyLogLine()).toMatchObject({ error: expect.stringContaining('file system fs-0123456789abcdef0 not found') });
  });

  test('a file system missing from the answer is the same clear error', async () => {
    fsx.on(DescribeFileSystemsCommand).resolves({ FileSystems: [] });
    await expect(guard(trigger('schedule'))).rejects.toThrow('file system fs-0123456789abcdef0 not found');
  });

  test('an Auto Scaling group that does not exist is a clear error', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    await expect(guard(trigger('schedule'))).rejects.toThrow(
      'Auto Scaling group orders-fleet not found: the broker fleet the cluster declares does not exist in this account and region',
    );
    expect(autoScaling.commandCalls(UpdateAutoScalingGroupCommand)).toHaveLength(0);
  });
});

describe('pagination', () => {
  test('offerings, instance types and groups are read across pages (NextToken)', async () => {
    ec2.on(DescribeInstanceTypeOfferingsCommand)
      .resolvesOnce({
        InstanceTypeOfferings: TYPES.flatMap((t) => ZONES.slice(0, 2).map((z) => ({ InstanceType: t, Location: z }))) as never,
        NextToken: 'page-2',
      })
      .resolvesOnce({ InstanceTypeOfferings: TYPES.map((t) => ({ InstanceType: t, Location: ZONES[2] })) as never });
    ec2.on(DescribeInstanceTypesCommand)
      .resolvesOnce({
        InstanceTypes: [{ InstanceType: 'm7g.large', VCpuInfo: { DefaultVCpus: 2 }, NetworkInfo: { NetworkCards: [{ BaselineBandwidthInGbps: 0.937 }] } }],
        NextToken: 'types-2',
      })
      .resolvesOnce({
        InstanceTypes: [{ InstanceType: 'm6g.large', VCpuInfo: { DefaultVCpus: 2 }, NetworkInfo: { NetworkCards: [{ BaselineBandwidthInGbps: 0.75 }] } }],
      });
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolvesOnce({ AutoScalingGroups: [], NextToken: 'groups-2' }).resolvesOnce({ AutoScalingGroups: [world.group] });

    const report = (await guard(trigger('schedule'))) as RunReport;
    expect(report.findings).toEqual([]);
    const offeringCalls = ec2.commandCalls(DescribeInstanceTypeOfferingsCommand);
    expect(offeringCalls.map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'page-2']);
    expect(ec2.commandCalls(DescribeInstanceTypesCommand).map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'types-2']);
    expect(autoScaling.commandCalls(DescribeAutoScalingGroupsCommand).map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'groups-2']);
  });

  test('an offering missing from every page is reported', async () => {
    ec2.on(DescribeInstanceTypeOfferingsCommand)
      .resolvesOnce({ InstanceTypeOfferings: TYPES.map((t) => ({ InstanceType: t, Location: ZONES[0] })) as never, NextToken: 'p2' })
      .resolvesOnce({ InstanceTypeOfferings: [{ InstanceType: 'm7g.large', Location: ZONES[1] }, { InstanceType: 'm7g.large', Location: ZONES[2] }] as never });
    const report = (await guard(trigger('schedule'))) as RunReport;
    expect(report.findings.map((f) => f.message)).toEqual([
      'instance type m6g.large is not offered in eu-west-1b, eu-west-1c: the fleet needs every type in each of its zones (eu-west-1a, eu-west-1b, eu-west-1c); remove the type or choose other zones',
    ]);
    expect(report.violations).toBe(1);
    expect(publishedMetrics().CapacityRuleViolations).toBe(1);
  });
});

describe('throttling', () => {
  const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });

  test('a throttled read is retried with growing backoff, then succeeds', async () => {
    fsx.on(DescribeFileSystemsCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({ FileSystems: [world.fileSystem] });
    await expect(guard(customResource('Create'))).resolves.toMatchObject({ Data: { MaxBrokers: 5 } });
    expect(fsx.commandCalls(DescribeFileSystemsCommand)).toHaveLength(3);
    expect(sleeps).toEqual([1, 2]);
  });

  test('EC2 RequestLimitExceeded and 5xx errors are retried too', async () => {
    ec2.on(DescribeInstanceTypeOfferingsCommand)
      .rejectsOnce(Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded' }))
      .rejectsOnce(Object.assign(new Error('Internal'), { name: 'InternalError', $metadata: { httpStatusCode: 503 } }))
      .resolves({ InstanceTypeOfferings: TYPES.flatMap((t) => ZONES.map((z) => ({ InstanceType: t, Location: z }))) as never });
    await expect(guard(trigger('schedule'))).resolves.toMatchObject({ violations: 0 });
    expect(sleeps).toEqual([1, 2]);
  });

  test('throttling that outlasts the attempts fails with the throttling error', async () => {
    fsx.on(DescribeFileSystemsCommand).rejects(throttled());
    await expect(guard(trigger('schedule'))).rejects.toThrow('Rate exceeded');
    expect(fsx.commandCalls(DescribeFileSystemsCommand)).toHaveLength(4);
    expect(sleeps).toEqual([1, 2, 4]);
  });

  test('an error that is not transient is not retried', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }));
    await expect(guard(trigger('schedule'))).rejects.toThrow('not authorized');
    expect(autoScaling.commandCalls(DescribeAutoScalingGroupsCommand)).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });
});

describe('while running: schedule and scaling events', () => {
  test.each(['schedule', 'scaling-event'] as const)('on %s, a fleet raised by hand beyond the tier is clamped back', async (kind) => {
    world.group.MaxSize = 9;
    world.group.DesiredCapacity = 7;
    const report = (await guard(trigger(kind))) as RunReport;
    expect(autoScaling.commandCalls(UpdateAutoScalingGroupCommand).map((c) => c.args[0].input)).toEqual([
      { AutoScalingGroupName: 'orders-fleet', DesiredCapacity: 5, MaxSize: 5 },
    ]);
    expect(report).toMatchObject({ trigger: kind, actions: ['set DesiredCapacity 7 -> 5', 'set MaxSize 9 -> 5'], violations: 0 });
    expect(report.findings.map((f) => f.ruleId)).toEqual(['FleetExceedsWal', 'FleetExceedsWal']);
    expect(publishedMetrics().CapacityRuleViolations).toBe(0);
    expect(onlyLogLine().summary).toMatch(/did set DesiredCapacity 7 -> 5, set MaxSize 9 -> 5$/);
  });

  test('the clamp is idempotent: a second run finds the fleet within bounds and changes nothing', async () => {
    world.group.MaxSize = 12;
    await guard(trigger('schedule'));
    expect(world.group).toMatchObject({ MinSize: 3, DesiredCapacity: 3, MaxSize: 5 });
    const second = (await guard(trigger('schedule'))) as RunReport;
    expect(second).toMatchObject({ actions: [], violations: 0, findings: [] });
    expect(autoScaling.commandCalls(UpdateAutoScalingGroupCommand)).toHaveLength(1);
  });

  test('a minimum raised beyond the bound is lowered with the rest', async () => {
    Object.assign(world.group, { MinSize: 8, DesiredCapacity: 8, MaxSize: 8 });
    await guard(trigger('schedule'));
    expect(autoScaling.commandCalls(UpdateAutoScalingGroupCommand)[0].args[0].input).toEqual({
      AutoScalingGroupName: 'orders-fleet',
      MinSize: 5,
      DesiredCapacity: 5,
      MaxSize: 5,
    });
  });

  test('a broken rule the guard cannot fix is reported, counted and left alone', async () => {
    // Someone lowered the tier under a cluster declared for 6 AKU: no fleet size fixes that.
    const report = (await guard(trigger('schedule', { akus: 6 }))) as RunReport;
    expect(report.findings.map((f) => f.ruleId)).toEqual(['WalThroughput', 'FleetCapacity']);
    expect(report.violations).toBe(2);
    expect(report.actions).toEqual([]);
    expect(autoScaling.commandCalls(UpdateAutoScalingGroupCommand)).toHaveLength(0);
    expect(publishedMetrics().CapacityRuleViolations).toBe(2);
  });

  test('a clamp that is throttled is retried', async () => {
    world.group.MaxSize = 9;
    autoScaling.on(UpdateAutoScalingGroupCommand).rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' })).resolves({});
    await expect(guard(trigger('schedule'))).resolves.toMatchObject({ actions: ['set MaxSize 9 -> 5'] });
    expect(autoScaling.commandCalls(UpdateAutoScalingGroupCommand)).toHaveLength(2);
  });
});

describe('the headroom metric and the log line', () => {
  test.each([
    [3, 60],
    [2, 90],
    [0, 150],
  ])('with %i brokers in service the WAL headroom is %i MiB/s', async (inService, headroom) => {
    world.group.Instances = world.group.Instances!.map((instance, i) => ({ ...instance, LifecycleState: i < inService ? 'InService' : 'Pending' }));
    await guard(trigger('schedule'));
    const calls = cloudWatch.commandCalls(PutMetricDataCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual({
      Namespace: 'DisklessKafka/Capacity',
      MetricData: [
        { MetricName: 'CapacityRuleViolations', Dimensions: [{ Name: 'ClusterName', Value: 'orders' }], Value: 0, Unit: 'Count' },
        { MetricName: 'WalWriteHeadroomMiBps', Dimensions: [{ Name: 'ClusterName', Value: 'orders' }], Value: headroom, Unit: 'None' },
      ],
    });
  });

  test('one JSON line says what the guard found and did', async () => {
    await guard(trigger('scaling-event'));
    expect(onlyLogLine()).toEqual({
      guard: 'capacity',
      trigger: 'scaling-event',
      cluster: 'orders',
      fileSystem: { id: 'fs-0123456789abcdef0', deploymentType: 'MULTI_AZ_2', throughputMBps: 384, lifecycle: 'AVAILABLE' },
      fleet: { name: 'orders-fleet', min: 3, desired: 3, max: 5, inService: 3, zones: ZONES },
      brokerAkus: 1,
      maxBrokers: 5,
      headroomMiBps: 60,
      findings: [],
      actions: [],
      violations: 0,
      summary:
        'found fs-0123456789abcdef0 MULTI_AZ_2 384 MBps AVAILABLE; orders-fleet min 3 desired 3 max 5 (bound 5), 3 in service over 3 zones; ' +
        'headroom 60 MiB/s; 0 finding(s); did nothing',
    });
  });
});

describe('bad events', () => {
  test.each([
    [{ RequestType: 'Create', ResourceProperties: {} }, 'capacity guard config must be a JSON object (or its text), got undefined'],
    [{ trigger: 'schedule', config: ['a'] }, 'capacity guard config must be a JSON object (or its text), got object'],
    [{ RequestType: 'Create', ResourceProperties: { Config: '{' } }, 'capacity guard config is not valid JSON'],
    [{ RequestType: 'Update', ResourceProperties: { Config: JSON.stringify({ ...CONFIG, akus: '3' }) } }, 'capacity guard config: akus must be a number, got "3"'],
    [{ trigger: 'schedule', config: { ...CONFIG, fileSystemId: '' } }, 'capacity guard config: fileSystemId must be a non-empty string, got ""'],
    [{ trigger: 'cron', config: '{}' }, 'capacity guard: unknown event'],
  ])('%j', async (event, message) => {
    await expect(guard(event as never)).rejects.toThrow(message);
  });
});
