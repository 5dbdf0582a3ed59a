import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { allowedThroughputMBps } from '../../lib/capacity/tiers';
import { WalFileSystem, type WalFileSystemProps } from '../../lib/wal-file-system';
import { groupIdOf, logicalIdOf, propertiesOf, testStack, threeZoneVpc } from './support';

/** The NFS ports of an FSx for ONTAP SVM, as the user guide lists them. */
const NFS_RULES = [
  ...[111, 635, 2049, 4045, 4046].flatMap((port) => [
    { IpProtocol: 'tcp', FromPort: port, ToPort: port },
    { IpProtocol: 'udp', FromPort: port, ToPort: port },
  ]),
  { IpProtocol: 'udp', FromPort: 4049, ToPort: 4049 },
];

function walIn(stack: Stack, props: Partial<WalFileSystemProps> = {}): { wal: WalFileSystem; vpc: ec2.Vpc } {
  const vpc = threeZoneVpc(stack);
  return { wal: new WalFileSystem(stack, 'Wal', { vpc, ...props }), vpc };
}

describe('WalFileSystem', () => {
  describe('defaults', () => {
    const stack = testStack();
    const { wal, vpc } = walIn(stack);
    const template = Template.fromStack(stack);
    const privateSubnets = vpc.privateSubnets;

    test('a Multi-AZ 2 ONTAP file system of 1,024 GiB SSD at 384 MBps', () => {
      template.hasResourceProperties('AWS::FSx::FileSystem', {
        FileSystemType: 'ONTAP',
        StorageType: 'SSD',
        StorageCapacity: 1024,
        OntapConfiguration: Match.objectLike({
          DeploymentType: 'MULTI_AZ_2',
          ThroughputCapacity: 384,
          AutomaticBackupRetentionDays: 0,
        }),
      });
    });

    test('preferred and standby subnets in two zones, route tables of every client subnet', () => {
      const subnetRef = (subnet: ec2.ISubnet) => ({ Ref: logicalIdOf(subnet) });
      template.hasResourceProperties('AWS::FSx::FileSystem', {
        SubnetIds: [subnetRef(privateSubnets[0]), subnetRef(privateSubnets[1])],
        OntapConfiguration: Match.objectLike({
          PreferredSubnetId: subnetRef(privateSubnets[0]),
          RouteTableIds: privateSubnets.map((subnet) => ({ Ref: logicalIdOf(subnet.node.findChild('RouteTable')) })),
        }),
      });
    });

    test('the admin password comes from a generated secret, never a literal', () => {
      template.resourceCountIs('AWS::SecretsManager::Secret', 1);
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        GenerateSecretString: Match.objectLike({ PasswordLength: 32 }),
      });
      const [fileSystem] = Object.values(template.findResources('AWS::FSx::FileSystem'));
      const password = JSON.stringify(fileSystem.Properties.OntapConfiguration.FsxAdminPassword);
      expect(password).toContain('{{resolve:secretsmanager:');
      expect(password).toContain(logicalIdOf(wal.adminPassword));
    });

    test('a UNIX SVM and one UNIX WAL volume at /wal: no tiering, no snapshots, no efficiency', () => {
      template.hasResourceProperties('AWS::FSx::StorageVirtualMachine', {
        FileSystemId: { Ref: logicalIdOf(wal) },
        RootVolumeSecurityStyle: 'UNIX',
      });
      template.resourceCountIs('AWS::FSx::Volume', 1);
      template.hasResourceProperties('AWS::FSx::Volume', {
        VolumeType: 'ONTAP',
        OntapConfiguration: {
          StorageVirtualMachineId: { 'Fn::GetAtt': [Match.anyValue(), 'StorageVirtualMachineId'] },
          OntapVolumeType: 'RW',
          JunctionPath: '/wal',
          SecurityStyle: 'UNIX',
          SizeInBytes: String(512 * 1024 ** 3),
          StorageEfficiencyEnabled: 'false',
          TieringPolicy: { Name: 'NONE' },
          SnapshotPolicy: 'none',
        },
      });
    });

    test('keeps the file system, SVM, volume and password when removed from the stack', () => {
      for (const type of ['AWS::FSx::FileSystem', 'AWS::FSx::StorageVirtualMachine', 'AWS::FSx::Volume', 'AWS::SecretsManager::Secret']) {
        template.hasResource(type, { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      }
    });

    test('the security group admits nothing until a peer is allowed, and sends nothing out', () => {
      template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
      template.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: Match.stringLikeRegexp('WAL'),
        SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })],
      });
    });

    test('exposes the NFS endpoint name <svm>.<fs>.fsx.<region>.<suffix> and the junction path', () => {
      expect(stack.resolve(wal.nfsDnsName)).toEqual({
        'Fn::Join': ['', [
          { 'Fn::GetAtt': [logicalIdOf(wal.node.findChild('StorageVirtualMachine')), 'StorageVirtualMachineId'] },
          '.',
          { Ref: logicalIdOf(wal) },
          '.fsx.us-east-1.',
          { Ref: 'AWS::URLSuffix' },
        ]],
      });
      expect(wal.junctionPath).toBe('/wal');
      expect(stack.resolve(wal.fileSystemId)).toEqual({ Ref: logicalIdOf(wal) });
    });
  });

  describe('allowNfsFrom', () => {
    test('admits exactly the NFS ports from the peer security group, and nothing from anywhere else', () => {
      const stack = testStack();
      const { wal, vpc } = walIn(stack);
      const brokers = new ec2.SecurityGroup(stack, 'Brokers', { vpc });
      wal.allowNfsFrom(brokers);
      const template = Template.fromStack(stack);

      const ingress = propertiesOf(template, 'AWS::EC2::SecurityGroupIngress');
      expect(ingress.map(({ IpProtocol, FromPort, ToPort }) => ({ IpProtocol, FromPort, ToPort }))).toEqual(
        expect.arrayContaining(NFS_RULES),
      );
      expect(ingress).toHaveLength(NFS_RULES.length);
      for (const rule of ingress) {
        expect(rule.SourceSecurityGroupId).toEqual(groupIdOf(brokers));
        expect(rule.GroupId).toEqual(groupIdOf(wal.connections.securityGroups[0]));
        expect(rule.CidrIp).toBeUndefined();
      }
    });
  });

  describe('deployment type and throughput tier', () => {
    test.each(allowedThroughputMBps('MULTI_AZ_2').map((mbps) => [mbps]))('MULTI_AZ_2 at %d MBps', (mbps) => {
      const stack = testStack();
      walIn(stack, { throughputMBps: mbps });
      Template.fromStack(stack).hasResourceProperties('AWS::FSx::FileSystem', {
        OntapConfiguration: Match.objectLike({ DeploymentType: 'MULTI_AZ_2', ThroughputCapacity: mbps }),
      });
    });

    test.each(allowedThroughputMBps('MULTI_AZ_1').map((mbps) => [mbps]))('MULTI_AZ_1 at %d MBps', (mbps) => {
      const stack = testStack();
      walIn(stack, { deploymentType: 'MULTI_AZ_1', throughputMBps: mbps });
      Template.fromStack(stack).hasResourceProperties('AWS::FSx::FileSystem', {
        OntapConfiguration: Match.objectLike({ DeploymentType: 'MULTI_AZ_1', ThroughputCapacity: mbps }),
      });
    });

    test('MULTI_AZ_1 defaults to its smallest tier', () => {
      const stack = testStack();
      const { wal } = walIn(stack, { deploymentType: 'MULTI_AZ_1' });
      expect(wal.throughputMBps).toBe(128);
    });

    test('a tier the deployment type does not offer fails synth, naming the value and the allowed ones', () => {
      expect(() => walIn(testStack(), { throughputMBps: 400 })).toThrow(
        'WAL throughput 400 MBps is not an FSx for ONTAP MULTI_AZ_2 tier; allowed: 384, 768, 1536, 3072, 6144 MBps',
      );
      expect(() => walIn(testStack(), { deploymentType: 'MULTI_AZ_1', throughputMBps: 384 })).toThrow(
        'WAL throughput 384 MBps is not an FSx for ONTAP MULTI_AZ_1 tier; allowed: 128, 256, 512, 1024, 2048, 4096 MBps',
      );
    });

    test('a single-zone deployment type fails synth', () => {
      expect(() => walIn(testStack(), { deploymentType: 'SINGLE_AZ_2', throughputMBps: 1536 })).toThrow(
        "WAL deploymentType 'SINGLE_AZ_2' is not allowed: the WAL must survive the loss of a zone; allowed: MULTI_AZ_2, MULTI_AZ_1",
      );
    });
  });

  describe('sizes', () => {
    test('storage, volume size, backups and junction path are configurable', () => {
      const stack = testStack();
      walIn(stack, { storageCapacityGiB: 2048, volumeSizeGiB: 100, automaticBackupRetentionDays: 7, junctionPath: '/kafka/wal' });
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::FSx::FileSystem', {
        StorageCapacity: 2048,
        OntapConfiguration: Match.objectLike({ AutomaticBackupRetentionDays: 7 }),
      });
      template.hasResourceProperties('AWS::FSx::Volume', {
        OntapConfiguration: Match.objectLike({ SizeInBytes: String(100 * 1024 ** 3), JunctionPath: '/kafka/wal' }),
      });
    });

    test.each([
      [{ storageCapacityGiB: 512 }, 'WAL storageCapacityGiB must be an integer of at least 1024; got 512'],
      [{ storageCapacityGiB: 1024.5 }, 'WAL storageCapacityGiB must be an integer of at least 1024; got 1024.5'],
      [{ volumeSizeGiB: 0 }, 'WAL volumeSizeGiB must be an integer of at least 1; got 0'],
      [{ automaticBackupRetentionDays: 91 }, 'WAL automaticBackupRetentionDays must be an integer from 0 to 90; got 91'],
      [{ junctionPath: 'wal' }, "WAL junctionPath must be an absolute path of [A-Za-z0-9_-] segments, e.g. '/wal'; got 'wal'"],
    ])('%j fails synth', (props, message) => {
      expect(() => walIn(testStack(), props)).toThrow(message);
    });
  });

  describe('subnets', () => {
    test('explicit preferred and standby subnets', () => {
      const stack = testStack();
      const vpc = threeZoneVpc(stack);
      const [, second, third] = vpc.privateSubnets;
      new WalFileSystem(stack, 'Wal', { vpc, preferredSubnet: third, standbySubnet: second });
      Template.fromStack(stack).hasResourceProperties('AWS::FSx::FileSystem', {
        SubnetIds: [{ Ref: logicalIdOf(third) }, { Ref: logicalIdOf(second) }],
        OntapConfiguration: Match.objectLike({ PreferredSubnetId: { Ref: logicalIdOf(third) } }),
      });
    });

    test('two subnets in the same zone fail synth', () => {
      const stack = testStack();
      const vpc = threeZoneVpc(stack);
      const sameZone = ec2.Subnet.fromSubnetAttributes(stack, 'SameZone', {
        subnetId: 'subnet-0123456789abcdef0',
        availabilityZone: 'us-east-1a',
        routeTableId: 'rtb-0123456789abcdef0',
      });
      const preferred = ec2.Subnet.fromSubnetAttributes(stack, 'Preferred', {
        subnetId: 'subnet-0fedcba9876543210',
        availabilityZone: 'us-east-1a',
        routeTableId: 'rtb-0fedcba9876543210',
      });
      expect(() => new WalFileSystem(stack, 'Wal', { vpc, preferredSubnet: preferred, standbySubnet: sameZone })).toThrow(
        'WAL preferred subnet subnet-0fedcba9876543210 and standby subnet subnet-0123456789abcdef0 are both in us-east-1a: '
          + 'a Multi-AZ file system needs them in two different Availability Zones',
      );
    });

    test('client subnets in a single zone fail synth', () => {
      const stack = testStack();
      const vpc = threeZoneVpc(stack);
      expect(() => new WalFileSystem(stack, 'Wal', { vpc, vpcSubnets: { availabilityZones: ['us-east-1b'], subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } })).toThrow(
        'WAL vpcSubnets selects no subnet outside us-east-1b (the preferred subnet\'s zone): '
          + 'a Multi-AZ file system needs subnets in two Availability Zones',
      );
    });
  });

  describe('removal policy', () => {
    test('DESTROY applies to the file system, SVM, volume and password', () => {
      const stack = testStack();
      walIn(stack, { removalPolicy: RemovalPolicy.DESTROY });
      const template = Template.fromStack(stack);
      for (const type of ['AWS::FSx::FileSystem', 'AWS::FSx::StorageVirtualMachine', 'AWS::FSx::Volume', 'AWS::SecretsManager::Secret']) {
        template.hasResource(type, { DeletionPolicy: 'Delete' });
      }
    });
  });

  describe('fromAttributes', () => {
    test('uses an existing file system: nothing created, the endpoint name derived, NFS rules on its group', () => {
      const stack = testStack();
      const vpc = threeZoneVpc(stack);
      const brokers = new ec2.SecurityGroup(stack, 'Brokers', { vpc });
      const wal = WalFileSystem.fromAttributes(stack, 'Wal', {
        fileSystemId: 'fs-0123456789abcdef0',
        storageVirtualMachineId: 'svm-0123456789abcdef0',
        junctionPath: '/wal',
        securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'WalGroup', 'sg-0123456789abcdef0')],
      });
      wal.allowNfsFrom(brokers);
      const template = Template.fromStack(stack);

      template.resourceCountIs('AWS::FSx::FileSystem', 0);
      template.resourceCountIs('AWS::FSx::Volume', 0);
      expect(stack.resolve(wal.nfsDnsName)).toEqual({
        'Fn::Join': ['', ['svm-0123456789abcdef0.fs-0123456789abcdef0.fsx.us-east-1.', { Ref: 'AWS::URLSuffix' }]],
      });
      const ingress = propertiesOf(template, 'AWS::EC2::SecurityGroupIngress');
      expect(ingress).toHaveLength(NFS_RULES.length);
      expect(new Set(ingress.map((rule) => rule.GroupId as string))).toEqual(new Set(['sg-0123456789abcdef0']));
    });

    test('takes an explicit NFS DNS name and checks the junction path', () => {
      const stack = testStack();
      const attrs = {
        fileSystemId: 'fs-0123456789abcdef0',
        storageVirtualMachineId: 'svm-0123456789abcdef0',
        securityGroups: [],
        nfsDnsName: 'wal.example.internal',
      };
      expect(WalFileSystem.fromAttributes(stack, 'Wal', { ...attrs, junctionPath: '/wal' }).nfsDnsName).toBe('wal.example.internal');
      expect(() => WalFileSystem.fromAttributes(stack, 'Bad', { ...attrs, junctionPath: '/' })).toThrow("got '/'");
    });
  });
});
