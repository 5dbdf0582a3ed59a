import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IPolicyValidationContext } from 'aws-cdk-lib';
import { Validations } from 'aws-cdk-lib';
import { DisklessKafkaChecks } from '../../lib/capacity/policy-pack';
import { CAPACITY_METADATA_KEY } from '../../lib/capacity/template-declaration';
import { handComposedStack } from './hand-composed-stack';
import { synthAndReport } from './synth-report';

// The built-in CloudFormation Validate plugin is not under test here and costs seconds per synth.
process.env.CDK_VALIDATION = 'false';

const dir = mkdtempSync(join(tmpdir(), 'dk-policy-pack-'));
let templateCount = 0;

function validate(templates: object[], checks = new DisklessKafkaChecks()) {
  const templatePaths = templates.map((template) => {
    const path = join(dir, `t${templateCount++}.template.json`);
    writeFileSync(path, JSON.stringify(template));
    return path;
  });
  const report = checks.validate({ templatePaths } as unknown as IPolicyValidationContext);
  return {
    success: report.success,
    found: report.violations.map((v) => `${v.severity} ${v.ruleName} @${v.violatingResources.map((r) => r.resourceLogicalId).join(',')}`),
    messages: report.violations.map((v) => v.description),
  };
}

function subnet(zone: unknown) {
  return { Type: 'AWS::EC2::Subnet', Properties: { AvailabilityZone: zone } };
}

function wal(throughput: unknown = 384, deploymentType = 'MULTI_AZ_2') {
  return { Type: 'AWS::FSx::FileSystem', Properties: { FileSystemType: 'ONTAP', OntapConfiguration: { DeploymentType: deploymentType, ThroughputCapacity: throughput } } };
}

function fleet(properties: Record<string, unknown> = {}, declaration?: object) {
  return {
    Type: 'AWS::AutoScaling::AutoScalingGroup',
    Properties: {
      MinSize: '3',
      MaxSize: '5',
      DesiredCapacity: '3',
      VPCZoneIdentifier: [{ Ref: 'A' }, { Ref: 'B' }, { Ref: 'C' }],
      MixedInstancesPolicy: { LaunchTemplate: { Overrides: [{ InstanceType: 'm7g.large' }] } },
      ...properties,
    },
    ...(declaration ? { Metadata: { [CAPACITY_METADATA_KEY]: declaration } } : {}),
  };
}

const ZONES = { A: subnet('eu-west-1a'), B: subnet('eu-west-1b'), C: subnet('eu-west-1c') };

function template(resources: Record<string, unknown>) {
  return { Resources: { ...ZONES, ...resources } };
}

