import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BrokerFleet, type BrokerFleetOptions, DEFAULT_BROKER_INSTANCE_TYPES } from './broker-fleet';
import type { SecurityProtocol } from './broker-security';
import type { CapacityGuard } from './capacity/capacity-guard';
import { attachCapacityChecks, type ClusterCapacityOptions, planClusterCapacity } from './capacity/cluster-capacity';
import type { CapacityPlan, CapacityRequest } from './capacity/plan';
import { allowedThroughputMBps, type OntapDeploymentType } from './capacity/tiers';
import { listOf, validateInteger, validatePattern } from './private/validate';
import { validateWalDeploymentType, validateWalThroughput } from './private/wal-tier';
import { StreamStorage } from './stream-storage';
import { type IWalFileSystem, WalFileSystem } from './wal-file-system';

/**
 * The cluster's props: its own, the capacity options (lib/capacity) and the brokers' options
 * (BrokerFleetOptions: image, instance types, On-Demand base, port, drain timeout, ...).
 */
export interface DisklessKafkaClusterProps extends ClusterCapacityOptions, BrokerFleetOptions {
  /**
   * An existing VPC. Its private subnets with egress (or `vpcSubnets`) must be one in each of
   * three Availability Zones.
   *
   * @default - a new VPC over three zones: public and private subnets, a NAT gateway per zone,
   * an S3 gateway endpoint, flow logs of rejected traffic
   */
  readonly vpc?: ec2.IVpc;
  /**
   * The brokers' subnets in the existing `vpc`: one in each of three zones.
   *
   * @default - the private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The three Availability Zones of the new VPC. Needed by an environment-agnostic or region-only
   * stack, which CDK can only give two zones.
   *
   * @default - the first three zones of the stack
   */
  readonly availabilityZones?: string[];
  /**
   * The WAL's FSx throughput tier in MBps. It caps the cluster's Kafka write throughput
   * (384 MBps carries about 150 MiB/s; lib/capacity/tiers.ts).
   *
   * @default - the smallest tier of the deployment type: 384 for MULTI_AZ_2 (128 for MULTI_AZ_1)
   */
  readonly walThroughputMBps?: number;
  /**
   * The WAL's deployment type: MULTI_AZ_2 or MULTI_AZ_1.
   *
   * @default 'MULTI_AZ_2'
   */
  readonly walDeploymentType?: OntapDeploymentType;
  /**
   * The WAL's SSD capacity in GiB (more adds no throughput).
   *
   * @default 1024
   */
  readonly walStorageCapacityGiB?: number;
  /**
   * An existing WAL file system (`WalFileSystem.fromAttributes`). `walThroughputMBps` and
   * `walDeploymentType` then describe it (for the capacity checks) rather than create it.
   *
   * @default - a new WalFileSystem
   */
  readonly walFileSystem?: IWalFileSystem;
  /**
   * An existing data bucket.
   *
   * @default - a new bucket (see StreamStorage)
   */
  readonly dataBucket?: s3.IBucket;
  /**
   * The key prefix the brokers write under in the data bucket.
   *
   * @default 'kafka'
   */
  readonly dataPrefix?: string;
  /**
   * A KMS key for the new data bucket, or the key of the existing `dataBucket`.
   *
   * @default - SSE-S3
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * The broker capacity in AKUs (capacity units, docs/capacity.md).
   *
   * @default 3
   */
  readonly akus?: number;
  /**
   * The Kafka cluster id the brokers report: [A-Za-z0-9._-], 1 to 64 characters.
   *
   * @default - 22 URL-safe base64 characters derived from this construct's path (stable across deployments)
   */
  readonly clusterId?: string;
  /**
   * What happens to the WAL file system and the buckets when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The brokers' size, as the fleet takes it. */
interface FleetCapacity {
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly desiredCapacity: number;
}

const FLOW_LOG_RETENTION = logs.RetentionDays.ONE_MONTH;

/**
 * A diskless Kafka cluster: the WAL on Multi-AZ FSx for NetApp ONTAP, the data in S3, and a
 * three-zone Spot broker fleet behind one bootstrap address.
 *
 * Nothing can reach the Kafka port until allowed: `cluster.connections.allowDefaultPortFrom(peer)`.
 */
export class DisklessKafkaCluster extends Construct implements ec2.IConnectable {
  readonly connections: ec2.Connections;
  readonly vpc: ec2.IVpc;
  readonly clusterId: string;
  /** `host:port` for clients' `bootstrap.servers`. */
  readonly bootstrapServers: string;
  /** The Kafka `security.protocol` clients use: `SASL_SSL`, `SASL_PLAINTEXT`, `SSL` or `PLAINTEXT`. */
  readonly securityProtocol: SecurityProtocol;
  /** The broker capacity in AKUs. */
  readonly akus: number;
  /** The WAL's deployment type (of the new file system, or as declared for an existing one). */
  readonly walDeploymentType: OntapDeploymentType;
  /** The WAL's throughput tier in MBps (of the new file system, or as declared for an existing one). */
  readonly walThroughputMBps: number;
  readonly walFileSystem: IWalFileSystem;
  readonly storage: StreamStorage;
  readonly fleet: BrokerFleet;
  /** What the props add up to: tier, AKUs, brokers, headroom (docs/capacity.md). */
  readonly capacityPlan: CapacityPlan;
  /** Checks the live values at deploy and while running; absent when `capacityGuard` is false. */
  readonly capacityGuard?: CapacityGuard;

