import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { BrokerFleet, type BrokerFleetProps, DEFAULT_BROKER_INSTANCE_TYPES } from '../../lib/broker-fleet';
import { BrokerImage } from '../../lib/broker-image';
import { WAL_MOUNT_OPTIONS } from '../../lib/private/nfs';
import { packageRoot } from '../../lib/private/package-root';
import { StreamStorage } from '../../lib/stream-storage';
import { WalFileSystem } from '../../lib/wal-file-system';
import { bash, groupIdOf, hasCommand, logicalIdOf, propertiesOf, renderedUserData, shellcheck, testStack, threeZoneVpc, ZONES } from './support';

const REGISTRY_IMAGE = BrokerImage.fromRegistry('public.ecr.aws/acme/diskless-kafka:1.0.0');
const TLS_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:kafka/tls-AbCdEf';
const USERS_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:kafka/users-GhIjKl';
/** Test-only certificates (test/e2e/tls): a client CA, and a client certificate that is no CA. */
const testPem = (name: string): string => readFileSync(path.join(packageRoot(), 'test', 'e2e', 'tls', name), 'utf8');

interface Fixture {
  readonly stack: Stack;
  readonly vpc: ec2.Vpc;
  readonly wal: WalFileSystem;
  readonly storage: StreamStorage;
}

function fixture(vpcFactory: (stack: Stack) => ec2.Vpc = threeZoneVpc): Fixture {
  const stack = testStack();
  const vpc = vpcFactory(stack);
  const wal = new WalFileSystem(stack, 'Wal', { vpc });
  const storage = new StreamStorage(stack, 'Storage', { bucket: s3.Bucket.fromBucketName(stack, 'Data', 'kafka-data') });
  return { stack, vpc, wal, storage };
}

function fleetIn(f: Fixture, props: Partial<BrokerFleetProps> = {}): BrokerFleet {
  return new BrokerFleet(f.stack, 'Brokers', {
    vpc: f.vpc,
    walFileSystem: f.wal,
    storage: f.storage,
    clusterId: 'test-cluster',
    minCapacity: 3,
    maxCapacity: 6,
    image: REGISTRY_IMAGE,
    ...props,
  });
}

