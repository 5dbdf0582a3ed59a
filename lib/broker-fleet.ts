import { Duration, Fn, Tags, Token, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { BrokerImage } from './broker-image';
import { type BrokerSaslOptions, type BrokerTlsOptions, type SecurityProtocol, securityProtocolOf, validateBrokerTls } from './broker-security';
import { renderBrokerUserData } from './private/broker-user-data';
import { acknowledgeWildcardResource, defaultPolicyOf } from './private/nag';
import { listOf, validateInteger, validatePattern } from './private/validate';
import type { IStreamStorage } from './stream-storage';
import type { IWalFileSystem } from './wal-file-system';
import { FLEET_ZONES } from './capacity/fleet';

/** Graviton types of similar size (2 vCPUs, 8-16 GiB): several pools for Spot to choose from. */
export const DEFAULT_BROKER_INSTANCE_TYPES: readonly string[] = ['m7g.large', 'm6g.large', 'r7g.large', 'r6g.large'];

/** The name of the termination lifecycle hook; the broker's drain completes it (DK_LIFECYCLE_HOOK_NAME). */
export const DRAIN_LIFECYCLE_HOOK_NAME = 'diskless-kafka-drain';

/** Mixed-instances policies take at most this many instance types (launch template overrides). */
const MAX_INSTANCE_TYPES = 40;

/** How the brokers run: the options a DisklessKafkaCluster passes through to its fleet. */
export interface BrokerFleetOptions {
  /**
   * The broker image.
   *
   * @default BrokerImage.fromAsset() - the package's Dockerfile, built at asset publishing
   */
  readonly image?: BrokerImage;
  /**
   * The instance types Spot may choose from, all of one CPU architecture (the AMI and the image
   * follow it).
   *
   * @default - DEFAULT_BROKER_INSTANCE_TYPES (Graviton)
   */
  readonly instanceTypes?: ec2.InstanceType[];
  /**
   * How many brokers run on On-Demand instances; every broker above this base runs on Spot.
   *
   * @default 0
   */
  readonly onDemandBaseCapacity?: number;
  /**
   * The Kafka listener port.
   *
   * @default 9092
   */
  readonly kafkaPort?: number;
  /**
   * How long a terminating broker may take to drain (upload its WAL, hand over its partitions)
   * before the instance goes: the heartbeat timeout of the termination lifecycle hook. The broker
   * completes the hook when done, or extends it with heartbeats. Spot interruptions give
   * 2 minutes whatever this says.
   *
   * @default Duration.minutes(5)
   */
  readonly drainTimeout?: Duration;
  /**
   * The size of each broker's encrypted gp3 root volume, in GiB (the OS and the image only; the
   * data is on the WAL and in S3).
   *
   * @default 30
   */
  readonly rootVolumeSizeGiB?: number;
  /**
   * An SNS topic for the group's scaling notifications (launch, terminate, failures).
   *
   * @default - none; scaling activity is in the Auto Scaling activity history and EventBridge
   */
  readonly notificationTopic?: sns.ITopic;
  /**
   * How long the brokers' container logs stay in CloudWatch Logs.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * TLS on the Kafka listener (Kafka's `SSL` security protocol), optionally with client
   * certificates. Brokers then advertise their EC2 private DNS names: the VPC must have DNS
   * hostnames and DNS support on (a VPC this package creates has both).
   *
   * @default - plaintext (Kafka's `PLAINTEXT`)
   */
  readonly tls?: BrokerTlsOptions;
  /**
   * SASL authentication (SCRAM-SHA-512, SCRAM-SHA-256, PLAIN) against a users file kept in
   * Secrets Manager: Kafka's `SASL_SSL` with `tls`, `SASL_PLAINTEXT` without.
   *
   * @default - no authentication
   */
  readonly sasl?: BrokerSaslOptions;
  /**
   * Serve Prometheus metrics at `http://<broker>:<metricsPort>/metrics`. Nothing may reach the
   * port until allowed: `fleet.securityGroup.connections.allowFrom(scraper, ec2.Port.tcp(metricsPort))`.
   *
   * @default - no metrics endpoint
   */
  readonly metricsPort?: number;
}

/** What a fleet is wired to, and its size. */
export interface BrokerFleetProps extends BrokerFleetOptions {
  /** The VPC of the brokers. */
  readonly vpc: ec2.IVpc;
  /**
   * The brokers' subnets: exactly one in each of three Availability Zones.
   *
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** The WAL the brokers mount over NFS; the fleet opens its NFS ports to the brokers. */
  readonly walFileSystem: IWalFileSystem;
  /** Where the brokers keep the data; the fleet's role is granted access to it. */
  readonly storage: IStreamStorage;
  /** The Kafka cluster id every broker reports (DK_CLUSTER_ID): [A-Za-z0-9._-], 1 to 64 characters. */
  readonly clusterId: string;
  /** The fewest brokers. */
  readonly minCapacity: number;
  /** The most brokers. */
  readonly maxCapacity: number;
  /**
   * The number of brokers to run. When set, every deployment resets the group to it.
   *
   * @default - `minCapacity` at creation, then left alone
   */
  readonly desiredCapacity?: number;
}

/**
 * The brokers: one Auto Scaling group of Spot instances (above an optional On-Demand base) over
 * exactly three Availability Zones, each instance running the broker container with the WAL
 * mounted over NFS; an internal Network Load Balancer gives clients one bootstrap address.
 *
 * `connections` is the Kafka listener: `fleet.connections.allowDefaultPortFrom(peer)` lets
 * clients reach the bootstrap address and every broker. Nothing is open to clients by default.
 */
export class BrokerFleet extends Construct implements ec2.IConnectable {
  /** The Kafka listener of the brokers and of the bootstrap load balancer. */
  readonly connections: ec2.Connections;
  /** `host:port` of the bootstrap load balancer, for clients' `bootstrap.servers`. */
  readonly bootstrapServers: string;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly role: iam.IRole;
  /** The brokers' own security group (NFS to the WAL, Kafka between brokers). */
  readonly securityGroup: ec2.ISecurityGroup;
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  /** The brokers' container logs, one stream per instance id. */
  readonly logGroup: logs.ILogGroup;
  readonly lifecycleHookName = DRAIN_LIFECYCLE_HOOK_NAME;
  readonly kafkaPort: number;
  /** The Kafka `security.protocol` clients use: `SASL_SSL`, `SASL_PLAINTEXT`, `SSL` or `PLAINTEXT`. */
  readonly securityProtocol: SecurityProtocol;

  constructor(scope: Construct, id: string, props: BrokerFleetProps) {
    super(scope, id);
    this.kafkaPort = props.kafkaPort ?? 9092;
    const instanceTypes = props.instanceTypes ?? DEFAULT_BROKER_INSTANCE_TYPES.map((t) => new ec2.InstanceType(t));
    const drainTimeout = props.drainTimeout ?? Duration.minutes(5);
    validateFleetProps(props, this.kafkaPort, drainTimeout);
    this.securityProtocol = securityProtocolOf(props.tls, props.sasl);
    const cpuArchitecture = singleArchitecture(instanceTypes);
    const subnets = threeZoneSubnets(props.vpc, props.vpcSubnets);

    const brokerSecurityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'diskless-kafka brokers',
      allowAllOutbound: false,
    });
    // AWS APIs (S3, ECR, SSM, CloudWatch Logs, Auto Scaling) and the OS package repositories are
    // HTTPS; DNS, NTP and instance metadata are not subject to security groups.
    brokerSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs and package repositories');
    brokerSecurityGroup.connections.allowInternally(ec2.Port.tcp(this.kafkaPort), 'Kafka between brokers');
    props.walFileSystem.allowNfsFrom(brokerSecurityGroup);
    this.securityGroup = brokerSecurityGroup;

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });
    const role = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'diskless-kafka broker instances',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      reason: 'Session Manager replaces SSH (no key pair, no inbound port); this AWS policy is the documented minimum for it.',
    });
    this.role = role;
    props.storage.grantBrokerAccess(role);
    this.logGroup.grantWrite(role);
    props.tls?.certificateSecret.grantRead(role);
    props.sasl?.usersSecret.grantRead(role);

    const image = (props.image ?? BrokerImage.fromAsset()).bind(this, { cpuArchitecture });
    if (image.repository) {
      image.repository.grantPull(role);
      acknowledgeWildcardResource(
        defaultPolicyOf(role)!,
        '*',
        'ecr:GetAuthorizationToken (the registry login before pulling the broker image) supports no resource-level permissions.',
      );
    }

    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: ec2.MachineImage.latestAmazonLinux2023({
        cpuType: cpuArchitecture === ec2.InstanceArchitecture.ARM_64
          ? ec2.AmazonLinuxCpuType.ARM_64
          : ec2.AmazonLinuxCpuType.X86_64,
      }),
      role,
      securityGroup: brokerSecurityGroup,
      requireImdsv2: true,
      // The bootstrap reads the group's name from the instance's tags in metadata.
      instanceMetadataTags: true,
      blockDevices: [{
        deviceName: '/dev/xvda',
        volume: ec2.BlockDeviceVolume.ebs(props.rootVolumeSizeGiB ?? 30, {
          encrypted: true,
          volumeType: ec2.EbsDeviceVolumeType.GP3,
          deleteOnTermination: true,
        }),
      }],
      userData: ec2.UserData.custom(renderBrokerUserData({
        region: props.vpc.env.region,
        nfsDnsName: props.walFileSystem.nfsDnsName,
        junctionPath: props.walFileSystem.junctionPath,
        imageUri: image.imageUri,
        ecrRegistry: image.repository ? Fn.select(0, Fn.split('/', image.imageUri)) : '',
        kafkaPort: this.kafkaPort,
        clusterId: props.clusterId,
        objectStoreUrl: props.storage.objectStoreUrl,
        lifecycleHookName: DRAIN_LIFECYCLE_HOOK_NAME,
        logGroupName: this.logGroup.logGroupName,
        tlsSecretArn: props.tls?.certificateSecret.secretArn ?? '',
        clientCaPem: props.tls?.clientCertificateAuthorities ?? '',
        saslUsersSecretArn: props.sasl?.usersSecret.secretArn ?? '',
        metricsPort: props.metricsPort,
      })),
    });

    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Group', {
      vpc: props.vpc,
      vpcSubnets: { subnets },
      minCapacity: props.minCapacity,
      maxCapacity: props.maxCapacity,
      desiredCapacity: props.desiredCapacity,
      mixedInstancesPolicy: {
        launchTemplate,
        launchTemplateOverrides: instanceTypes.map((instanceType) => ({ instanceType })),
        instancesDistribution: {
          onDemandBaseCapacity: props.onDemandBaseCapacity ?? 0,
          onDemandPercentageAboveBaseCapacity: 0,
          spotAllocationStrategy: autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
        },
      },
      // Launch a replacement when EC2 warns that a Spot instance is at elevated risk of interruption.
      capacityRebalance: true,
      // A broker that stops answering on its Kafka port is replaced; the grace covers the bootstrap.
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
        gracePeriod: Duration.minutes(10),
      }),
      notifications: props.notificationTopic ? [{ topic: props.notificationTopic }] : undefined,
    });
    this.autoScalingGroup.node.addDependency(props.walFileSystem);
    Tags.of(this.autoScalingGroup).add('Name', 'diskless-kafka-broker');
    this.acknowledgeGroupFindings(props);

    this.autoScalingGroup.addLifecycleHook('Drain', {
      lifecycleHookName: DRAIN_LIFECYCLE_HOOK_NAME,
      lifecycleTransition: autoscaling.LifecycleTransition.INSTANCE_TERMINATING,
      heartbeatTimeout: drainTimeout,
      defaultResult: autoscaling.DefaultResult.CONTINUE,
    });
    this.grantDrain(role);

    const bootstrapSecurityGroup = new ec2.SecurityGroup(this, 'BootstrapSecurityGroup', {
      vpc: props.vpc,
      description: 'diskless-kafka bootstrap load balancer',
      allowAllOutbound: false,
    });
    this.loadBalancer = this.createBootstrapLoadBalancer(props.vpc, subnets, bootstrapSecurityGroup, brokerSecurityGroup);
    this.bootstrapServers = `${this.loadBalancer.loadBalancerDnsName}:${this.kafkaPort}`;
    this.connections = new ec2.Connections({
      securityGroups: [brokerSecurityGroup, bootstrapSecurityGroup],
      defaultPort: ec2.Port.tcp(this.kafkaPort),
    });
  }

  /**
   * The drain's one call (CompleteLifecycleAction), on this group only: the resource is the group's ARN with its name
   * (the ARN's group UUID is not known to CloudFormation, hence the one `*`).
   */
  private grantDrain(role: iam.IRole): void {
    const policy = new iam.Policy(this, 'DrainPolicy', {
      roles: [role],
      statements: [new iam.PolicyStatement({
        actions: ['autoscaling:CompleteLifecycleAction'],
        resources: [this.autoScalingGroup.autoScalingGroupArn],
      })],
    });
    acknowledgeWildcardResource(
      policy,
      this.autoScalingGroup.autoScalingGroupArn,
      "The group's ARN contains a UUID CloudFormation does not expose; the group name pins the resource to this group.",
    );
  }

  private acknowledgeGroupFindings(props: BrokerFleetProps): void {
    const group = Validations.of(this.autoScalingGroup);
    if (!props.notificationTopic) {
      group.acknowledge({
        id: 'AwsSolutions-AS3',
        reason: 'Scaling activity is in the group activity history and in EventBridge; pass notificationTopic for SNS notifications.',
      });
    }
    group.acknowledge({
      id: 'AwsSolutions-EC26',
      reason: 'The root volume is encrypted in the launch template (rootVolumeSizeGiB); the rule cannot read a mixed-instances policy.',
    });
    if (props.desiredCapacity !== undefined) {
      group.acknowledge({
        id: '@aws-cdk/aws-autoscaling:desiredCapacitySet',
        reason: 'The desired size comes from the capacity plan: each deployment setting it is intended.',
      });
    }
  }

  private createBootstrapLoadBalancer(
    vpc: ec2.IVpc,
    subnets: ec2.ISubnet[],
    bootstrapSecurityGroup: ec2.SecurityGroup,
    brokerSecurityGroup: ec2.SecurityGroup,
  ): elbv2.NetworkLoadBalancer {
    const loadBalancer = new elbv2.NetworkLoadBalancer(this, 'Bootstrap', {
      vpc,
      vpcSubnets: { subnets },
      internetFacing: false,
      crossZoneEnabled: true,
      securityGroups: [bootstrapSecurityGroup],
    });
    Validations.of(loadBalancer).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason: 'Network Load Balancers write access logs only for TLS listeners; this one is a TCP listener for Kafka bootstrap.',
    });
    const listener = loadBalancer.addListener('Kafka', { port: this.kafkaPort, protocol: elbv2.Protocol.TCP });
    listener.addTargets('Brokers', {
      port: this.kafkaPort,
      protocol: elbv2.Protocol.TCP,
      targets: [this.autoScalingGroup],
      deregistrationDelay: Duration.seconds(30),
      healthCheck: { protocol: elbv2.Protocol.TCP, interval: Duration.seconds(10) },
    });
    brokerSecurityGroup.connections.allowFrom(bootstrapSecurityGroup, ec2.Port.tcp(this.kafkaPort), 'Kafka bootstrap and health checks');
    return loadBalancer;
  }

}