  constructor(scope: Construct, id: string, props: DisklessKafkaClusterProps = {}) {
    super(scope, id);
    validateClusterProps(props);
    this.akus = props.akus ?? 3;
    this.walDeploymentType = props.walDeploymentType ?? 'MULTI_AZ_2';
    this.walThroughputMBps = props.walThroughputMBps ?? allowedThroughputMBps(this.walDeploymentType)[0];
    validateWalDeploymentType(this.walDeploymentType);
    validateWalThroughput(this.walDeploymentType, this.walThroughputMBps);
    this.clusterId = props.clusterId ?? defaultClusterId(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const capacityRequest = this.capacityRequest(props);
    this.capacityPlan = planClusterCapacity(this, capacityRequest);

    this.vpc = props.vpc ?? this.createVpc(props.availabilityZones);
    const brokerSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };

    this.walFileSystem = props.walFileSystem ?? new WalFileSystem(this, 'Wal', {
      vpc: this.vpc,
      vpcSubnets: brokerSubnets,
      deploymentType: this.walDeploymentType,
      throughputMBps: this.walThroughputMBps,
      storageCapacityGiB: props.walStorageCapacityGiB,
      removalPolicy,
    });
    this.storage = new StreamStorage(this, 'Storage', {
      bucket: props.dataBucket,
      prefix: props.dataPrefix,
      encryptionKey: props.encryptionKey,
      removalPolicy,
    });
    this.fleet = new BrokerFleet(this, 'Brokers', {
      vpc: this.vpc,
      vpcSubnets: brokerSubnets,
      walFileSystem: this.walFileSystem,
      storage: this.storage,
      clusterId: this.clusterId,
      ...fleetOptionsOf(props),
      ...this.fleetCapacity(),
    });
    this.connections = this.fleet.connections;
    this.bootstrapServers = this.fleet.bootstrapServers;
    this.securityProtocol = this.fleet.securityProtocol;
    this.capacityGuard = attachCapacityChecks(this, {
      request: capacityRequest,
      clusterName: this.clusterId,
      fileSystemId: this.walFileSystem.fileSystemId,
      fileSystem: this.walFileSystem,
      autoScalingGroup: this.fleet.autoScalingGroup,
      capacityGuard: props.capacityGuard,
    });
    this.createOutputs();
  }

  /**
   * How many brokers to run: one per zone by default. The capacity model (lib/capacity) sizes the
   * fleet from `akus`, the WAL tier and the instance types; this is the one place it plugs in.
   */
  private fleetCapacity(): FleetCapacity {
    // planClusterCapacity has thrown unless every instance type is known, so the fleet is planned.
    const fleet = this.capacityPlan.fleet!;
    return { minCapacity: fleet.minBrokers, desiredCapacity: fleet.desiredBrokers, maxCapacity: fleet.maxBrokers };
  }

  private capacityRequest(props: DisklessKafkaClusterProps): CapacityRequest {
    return {
      deploymentType: this.walDeploymentType,
      throughputMBps: this.walThroughputMBps,
      akus: this.akus,
      instanceTypes: props.instanceTypes?.map((type) => type.toString()) ?? DEFAULT_BROKER_INSTANCE_TYPES,
      instanceSpecs: props.instanceSpecs,
      aku: props.akuDefinition,
      keepAkusAfterZoneLoss: props.keepAkusAfterZoneLoss,
    };
  }