/** Every Action of every statement of every IAM policy in the template. */
function allActions(template: Template): string[] {
  return propertiesOf(template, 'AWS::IAM::Policy').flatMap((policy) =>
    (policy.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((statement) => [statement.Action].flat()),
  );
}

describe('BrokerFleet', () => {
  describe('defaults', () => {
    const f = fixture();
    const fleet = fleetIn(f, { image: BrokerImage.fromAsset() });
    const clients = new ec2.SecurityGroup(f.stack, 'Clients', { vpc: f.vpc });
    fleet.connections.allowDefaultPortFrom(clients);
    const template = Template.fromStack(f.stack);
    const brokerGroup = groupIdOf(fleet.securityGroup);
    const bootstrapGroup = groupIdOf(fleet.loadBalancer.connections.securityGroups[0]);

    test('one Auto Scaling group over the three private subnets, capacity rebalancing on', () => {
      template.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 1);
      template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
        VPCZoneIdentifier: f.vpc.privateSubnets.map((subnet) => ({ Ref: logicalIdOf(subnet) })),
        MinSize: '3',
        MaxSize: '6',
        CapacityRebalance: true,
        HealthCheckType: 'ELB',
        HealthCheckGracePeriod: 600,
      });
    });

    test('all Spot, price-capacity-optimized, over several Graviton instance types', () => {
      template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
        MixedInstancesPolicy: {
          InstancesDistribution: {
            OnDemandBaseCapacity: 0,
            OnDemandPercentageAboveBaseCapacity: 0,
            SpotAllocationStrategy: 'price-capacity-optimized',
          },
          LaunchTemplate: Match.objectLike({
            Overrides: DEFAULT_BROKER_INSTANCE_TYPES.map((instanceType) => ({ InstanceType: instanceType })),
          }),
        },
      });
      expect(DEFAULT_BROKER_INSTANCE_TYPES.length).toBeGreaterThan(2);
      expect(DEFAULT_BROKER_INSTANCE_TYPES.every((type) => new ec2.InstanceType(type).architecture === ec2.InstanceArchitecture.ARM_64)).toBe(true);
    });

    test('a termination lifecycle hook that waits up to 5 minutes for the drain', () => {
      template.hasResourceProperties('AWS::AutoScaling::LifecycleHook', {
        AutoScalingGroupName: { Ref: logicalIdOf(fleet.autoScalingGroup) },
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
        LifecycleHookName: 'diskless-kafka-drain',
        HeartbeatTimeout: 300,
        DefaultResult: 'CONTINUE',
      });
    });

    test('Amazon Linux 2023 for arm64, IMDSv2 required, instance tags in metadata, encrypted root, no SSH key', () => {
      template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
        LaunchTemplateData: Match.objectLike({
          MetadataOptions: { HttpTokens: 'required', InstanceMetadataTags: 'enabled' },
          BlockDeviceMappings: [{
            DeviceName: '/dev/xvda',
            Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: 30, DeleteOnTermination: true },
          }],
          KeyName: Match.absent(),
        }),
      });
      const parameters = Object.values(template.findParameters('*'));
      expect(parameters).toContainEqual(expect.objectContaining({
        Default: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64',
      }));
    });

    test('the instance role: Session Manager, no wildcard action anywhere', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })] },
        ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore']] }],
      });
      const actions = allActions(template);
      expect(actions).toEqual(expect.arrayContaining(['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket', 's3:AbortMultipartUpload']));
      expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    });

    test('the drain may complete and extend lifecycle actions of this group only', () => {
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [{
            Effect: 'Allow',
            Action: 'autoscaling:CompleteLifecycleAction',
            Resource: {
              'Fn::Join': ['', [
                'arn:', { Ref: 'AWS::Partition' }, ':autoscaling:us-east-1:', { Ref: 'AWS::AccountId' },
                ':autoScalingGroup:*:autoScalingGroupName/', { Ref: logicalIdOf(fleet.autoScalingGroup) },
              ]],
            },
          }],
        },
      });
    });

    test('the brokers pull their image from the asset repository and write their container logs', () => {
      expect(allActions(template)).toEqual(expect.arrayContaining([
        'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:GetAuthorizationToken', 'logs:CreateLogStream', 'logs:PutLogEvents',
      ]));
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    });

    test('Kafka reaches the brokers only from peers, the bootstrap load balancer and allowed clients', () => {
      const ingress = propertiesOf(template, 'AWS::EC2::SecurityGroupIngress').filter((rule) => rule.FromPort === 9092);
      expect(ingress.every((rule) => rule.CidrIp === undefined && rule.ToPort === 9092 && rule.IpProtocol === 'tcp')).toBe(true);
      const sources = (group: unknown) => ingress
        .filter((rule) => JSON.stringify(rule.GroupId) === JSON.stringify(group))
        .map((rule) => rule.SourceSecurityGroupId as unknown);
      expect(sources(brokerGroup)).toEqual(expect.arrayContaining([brokerGroup, bootstrapGroup, groupIdOf(clients)]));
      expect(sources(brokerGroup)).toHaveLength(3);
      expect(sources(bootstrapGroup)).toEqual([groupIdOf(clients)]);
    });

    test('no security group admits anything from an address range', () => {
      for (const group of propertiesOf(template, 'AWS::EC2::SecurityGroup')) {
        expect(group.SecurityGroupIngress).toBeUndefined();
      }
      expect(propertiesOf(template, 'AWS::EC2::SecurityGroupIngress').filter((rule) => rule.CidrIp !== undefined)).toEqual([]);
    });

    test('the brokers send HTTPS anywhere, NFS to the WAL and Kafka to each other, nothing else', () => {
      template.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: 'diskless-kafka brokers',
        SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: Match.anyValue() }],
      });
      const egress = propertiesOf(template, 'AWS::EC2::SecurityGroupEgress').filter((rule) => JSON.stringify(rule.GroupId) === JSON.stringify(brokerGroup));
      const walGroup = groupIdOf(f.wal.connections.securityGroups[0]);
      const toWal = egress.filter((rule) => JSON.stringify(rule.DestinationSecurityGroupId) === JSON.stringify(walGroup));
      expect(toWal.map((rule) => rule.FromPort as number).sort((a, b) => a - b)).toEqual([111, 111, 635, 635, 2049, 2049, 4045, 4045, 4046, 4046, 4049]);
      expect(egress.filter((rule) => !toWal.includes(rule))).toEqual([
        expect.objectContaining({ DestinationSecurityGroupId: brokerGroup, FromPort: 9092, ToPort: 9092 }),
      ]);
    });

    test('the WAL admits NFS from the brokers', () => {
      const walIngress = propertiesOf(template, 'AWS::EC2::SecurityGroupIngress')
        .filter((rule) => JSON.stringify(rule.GroupId) === JSON.stringify(groupIdOf(f.wal.connections.securityGroups[0])));
      expect(walIngress).toHaveLength(11);
      expect(walIngress.every((rule) => JSON.stringify(rule.SourceSecurityGroupId) === JSON.stringify(brokerGroup))).toBe(true);
    });

    test('an internal Network Load Balancer gives clients one bootstrap address', () => {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        Type: 'network',
        Scheme: 'internal',
        Subnets: f.vpc.privateSubnets.map((subnet) => ({ Ref: logicalIdOf(subnet) })),
      });
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 9092, Protocol: 'TCP' });
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: 9092, Protocol: 'TCP', HealthCheckProtocol: 'TCP' });
      expect(f.stack.resolve(fleet.bootstrapServers)).toEqual({
        'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalIdOf(fleet.loadBalancer), 'DNSName'] }, ':9092']],
      });
    });

    describe('user data', () => {
      const userData = renderedUserData(template);

      test('passes shellcheck', () => {
        expect(hasCommand('shellcheck')).toBe(true); // .ci/run installs it
        expect(shellcheck(userData)).toBe('');
      });

      test('fits in EC2 user data (16 KiB before base64)', () => {
        expect(Buffer.byteLength(userData)).toBeLessThan(16 * 1024);
      });

      test('mounts the WAL volume over NFS 4.1, hard, with the documented options', () => {
        expect(userData).toContain("readonly WAL_JUNCTION_PATH='/wal'");
        expect(userData).toContain(`readonly WAL_MOUNT_OPTIONS='${WAL_MOUNT_OPTIONS}'`);
        expect(WAL_MOUNT_OPTIONS.split(',')).toEqual(expect.arrayContaining(['nfsvers=4.1', 'hard', 'rsize=1048576', 'wsize=1048576']));
        expect(userData).toContain('retry mount "${WAL_MOUNT_POINT}"');
      });

      test('logs in to ECR, then runs the image with host networking, restart always, configured by DK_* variables', () => {
        expect(userData).toMatch(/^readonly ECR_REGISTRY='CFN_REFERENCE'$/m);
        expect(userData).toMatch(/docker run --detach --name diskless-kafka --init --restart always --network host/);
        for (const variable of [
          'DK_CLUSTER_MODE=true', 'DK_HOST=0.0.0.0', 'DK_PORT=${KAFKA_PORT}', 'DK_ADVERTISED_HOST=${advertised_host}', 'DK_NODE_ID=$(node_id_of "${instance_ipv4}")',
          'DK_ZONE=${zone}', 'DK_CLUSTER_ID=${CLUSTER_ID}', 'DK_WAL_DIR=${WAL_MOUNT_POINT}', 'DK_OBJECT_STORE=${OBJECT_STORE_URL}',
          'DK_LIFECYCLE_HOOK_NAME=${LIFECYCLE_HOOK_NAME}', 'DK_AUTO_SCALING_GROUP_NAME=${group_name}', 'AWS_REGION=${AWS_REGION_NAME}',
        ]) {
          expect(userData).toContain(`\n${variable}\n`);
        }
        expect(userData).toContain("readonly CLUSTER_ID='test-cluster'");
        expect(userData).toContain("readonly OBJECT_STORE_URL='s3://kafka-data/kafka'");
        expect(userData).toContain("readonly LIFECYCLE_HOOK_NAME='diskless-kafka-drain'");
      });
    });
  });

  describe('node id', () => {
    const script = path.join(packageRoot(), 'lib', 'private', 'broker-bootstrap.sh');
    /** The same rule, written independently in JavaScript: the IPv4 address as an int32, masked to 31 bits. */
    const expected = (ip: string) => ip.split('.').map(Number).reduce((acc, octet) => ((acc << 8) | octet) >>> 0, 0) & 0x7fffffff;

    test.each(['10.0.1.5', '10.0.255.254', '172.31.16.9', '192.168.0.1', '100.64.3.200'])('of %s is its address masked to 31 bits', (ip) => {
      const nodeId = Number(bash(`source '${script}'; node_id_of '${ip}'`).trim());
      expect(nodeId).toBe(expected(ip));
      expect(nodeId).toBeGreaterThanOrEqual(0);
      expect(nodeId).toBeLessThanOrEqual(2 ** 31 - 1);
    });

    test('of 10.0.1.5 is 167772421', () => {
      expect(bash(`source '${script}'; node_id_of 10.0.1.5`).trim()).toBe('167772421');
    });

    test('differs for every address of a /16', () => {
      const ids = bash(`source '${script}'; for i in 0 1 2 255; do for j in 0 1 254 255; do node_id_of "10.7.$i.$j"; done; done`).trim().split('\n');
      expect(new Set(ids).size).toBe(16);
    });
  });

  describe('options', () => {
    test('an On-Demand base, the rest Spot', () => {
      const f = fixture();
      fleetIn(f, { onDemandBaseCapacity: 1 });
      Template.fromStack(f.stack).hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
        MixedInstancesPolicy: Match.objectLike({
          InstancesDistribution: Match.objectLike({ OnDemandBaseCapacity: 1, OnDemandPercentageAboveBaseCapacity: 0 }),
        }),
      });
    });

    test('x86 instance types get the x86 AMI', () => {
      const f = fixture();
      fleetIn(f, { instanceTypes: [new ec2.InstanceType('m7i.large'), new ec2.InstanceType('m6i.large')] });
      const parameters = Object.values(Template.fromStack(f.stack).findParameters('*'));
      expect(parameters).toContainEqual(expect.objectContaining({
        Default: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64',
      }));
    });

    test('a registry image needs no ECR permission and no registry login', () => {
      const f = fixture();
      fleetIn(f);
      const template = Template.fromStack(f.stack);
      expect(allActions(template).filter((action) => action.startsWith('ecr:'))).toEqual([]);
      expect(renderedUserData(template)).toMatch(/^readonly ECR_REGISTRY=''$/m);
      expect(renderedUserData(template)).toMatch(/^readonly BROKER_IMAGE='public\.ecr\.aws\/acme\/diskless-kafka:1\.0\.0'$/m);
      expect(shellcheck(renderedUserData(template))).toBe('');
    });

    test('sizes, drain timeout, port, root volume, log retention and notifications', () => {
      const f = fixture();
      const topic = new sns.Topic(f.stack, 'Topic', { enforceSSL: true });
      fleetIn(f, {
        minCapacity: 3, maxCapacity: 9, desiredCapacity: 6, drainTimeout: Duration.minutes(15),
        kafkaPort: 19092, rootVolumeSizeGiB: 50, notificationTopic: topic,
      });
      const template = Template.fromStack(f.stack);
      template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
        MinSize: '3', MaxSize: '9', DesiredCapacity: '6',
        NotificationConfigurations: [Match.objectLike({ TopicARN: { Ref: logicalIdOf(topic) } })],
      });
      template.hasResourceProperties('AWS::AutoScaling::LifecycleHook', { HeartbeatTimeout: 900 });
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 19092 });
      template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
        LaunchTemplateData: Match.objectLike({ BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ VolumeSize: 50 }) })] }),
      });
      expect(renderedUserData(template)).toContain("readonly KAFKA_PORT='19092'");
      expect(renderedUserData(template)).toMatch(/^readonly METRICS_PORT=''$/m);
    });

    test('a metrics port reaches the user data', () => {
      const f = fixture();
      fleetIn(f, { metricsPort: 9404 });
      expect(renderedUserData(Template.fromStack(f.stack))).toContain("readonly METRICS_PORT='9404'");
    });
  });

  describe('TLS and SASL', () => {
    const f = fixture();
    const certificateSecret = secretsmanager.Secret.fromSecretCompleteArn(f.stack, 'Tls', TLS_SECRET_ARN);
    const usersSecret = secretsmanager.Secret.fromSecretCompleteArn(f.stack, 'Users', USERS_SECRET_ARN);
    const fleet = fleetIn(f, { tls: { certificateSecret, clientCertificateAuthorities: testPem('client-ca.pem') }, sasl: { usersSecret } });
    const template = Template.fromStack(f.stack);
    const userData = renderedUserData(template);

    test('the security protocol follows the options', () => {
      expect(fleet.securityProtocol).toBe('SASL_SSL');
      const protocolOf = (tls: boolean, sasl: boolean) => {
        const g = fixture();
        return fleetIn(g, {
          tls: tls ? { certificateSecret: secretsmanager.Secret.fromSecretCompleteArn(g.stack, 'Tls', TLS_SECRET_ARN) } : undefined,
          sasl: sasl ? { usersSecret: secretsmanager.Secret.fromSecretCompleteArn(g.stack, 'Users', USERS_SECRET_ARN) } : undefined,
        }).securityProtocol;
      };
      expect([protocolOf(false, false), protocolOf(true, false), protocolOf(false, true)]).toEqual(['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT']);
    });

    test('the instance role may read those two secrets and no other', () => {
      const secretStatements = propertiesOf(template, 'AWS::IAM::Policy')
        .flatMap((policy) => policy.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
        .filter((statement) => [statement.Action].flat().some((action) => action.startsWith('secretsmanager:')));
      expect(secretStatements.map(({ Action, Resource }) => ({ Action, Resource }))).toEqual([TLS_SECRET_ARN, USERS_SECRET_ARN].map((arn) => ({
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: arn,
      })));
    });

    test('the user data names the secrets and carries the client CAs, passes shellcheck and fits', () => {
      expect(userData).toContain(`readonly TLS_SECRET_ARN='${TLS_SECRET_ARN}'`);
      expect(userData).toContain(`readonly SASL_USERS_SECRET_ARN='${USERS_SECRET_ARN}'`);
      expect(userData).toContain(`readonly CLIENT_CA_PEM='${testPem('client-ca.pem')}'`);
      expect(shellcheck(userData)).toBe('');
      expect(Buffer.byteLength(userData)).toBeLessThan(16 * 1024);
    });

    test('without them the user data leaves all three empty (the bootstrap then writes no credentials)', () => {
      const plain = renderedUserData(Template.fromStack(Stack.of(fleetIn(fixture()))));
      expect(plain).toMatch(/^readonly TLS_SECRET_ARN=''$/m);
      expect(plain).toMatch(/^readonly CLIENT_CA_PEM=''$/m);
      expect(plain).toMatch(/^readonly SASL_USERS_SECRET_ARN=''$/m);
    });

    test('a secret encrypted with a customer key: the role may decrypt with that key', () => {
      const g = fixture();
      const key = new kms.Key(g.stack, 'TlsKey', { enableKeyRotation: true });
      fleetIn(g, { tls: { certificateSecret: secretsmanager.Secret.fromSecretAttributes(g.stack, 'Tls', { secretCompleteArn: TLS_SECRET_ARN, encryptionKey: key }) } });
      const statements = propertiesOf(Template.fromStack(g.stack), 'AWS::KMS::Key')[0].KeyPolicy.Statement as { Action: string | string[] }[];
      expect(statements.flatMap((statement) => [statement.Action].flat())).toContain('kms:Decrypt');
    });
  });

  describe('synth errors', () => {
    test('instance types of two architectures', () => {
      expect(() => fleetIn(fixture(), { instanceTypes: [new ec2.InstanceType('m7g.large'), new ec2.InstanceType('m7i.large')] })).toThrow(
        'BrokerFleet instanceTypes mix CPU architectures: m7g.large (arm64), m7i.large (x86_64); use one architecture',
      );
    });

    test('no instance type', () => {
      expect(() => fleetIn(fixture(), { instanceTypes: [] })).toThrow('BrokerFleet instanceTypes must list 1 to 40 instance types; got 0');
    });

    test('subnets in two zones', () => {
      const f = fixture();
      expect(() => fleetIn(f, { vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, availabilityZones: ZONES.slice(0, 2) } })).toThrow(
        'BrokerFleet needs exactly one subnet in each of 3 Availability Zones; the selected subnets are 2 in 2 zone(s) (us-east-1a, us-east-1b). '
          + 'Choose them with vpcSubnets (e.g. subnetGroupName and availabilityZones)',
      );
    });

    test('subnets in four zones', () => {
      const f = fixture((stack) => new ec2.Vpc(stack, 'Vpc', { availabilityZones: [...ZONES, 'us-east-1d'], natGateways: 1 }));
      expect(() => fleetIn(f)).toThrow('the selected subnets are 4 in 4 zone(s) (us-east-1a, us-east-1b, us-east-1c, us-east-1d)');
    });

    test('two subnets in one zone', () => {
      const f = fixture((stack) => new ec2.Vpc(stack, 'Vpc', {
        availabilityZones: ZONES,
        natGateways: 1,
        subnetConfiguration: [
          { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
          { name: 'A', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
          { name: 'B', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        ],
      }));
      const [a, b] = f.vpc.selectSubnets({ subnetGroupName: 'A' }).subnets;
      const c = f.vpc.selectSubnets({ subnetGroupName: 'B' }).subnets[0];
      expect(() => fleetIn(f, { vpcSubnets: { subnets: [a, b, c] } })).toThrow(
        'the selected subnets are 3 in 2 zone(s) (us-east-1a, us-east-1b, us-east-1a)',
      );
    });

    test.each([
      ['max below min', { minCapacity: 4, maxCapacity: 3 }, 'BrokerFleet maxCapacity must be an integer of at least 4; got 3'],
      ['negative min', { minCapacity: -1 }, 'BrokerFleet minCapacity must be an integer of at least 0; got -1'],
      ['desired above max', { desiredCapacity: 7 }, 'BrokerFleet desiredCapacity must be an integer from 3 to 6; got 7'],
      ['On-Demand base above max', { onDemandBaseCapacity: 7 }, 'BrokerFleet onDemandBaseCapacity must be an integer from 0 to 6; got 7'],
      ['drain under 30 s', { drainTimeout: Duration.seconds(10) }, 'BrokerFleet drainTimeout (seconds) must be an integer from 30 to 7200; got 10'],
      ['drain over 2 h', { drainTimeout: Duration.hours(3) }, 'BrokerFleet drainTimeout (seconds) must be an integer from 30 to 7200; got 10800'],
      ['port 0', { kafkaPort: 0 }, 'BrokerFleet kafkaPort must be an integer from 1 to 65535; got 0'],
      ['root volume under 8 GiB', { rootVolumeSizeGiB: 4 }, 'BrokerFleet rootVolumeSizeGiB must be an integer of at least 8; got 4'],
      ['metrics port 0', { metricsPort: 0 }, 'BrokerFleet metricsPort must be an integer from 1 to 65535; got 0'],
      ['metrics on the Kafka port', { metricsPort: 9092 }, 'BrokerFleet metricsPort must differ from kafkaPort; both are 9092'],
      ['cluster id with a space', { clusterId: 'my cluster' }, "BrokerFleet clusterId must be 1 to 64 characters of [A-Za-z0-9._-]; got 'my cluster'"],
    ])('%s', (_name, props, message) => {
      expect(() => fleetIn(fixture(), props)).toThrow(message);
    });

    describe('tls.clientCertificateAuthorities', () => {
      const withClientCas = (pem: string) => {
        const f = fixture();
        return () => fleetIn(f, { tls: { certificateSecret: secretsmanager.Secret.fromSecretCompleteArn(f.stack, 'Tls', TLS_SECRET_ARN), clientCertificateAuthorities: pem } });
      };

      test('no PEM certificate in it', () => {
        expect(withClientCas('client-ca.pem')).toThrow(
          "BrokerFleet tls.clientCertificateAuthorities must be one or more PEM certificates ('-----BEGIN CERTIFICATE-----' blocks); got none in 13 bytes",
        );
      });

      test('a block that is not a certificate', () => {
        expect(withClientCas(`${testPem('client-ca.pem')}-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n`)).toThrow(
          /^BrokerFleet tls\.clientCertificateAuthorities: certificate 2 of 2 is not a valid X\.509 certificate \(.+\)$/,
        );
      });

      test('a certificate that is no CA', () => {
        expect(withClientCas(testPem('client.pem'))).toThrow(
          'BrokerFleet tls.clientCertificateAuthorities: certificate 1 of 1 (CN=test-client) is not a CA certificate '
            + '(its basic constraints say CA:FALSE); give the authorities that sign client certificates',
        );
      });

      test('more than the user data can carry', () => {
        const pem = testPem('client-ca.pem');
        const many = pem.repeat(Math.ceil(8193 / pem.length));
        expect(withClientCas(many)).toThrow(
          `BrokerFleet tls.clientCertificateAuthorities must be at most 8192 bytes of PEM (it travels in the EC2 user data); got ${Buffer.byteLength(many)}`,
        );
      });
    });
  });
});