function validateFleetProps(props: BrokerFleetProps, kafkaPort: number, drainTimeout: Duration): void {
  validatePattern('BrokerFleet clusterId', props.clusterId, /^[A-Za-z0-9._-]{1,64}$/, '1 to 64 characters of [A-Za-z0-9._-]');
  validateInteger('BrokerFleet kafkaPort', kafkaPort, 1, 65535);
  validateInteger('BrokerFleet metricsPort', props.metricsPort, 1, 65535);
  if (props.metricsPort !== undefined && props.metricsPort === kafkaPort) {
    throw new Error(`BrokerFleet metricsPort must differ from kafkaPort; both are ${kafkaPort}`);
  }
  validateInteger('BrokerFleet minCapacity', props.minCapacity, 0);
  validateInteger('BrokerFleet maxCapacity', props.maxCapacity, Math.max(1, props.minCapacity));
  if (props.desiredCapacity !== undefined) {
    validateInteger('BrokerFleet desiredCapacity', props.desiredCapacity, props.minCapacity, props.maxCapacity);
  }
  validateInteger('BrokerFleet onDemandBaseCapacity', props.onDemandBaseCapacity, 0, props.maxCapacity);
  validateInteger('BrokerFleet rootVolumeSizeGiB', props.rootVolumeSizeGiB, 8);
  if (!Token.isUnresolved(drainTimeout.toSeconds())) {
    validateInteger('BrokerFleet drainTimeout (seconds)', drainTimeout.toSeconds(), 30, 7200);
  }
  validateBrokerTls('BrokerFleet', props.tls);
}