  private createVpc(availabilityZones: string[] | undefined): ec2.Vpc {
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', { retention: FLOW_LOG_RETENTION });
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ...(availabilityZones ? { availabilityZones } : { maxAzs: 3 }),
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'Brokers', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      // S3 traffic (every upload and cold read) bypasses the NAT gateways and their per-GB charge.
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
      flowLogs: {
        Rejected: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });
    if (vpc.availabilityZones.length !== 3) {
      throw new Error(
        `DisklessKafkaCluster needs three Availability Zones, but the stack offers ${vpc.availabilityZones.length}: `
          + 'an environment-agnostic or region-only stack sees only two. Pass availabilityZones '
          + "(e.g. ['us-east-1a', 'us-east-1b', 'us-east-1c']) or give the stack an account and region",
      );
    }
    return vpc;
  }

  private createOutputs(): void {
    const outputs: Record<string, [string, string]> = {
      BootstrapServers: [this.bootstrapServers, 'Kafka bootstrap.servers (internal Network Load Balancer)'],
      SecurityProtocol: [this.securityProtocol, 'Kafka security.protocol of the listener'],
      ClusterId: [this.clusterId, 'Kafka cluster id reported by the brokers'],
      ObjectStore: [this.storage.objectStoreUrl, 'Where the brokers keep the data (DK_OBJECT_STORE)'],
      WalFileSystemId: [this.walFileSystem.fileSystemId, 'FSx for ONTAP file system of the WAL'],
      WalNfsEndpoint: [`${this.walFileSystem.nfsDnsName}:${this.walFileSystem.junctionPath}`, 'What the brokers mount over NFS'],
      BrokerAutoScalingGroup: [this.fleet.autoScalingGroup.autoScalingGroupName, 'The brokers\' Auto Scaling group'],
    };
    for (const [id, [value, description]] of Object.entries(outputs)) {
      new CfnOutput(this, id, { value, description });
    }
  }
}

function validateClusterProps(props: DisklessKafkaClusterProps): void {
  validateInteger('DisklessKafkaCluster akus', props.akus, 1);
  if (props.clusterId !== undefined) {
    validatePattern('DisklessKafkaCluster clusterId', props.clusterId, /^[A-Za-z0-9._-]{1,64}$/, '1 to 64 characters of [A-Za-z0-9._-]');
  }
  if (props.vpc && props.availabilityZones) {
    throw new Error('DisklessKafkaCluster availabilityZones applies only to the VPC it creates; with an existing vpc, choose the zones with vpcSubnets');
  }
  if (!props.vpc && props.vpcSubnets) {
    throw new Error('DisklessKafkaCluster vpcSubnets applies only to an existing vpc; the VPC it creates has one broker subnet per zone');
  }
  if (props.walFileSystem && props.walStorageCapacityGiB !== undefined) {
    throw new Error('DisklessKafkaCluster walStorageCapacityGiB applies only to the WAL it creates; it was given with an existing walFileSystem');
  }
  const zones = props.availabilityZones;
  if (zones && (zones.length !== 3 || new Set(zones).size !== 3)) {
    throw new Error(`DisklessKafkaCluster availabilityZones must name three different zones; got ${zones.length} (${listOf(zones)})`);
  }
}

/** The props the cluster passes through to its fleet, and only those. */
function fleetOptionsOf(props: DisklessKafkaClusterProps): BrokerFleetOptions {
  const {
    image, instanceTypes, onDemandBaseCapacity, kafkaPort, drainTimeout, rootVolumeSizeGiB, notificationTopic, logRetention, tls, sasl, metricsPort,
  } = props;
  return {
    image, instanceTypes, onDemandBaseCapacity, kafkaPort, drainTimeout, rootVolumeSizeGiB, notificationTopic, logRetention, tls, sasl, metricsPort,
  };
}

/** A Kafka-style cluster id (22 URL-safe base64 characters) derived from the construct's unique address. */
function defaultClusterId(scope: Construct): string {
  return Buffer.from(scope.node.addr, 'hex').toString('base64url').slice(0, 22);
}