describe('DisklessKafkaChecks on templates', () => {
  test.each([
    ['a sound declared pair', { Wal: wal(), Fleet: fleet({}, { walFileSystem: 'Wal', akus: 3 }) }, []],
    ['MaxSize above the bound', { Wal: wal(), Fleet: fleet({ MaxSize: 9 }, { walFileSystem: 'Wal', akus: 3 }) }, ['error FleetExceedsWal @Fleet']],
    ['DesiredCapacity above the bound', { Wal: wal(), Fleet: fleet({ DesiredCapacity: '6', MaxSize: '6' }, { walFileSystem: 'Wal', akus: 3 }) }, [
      'error FleetExceedsWal @Fleet',
      'error FleetExceedsWal @Fleet',
    ]],
    ['declared AKUs the tier cannot carry', { Wal: wal(), Fleet: fleet({}, { walFileSystem: 'Wal', akus: 6 }) }, [
      'error WalThroughput @Wal',
      'error FleetCapacity @Fleet',
    ]],
    ['a tier far larger than the AKUs', { Wal: wal(1536), Fleet: fleet({}, { walFileSystem: 'Wal', akus: 3 }) }, ['warning WalOversized @Wal']],
    ['a tier the deployment type does not allow', { Wal: wal(400), Fleet: fleet({}, { walFileSystem: 'Wal', akus: 3 }) }, ['error WalTier @Wal']],
    ['a single-AZ WAL', { Wal: wal(512, 'SINGLE_AZ_1'), Fleet: fleet({}, { walFileSystem: 'Wal', akus: 3 }) }, ['error WalDeploymentType @Wal']],
    ['two subnets in one zone', { Wal: wal(), Fleet: fleet({}, { walFileSystem: 'Wal', akus: 3 }), C: subnet('eu-west-1b') }, ['error ThreeZones @Fleet']],
    ['zones picked with Fn::GetAZs, two the same', {
      Wal: wal(),
      Fleet: fleet({}, { walFileSystem: 'Wal', akus: 3 }),
      A: subnet({ 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }),
      B: subnet({ 'Fn::Select': [1, { 'Fn::GetAZs': '' }] }),
      C: subnet({ 'Fn::Select': [1, { 'Fn::GetAZs': '' }] }),
    }, ['error ThreeZones @Fleet']],
    ['AvailabilityZones instead of subnets', { Wal: wal(), Fleet: fleet({ VPCZoneIdentifier: undefined, AvailabilityZones: ['a', 'b'] }) }, ['error ThreeZones @Fleet']],
    ['fewer than three brokers', { Wal: wal(), Fleet: fleet({ MinSize: '2', DesiredCapacity: '2' }, { walFileSystem: 'Wal', akus: 2 }) }, [
      'error ThreeZones @Fleet',
      'error ThreeZones @Fleet',
    ]],
    ['a zone loss the minimum cannot absorb', {
      Wal: wal(),
      Fleet: fleet({}, { walFileSystem: 'Wal', akus: 3, keepAkusAfterZoneLoss: true }),
    }, ['error ZoneLoss @Fleet']],
    ['an instance type from the launch template', {
      Wal: wal(),
      Lt: { Type: 'AWS::EC2::LaunchTemplate', Properties: { LaunchTemplateData: { InstanceType: 'r7g.large' } } },
      Fleet: fleet({ MixedInstancesPolicy: undefined, LaunchTemplate: { LaunchTemplateId: { Ref: 'Lt' } } }, { walFileSystem: 'Wal', akus: 3 }),
    }, []],
    ['an instance type from a launch configuration, too small', {
      Wal: wal(),
      Lc: { Type: 'AWS::AutoScaling::LaunchConfiguration', Properties: { InstanceType: 't4g.small' } },
      Fleet: fleet({ MixedInstancesPolicy: undefined, LaunchConfigurationName: { Ref: 'Lc' } }, {
        walFileSystem: 'Wal',
        akus: 3,
        instanceSpecs: { 't4g.small': { vcpus: 2, baselineBandwidthGbps: 0.128 } },
      }),
    }, ['error BrokerTooSmall @Fleet']],
    ['instance types the template hides (attribute-based)', {
      Wal: wal(),
      Fleet: fleet({ MixedInstancesPolicy: { LaunchTemplate: { Overrides: [{ InstanceRequirements: {} }] } } }, { walFileSystem: 'Wal', akus: 3 }),
    }, ['error InstanceTypeUnknown @Fleet']],
    ['a malformed declaration', { Wal: wal(), Fleet: fleet({}, { walFileSystem: 'Wal', akus: 2.5 }) }, ['error CapacityDeclaration @Fleet']],
    ['an undeclared fleet alone with an ONTAP file system is paired', { Wal: wal(), Fleet: fleet({ MaxSize: '9' }) }, ['error FleetExceedsWal @Fleet']],
    ['two undeclared fleets are not paired; the lone file system is checked for its tier only', {
      Wal: wal(400),
      Fleet: fleet({ MaxSize: '9' }),
      Other: fleet({ MaxSize: '9' }),
    }, ['error WalTier @Wal']],
    ['sizes behind intrinsics are skipped', { Wal: wal({ Ref: 'Tier' }), Fleet: fleet({ MaxSize: { Ref: 'Max' } }, { walFileSystem: 'Wal', akus: 3 }) }, []],
  ])('%s', (_name, resources, expected) => {
    const result = validate([template(resources)]);
    expect(result.found).toEqual(expected);
    expect(result.success).toBe(!expected.some((f) => f.startsWith('error')));
  });

  test('a declared file system in another template (a separate storage stack) is found', () => {
    const storage = { Resources: { Wal: wal() } };
    const compute = template({ Fleet: fleet({ MaxSize: '9' }, { walFileSystem: 'Wal', akus: 3 }) });
    expect(validate([storage, compute]).found).toEqual(['error FleetExceedsWal @Fleet']);
  });

  test('pairing undeclared groups can be turned off', () => {
    const result = validate([template({ Wal: wal(), Fleet: fleet({ MaxSize: '9' }) })], new DisklessKafkaChecks({ pairUndeclared: false }));
    expect(result.found).toEqual([]);
  });

  test('the messages are the same as the model gives', () => {
    expect(validate([template({ Wal: wal(), Fleet: fleet({}, { walFileSystem: 'Wal', akus: 6 }) })]).messages[0]).toBe(
      '6 AKU need 180 MiB/s of WAL writes; the 384 MBps tier carries 150 MiB/s: choose 768 MBps or at most 5 AKU',
    );
  });
});

