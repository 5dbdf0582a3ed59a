import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { BrokerImage } from '../../lib/broker-image';
import { DisklessKafkaCluster, type DisklessKafkaClusterProps } from '../../lib/diskless-kafka-cluster';
import { WalFileSystem } from '../../lib/wal-file-system';
import { groupIdOf, logicalIdOf, propertiesOf, testStack, threeZoneVpc, ZONES } from './support';

/** Most tests use a registry image: no asset staging, same template otherwise. */
const image = BrokerImage.fromRegistry('public.ecr.aws/acme/diskless-kafka:1.0.0');

function clusterIn(stack: Stack, props: DisklessKafkaClusterProps = {}): DisklessKafkaCluster {
  return new DisklessKafkaCluster(stack, 'Kafka', { image, ...(props.vpc ? {} : { availabilityZones: ZONES }), ...props });
}

describe('DisklessKafkaCluster', () => {
  describe('defaults', () => {
    const stack = testStack();
    const cluster = clusterIn(stack);
    const clients = new ec2.SecurityGroup(stack, 'Clients', { vpc: cluster.vpc });
    cluster.connections.allowDefaultPortFrom(clients);
    const template = Template.fromStack(stack);

    test('a new VPC over three zones: private broker subnets, NAT per zone, S3 gateway endpoint, flow logs', () => {
      template.resourceCountIs('AWS::EC2::VPC', 1);
      const subnets = propertiesOf(template, 'AWS::EC2::Subnet');
      expect(new Set(subnets.map((subnet) => subnet.AvailabilityZone as string))).toEqual(new Set(ZONES));
      expect(subnets).toHaveLength(6);
      template.resourceCountIs('AWS::EC2::NatGateway', 3);
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['.s3'])] }),
        VpcEndpointType: 'Gateway',
      });
      template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT', ResourceType: 'VPC' });
    });

    test('composes a 384 MBps MULTI_AZ_2 WAL, the data buckets and three brokers', () => {
      template.hasResourceProperties('AWS::FSx::FileSystem', {
        OntapConfiguration: Match.objectLike({ DeploymentType: 'MULTI_AZ_2', ThroughputCapacity: 384 }),
      });
      template.resourceCountIs('AWS::S3::Bucket', 2);
      // The sizes come from the capacity plan (lib/capacity): one broker per zone at the default 3 AKUs.
      const fleet = cluster.capacityPlan.fleet!;
      expect([fleet.minBrokers, fleet.desiredBrokers]).toEqual([3, 3]);
      template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
        MinSize: String(fleet.minBrokers), DesiredCapacity: String(fleet.desiredBrokers), MaxSize: String(fleet.maxBrokers),
      });
      expect(cluster.akus).toBe(3);
      expect(cluster.walThroughputMBps).toBe(384);
    });

    test('the WAL file servers and the brokers share the private subnets', () => {
      const [fileSystem] = propertiesOf(template, 'AWS::FSx::FileSystem');
      const [group] = propertiesOf(template, 'AWS::AutoScaling::AutoScalingGroup');
      const brokerSubnets = cluster.vpc.privateSubnets.map((subnet) => ({ Ref: logicalIdOf(subnet) }));
      expect(group.VPCZoneIdentifier).toEqual(brokerSubnets);
      expect(fileSystem.SubnetIds).toEqual(brokerSubnets.slice(0, 2));
    });

    test('is connectable: allowing a peer opens the Kafka port on the brokers and the bootstrap load balancer', () => {
      const fromClients = propertiesOf(template, 'AWS::EC2::SecurityGroupIngress')
        .filter((rule) => JSON.stringify(rule.SourceSecurityGroupId) === JSON.stringify(groupIdOf(clients)));
      expect(fromClients).toHaveLength(2);
      expect(fromClients.every((rule) => rule.FromPort === 9092 && rule.ToPort === 9092)).toBe(true);
      expect(cluster.connections.defaultPort?.toString()).toBe('9092');
    });

    test('outputs what clients and operators need', () => {
      const outputs = Object.values(template.findOutputs('*')).map((output) => output.Description as string);
      expect(outputs).toEqual(expect.arrayContaining([
        'Kafka bootstrap.servers (internal Network Load Balancer)',
        'Kafka cluster id reported by the brokers',
        'Where the brokers keep the data (DK_OBJECT_STORE)',
        'FSx for ONTAP file system of the WAL',
        'What the brokers mount over NFS',
        "The brokers' Auto Scaling group",
      ]));
      expect(stack.resolve(cluster.bootstrapServers)).toEqual(stack.resolve(cluster.fleet.bootstrapServers));
    });

    test('the default cluster id is 22 URL-safe base64 characters, stable for the same construct path', () => {
      expect(cluster.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(clusterIn(testStack()).clusterId).toBe(cluster.clusterId);
      expect(clusterIn(testStack('Other')).clusterId).not.toBe(cluster.clusterId);
    });
  });

  describe('existing resources', () => {
    test('an existing VPC: no VPC created, brokers in its private subnets', () => {
      const stack = testStack();
      const vpc = threeZoneVpc(stack, 'TeamVpc');
      clusterIn(stack, { vpc });
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::EC2::VPC', 1);
      template.resourceCountIs('AWS::EC2::FlowLog', 0);
      template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
        VPCZoneIdentifier: vpc.privateSubnets.map((subnet) => ({ Ref: logicalIdOf(subnet) })),
      });
    });

    test('an imported VPC with chosen subnets', () => {
      const stack = testStack();
      const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Imported', {
        vpcId: 'vpc-0123456789abcdef0',
        availabilityZones: ZONES,
        privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa0', 'subnet-0bbbbbbbbbbbbbbb0', 'subnet-0ccccccccccccccc0'],
        privateSubnetRouteTableIds: ['rtb-0aaaaaaaaaaaaaaa0', 'rtb-0bbbbbbbbbbbbbbb0', 'rtb-0ccccccccccccccc0'],
      });
      clusterIn(stack, { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } });
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { VPCZoneIdentifier: ['subnet-0aaaaaaaaaaaaaaa0', 'subnet-0bbbbbbbbbbbbbbb0', 'subnet-0ccccccccccccccc0'] });
      template.hasResourceProperties('AWS::FSx::FileSystem', {
        SubnetIds: ['subnet-0aaaaaaaaaaaaaaa0', 'subnet-0bbbbbbbbbbbbbbb0'],
        OntapConfiguration: Match.objectLike({ RouteTableIds: ['rtb-0aaaaaaaaaaaaaaa0', 'rtb-0bbbbbbbbbbbbbbb0', 'rtb-0ccccccccccccccc0'] }),
      });
    });

    test('an existing WAL file system: no FSx resource, brokers mount it and reach its NFS ports', () => {
      const stack = testStack();
      const walGroup = ec2.SecurityGroup.fromSecurityGroupId(stack, 'WalGroup', 'sg-0123456789abcdef0');
      const walFileSystem = WalFileSystem.fromAttributes(stack, 'Wal', {
        fileSystemId: 'fs-0123456789abcdef0',
        storageVirtualMachineId: 'svm-0123456789abcdef0',
        junctionPath: '/kafka-wal',
        securityGroups: [walGroup],
      });
      const cluster = clusterIn(stack, { walFileSystem, walThroughputMBps: 768 });
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::FSx::FileSystem', 0);
      template.resourceCountIs('AWS::FSx::Volume', 0);
      expect(propertiesOf(template, 'AWS::EC2::SecurityGroupIngress').filter((rule) => rule.GroupId === 'sg-0123456789abcdef0')).toHaveLength(11);
      expect(cluster.walFileSystem).toBe(walFileSystem);
      expect(cluster.walThroughputMBps).toBe(768);
    });

    test('an existing data bucket with its KMS key: no bucket created, brokers granted the key', () => {
      const stack = testStack();
      const key = new kms.Key(stack, 'TeamKey', { enableKeyRotation: true });
      const dataBucket = s3.Bucket.fromBucketAttributes(stack, 'Data', { bucketName: 'team-kafka', encryptionKey: key });
      clusterIn(stack, { dataBucket, dataPrefix: 'orders' });
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::S3::Bucket', 0);
      const statements = propertiesOf(template, 'AWS::IAM::Policy').flatMap((policy) => policy.PolicyDocument.Statement as unknown[]);
      expect(statements).toContainEqual(expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'] }));
      expect(statements).toContainEqual(expect.objectContaining({ Condition: { StringLikeIfExists: { 's3:prefix': 'orders/*' } } }));
    });
  });

  describe('options', () => {
    test('a KMS key encrypts the new data bucket', () => {
      const stack = testStack();
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      clusterIn(stack, { encryptionKey: key });
      Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ BucketKeyEnabled: true })] },
      });
    });

    test.each([
      ['MULTI_AZ_2', 768, 3],
      ['MULTI_AZ_2', 6144, 3],
      ['MULTI_AZ_1', 128, 1],
      ['MULTI_AZ_1', 4096, 3],
    ] as const)('a %s WAL at %d MBps (%d AKU)', (walDeploymentType, walThroughputMBps, akus) => {
      const stack = testStack();
      clusterIn(stack, { walDeploymentType, walThroughputMBps, akus, walStorageCapacityGiB: 2048 });
      Template.fromStack(stack).hasResourceProperties('AWS::FSx::FileSystem', {
        StorageCapacity: 2048,
        OntapConfiguration: Match.objectLike({ DeploymentType: walDeploymentType, ThroughputCapacity: walThroughputMBps }),
      });
    });

    test('MULTI_AZ_1 defaults to its smallest tier', () => {
      expect(clusterIn(testStack(), { walDeploymentType: 'MULTI_AZ_1', akus: 1 }).walThroughputMBps).toBe(128);
    });

    test('an On-Demand base, instance types, broker options, cluster id, akus', () => {
      const stack = testStack();
      const cluster = clusterIn(stack, {
        onDemandBaseCapacity: 1,
        kafkaPort: 19092,
        drainTimeout: Duration.minutes(10),
        instanceTypes: [new ec2.InstanceType('c7g.xlarge'), new ec2.InstanceType('c6g.xlarge')],
        clusterId: 'orders-prod',
        akus: 6,
        walThroughputMBps: 768,
      });
      Template.fromStack(stack).hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
        MixedInstancesPolicy: {
          InstancesDistribution: Match.objectLike({ OnDemandBaseCapacity: 1, OnDemandPercentageAboveBaseCapacity: 0 }),
          LaunchTemplate: Match.objectLike({ Overrides: [{ InstanceType: 'c7g.xlarge' }, { InstanceType: 'c6g.xlarge' }] }),
        },
      });
      Template.fromStack(stack).hasResourceProperties('AWS::AutoScaling::LifecycleHook', { HeartbeatTimeout: 600 });
      expect(stack.resolve(cluster.bootstrapServers)).toEqual({ 'Fn::Join': ['', [expect.anything(), ':19092']] });
      expect(cluster.clusterId).toBe('orders-prod');
      expect(cluster.akus).toBe(6);
    });
  });

  describe('synth errors', () => {
    test('a tier the deployment type does not offer', () => {
      expect(() => clusterIn(testStack(), { walThroughputMBps: 500 })).toThrow(
        'WAL throughput 500 MBps is not an FSx for ONTAP MULTI_AZ_2 tier; allowed: 384, 768, 1536, 3072, 6144 MBps',
      );
    });

    test('the tier of an existing WAL is checked too', () => {
      const stack = testStack();
      const walFileSystem = WalFileSystem.fromAttributes(stack, 'Wal', {
        fileSystemId: 'fs-0123456789abcdef0', storageVirtualMachineId: 'svm-0123456789abcdef0', junctionPath: '/wal', securityGroups: [],
      });
      expect(() => clusterIn(stack, { walFileSystem, walDeploymentType: 'MULTI_AZ_1', walThroughputMBps: 384 })).toThrow(
        'WAL throughput 384 MBps is not an FSx for ONTAP MULTI_AZ_1 tier; allowed: 128, 256, 512, 1024, 2048, 4096 MBps',
      );
    });

    test('a stack that can only see two zones', () => {
      const stack = new Stack(new App(), 'Agnostic');
      expect(() => new DisklessKafkaCluster(stack, 'Kafka', { image })).toThrow(
        'DisklessKafkaCluster needs three Availability Zones, but the stack offers 2: an environment-agnostic or region-only stack '
          + "sees only two. Pass availabilityZones (e.g. ['us-east-1a', 'us-east-1b', 'us-east-1c']) or give the stack an account and region",
      );
    });

    test.each([
      ['two zones', { availabilityZones: ['us-east-1a', 'us-east-1b'] }, 'DisklessKafkaCluster availabilityZones must name three different zones; got 2 (us-east-1a, us-east-1b)'],
      ['four zones', { availabilityZones: [...ZONES, 'us-east-1d'] }, 'got 4 (us-east-1a, us-east-1b, us-east-1c, us-east-1d)'],
      ['a zone twice', { availabilityZones: ['us-east-1a', 'us-east-1a', 'us-east-1b'] }, 'got 3 (us-east-1a, us-east-1a, us-east-1b)'],
      ['vpcSubnets without vpc', { vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } }, 'DisklessKafkaCluster vpcSubnets applies only to an existing vpc; the VPC it creates has one broker subnet per zone'],
      ['zero AKUs', { akus: 0 }, 'DisklessKafkaCluster akus must be an integer of at least 1; got 0'],
      ['a fractional AKU count', { akus: 2.5 }, 'DisklessKafkaCluster akus must be an integer of at least 1; got 2.5'],
      ['a cluster id with a slash', { clusterId: 'a/b' }, "DisklessKafkaCluster clusterId must be 1 to 64 characters of [A-Za-z0-9._-]; got 'a/b'"],
      ['a single-zone WAL', { walDeploymentType: 'SINGLE_AZ_1' }, "WAL deploymentType 'SINGLE_AZ_1' is not allowed"],
    ] as [string, DisklessKafkaClusterProps, string][])('%s', (_name, props, message) => {
      expect(() => clusterIn(testStack(), props)).toThrow(message);
    });

    test('availabilityZones with an existing vpc', () => {
      const stack = testStack();
      expect(() => clusterIn(stack, { vpc: threeZoneVpc(stack), availabilityZones: ZONES })).toThrow(
        'DisklessKafkaCluster availabilityZones applies only to the VPC it creates; with an existing vpc, choose the zones with vpcSubnets',
      );
    });

    test('a WAL size with an existing WAL', () => {
      const stack = testStack();
      const walFileSystem = WalFileSystem.fromAttributes(stack, 'Wal', {
        fileSystemId: 'fs-0123456789abcdef0', storageVirtualMachineId: 'svm-0123456789abcdef0', junctionPath: '/wal', securityGroups: [],
      });
      expect(() => clusterIn(stack, { walFileSystem, walStorageCapacityGiB: 2048 })).toThrow(
        'DisklessKafkaCluster walStorageCapacityGiB applies only to the WAL it creates; it was given with an existing walFileSystem',
      );
    });
  });
});