/** The instance types' common CPU architecture; mixing them would need two AMIs and two images. */
function singleArchitecture(instanceTypes: readonly ec2.InstanceType[]): ec2.InstanceArchitecture {
  if (instanceTypes.length === 0 || instanceTypes.length > MAX_INSTANCE_TYPES) {
    throw new Error(`BrokerFleet instanceTypes must list 1 to ${MAX_INSTANCE_TYPES} instance types; got ${instanceTypes.length}`);
  }
  const architectures = new Set(instanceTypes.map((t) => t.architecture));
  if (architectures.size > 1) {
    const described = instanceTypes.map((t) => `${t.toString()} (${t.architecture})`);
    throw new Error(`BrokerFleet instanceTypes mix CPU architectures: ${listOf(described)}; use one architecture`);
  }
  return instanceTypes[0].architecture;
}

/** The selected subnets, checked to be exactly one in each of three zones (unresolved zones are not checked). */
function threeZoneSubnets(vpc: ec2.IVpc, selection: ec2.SubnetSelection | undefined): ec2.ISubnet[] {
  const subnets = vpc.selectSubnets(selection ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnets;
  const zones = subnets.map((subnet) => subnet.availabilityZone);
  const knownZones = zones.filter((zone) => !Token.isUnresolved(zone));
  const distinctZones = new Set(knownZones);
  if (subnets.length !== FLEET_ZONES || distinctZones.size !== knownZones.length) {
    throw new Error(
      `BrokerFleet needs exactly one subnet in each of ${FLEET_ZONES} Availability Zones; the selected subnets `
        + `are ${subnets.length} in ${distinctZones.size} zone(s) (${listOf(knownZones) || 'none known'}). `
        + 'Choose them with vpcSubnets (e.g. subnetGroupName and availabilityZones)',
    );
  }
  return subnets;
}