describe('DisklessKafkaChecks in a synth: escape hatches on a stack composed by hand', () => {
  test('the stack as composed passes', () => {
    const { app } = handComposedStack({ declaration: { akus: 3 } });
    Validations.of(app).addPlugins(new DisklessKafkaChecks());
    const outcome = synthAndReport(app, 'DisklessKafkaChecks');
    expect(outcome.error).toBeUndefined();
    expect(outcome.violations).toEqual([]);
  });

  test("an override of the group's MaxSize fails synth", () => {
    const { app, autoScalingGroup } = handComposedStack({ declaration: { akus: 3 } });
    Validations.of(app).addPlugins(new DisklessKafkaChecks());
    autoScalingGroup.addPropertyOverride('MaxSize', '9');
    const outcome = synthAndReport(app, 'DisklessKafkaChecks');
    expect(outcome.error?.message).toContain("ERROR the fleet's maximum of 9 brokers");
    expect(outcome.violations).toEqual([
      {
        ruleName: 'FleetExceedsWal',
        severity: 'error',
        logicalIds: ['Fleet'],
        description:
          "the fleet's maximum of 9 brokers guarantees 9 AKU at 1 AKU per broker (m7g.large, m6g.large); the 384 MBps tier carries 150 MiB/s, 5 AKU: " +
          'set the maximum to at most 5 brokers or choose 768 MBps',
      },
    ]);
  });

  test("an override of the file system's ThroughputCapacity fails synth", () => {
    const { app, fileSystem } = handComposedStack({ throughputMBps: 768, minSize: 10, maxSize: 10, declaration: { akus: 10 } });
    Validations.of(app).addPlugins(new DisklessKafkaChecks());
    fileSystem.addPropertyOverride('OntapConfiguration.ThroughputCapacity', 384);
    const outcome = synthAndReport(app, 'DisklessKafkaChecks');
    expect(outcome.error?.message).toContain('ERROR 10 AKU need 300 MiB/s of WAL writes');
    expect(outcome.violations.map((v) => `${v.ruleName} @${v.logicalIds.join(',')}`)).toEqual(['WalThroughput @Wal']);
    expect(outcome.violations[0].description).toBe(
      '10 AKU need 300 MiB/s of WAL writes; the 384 MBps tier carries 150 MiB/s: choose 768 MBps or at most 5 AKU',
    );
  });

  test('a warning is reported without failing synth, and can be acknowledged', () => {
    const { app, fileSystem } = handComposedStack({ throughputMBps: 1536, declaration: { akus: 3 } });
    Validations.of(app).addPlugins(new DisklessKafkaChecks());
    const warned = synthAndReport(app, 'DisklessKafkaChecks');
    expect(warned.error).toBeUndefined();
    expect(warned.violations.map((v) => `${v.severity} ${v.ruleName}`)).toEqual(['warning WalOversized']);

    const acknowledged = handComposedStack({ throughputMBps: 1536, declaration: { akus: 3 } });
    Validations.of(acknowledged.app).addPlugins(new DisklessKafkaChecks());
    Validations.of(acknowledged.fileSystem).acknowledge({ id: 'DisklessKafkaChecks::WalOversized', reason: 'sized for next year' });
    expect(synthAndReport(acknowledged.app, 'DisklessKafkaChecks').violations).toEqual([]);
    expect(fileSystem).toBeDefined();
  });
});
