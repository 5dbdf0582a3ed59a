import { RemovalPolicy, Resource, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as fsx from 'aws-cdk-lib/aws-fsx';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { allowedThroughputMBps, type OntapDeploymentType } from './capacity/tiers';
import { NFS_PORTS } from './private/nfs';
import { validateInteger, validatePattern } from './private/validate';
import { validateWalDeploymentType, validateWalThroughput } from './private/wal-tier';

/** The shared write-ahead log the brokers mount over NFS. */
export interface IWalFileSystem extends ec2.IConnectable {
  /** The FSx file system id (`fs-...`). */
  readonly fileSystemId: string;
  /** The id of the storage virtual machine (`svm-...`) that serves the WAL volume. */
  readonly storageVirtualMachineId: string;
  /** Where the WAL volume is mounted in the SVM's namespace, e.g. `/wal`. */
  readonly junctionPath: string;
  /** The DNS name of the SVM's NFS endpoint: `<nfsDnsName>:<junctionPath>` is what brokers mount. */
  readonly nfsDnsName: string;
  /** Opens the file system's NFS ports (and only those) to `peer`. */
  allowNfsFrom(peer: ec2.IConnectable): void;
}

/** An existing FSx for ONTAP file system, SVM and volume to use as the WAL. */
export interface WalFileSystemAttributes {
  /** The FSx file system id (`fs-...`). */
  readonly fileSystemId: string;
  /** The SVM id (`svm-...`). */
  readonly storageVirtualMachineId: string;
  /** The junction path of the WAL volume, e.g. `/wal`. */
  readonly junctionPath: string;
  /** The security groups of the file system; `allowNfsFrom` adds its rules to them. */
  readonly securityGroups: ec2.ISecurityGroup[];
  /**
   * The DNS name of the SVM's NFS endpoint.
   *
   * @default - `<svm-id>.<fs-id>.fsx.<region>.<url-suffix>`, the name FSx gives every SVM's
   * NFS endpoint (`Endpoints.Nfs.DNSName` of `DescribeStorageVirtualMachines`)
   */
  readonly nfsDnsName?: string;
}

export interface WalFileSystemProps {
  /** The VPC of the file system and of its clients (the brokers). */
  readonly vpc: ec2.IVpc;
  /**
   * The subnets the clients (brokers) live in. Their route tables receive the routes to the
   * file system's floating endpoint addresses, which stay the same across a failover; the
   * preferred and standby subnets default to two of them.
   *
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The subnet of the active file server. Clients in its Availability Zone see the lowest latency.
   *
   * @default - the first subnet of `vpcSubnets`
   */
  readonly preferredSubnet?: ec2.ISubnet;
  /**
   * The subnet of the standby file server; it must be in another Availability Zone.
   *
   * @default - the first subnet of `vpcSubnets` in another zone than `preferredSubnet`
   */
  readonly standbySubnet?: ec2.ISubnet;
  /**
   * The deployment type. Only Multi-AZ types are allowed: the WAL must survive the loss of a zone.
   * MULTI_AZ_2 exists in fewer regions than MULTI_AZ_1 (see docs/infrastructure.md).
   *
   * @default 'MULTI_AZ_2'
   */
  readonly deploymentType?: OntapDeploymentType;
  /**
   * The throughput capacity in MBps: one of the tiers the deployment type allows
   * (lib/capacity/tiers.ts). It caps the Kafka write throughput of the whole cluster.
   *
   * @default - the smallest tier of the deployment type (384 MBps for MULTI_AZ_2)
   */
  readonly throughputMBps?: number;
  /**
   * The SSD storage capacity in GiB (at least 1,024). More storage adds no throughput.
   *
   * @default 1024
   */
  readonly storageCapacityGiB?: number;
  /**
   * The size of the WAL volume in GiB. ONTAP volumes are thin-provisioned: this is a limit,
   * not an allocation.
   *
   * @default 512
   */
  readonly volumeSizeGiB?: number;
  /**
   * Where the WAL volume is mounted in the SVM's namespace.
   *
   * @default '/wal'
   */
  readonly junctionPath?: string;
  /**
   * Days to keep the file system's automatic daily backups (0 turns them off). A WAL holds only
   * the last seconds of writes, which are in S3 soon after, so backups restore nothing useful.
   *
   * @default 0
   */
  readonly automaticBackupRetentionDays?: number;
  /**
   * What happens to the file system, SVM, volume and admin password when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const GIB = 1024 ** 3;

/** The NFS endpoint name FSx gives an SVM (see WalFileSystemAttributes.nfsDnsName). */
function svmNfsDnsName(scope: Construct, fileSystemId: string, storageVirtualMachineId: string): string {
  const stack = Stack.of(scope);
  return `${storageVirtualMachineId}.${fileSystemId}.fsx.${stack.region}.${stack.urlSuffix}`;
}

abstract class WalFileSystemBase extends Resource implements IWalFileSystem {
  abstract readonly fileSystemId: string;
  abstract readonly storageVirtualMachineId: string;
  abstract readonly junctionPath: string;
  abstract readonly nfsDnsName: string;
  abstract readonly connections: ec2.Connections;

  allowNfsFrom(peer: ec2.IConnectable): void {
    for (const port of NFS_PORTS) {
      this.connections.allowFrom(peer, port, `NFS ${port.toString()} to the diskless-kafka WAL`);
    }
  }
}

/**
 * The WAL: a Multi-AZ FSx for NetApp ONTAP file system, a storage virtual machine, and one
 * UNIX-style volume the brokers mount over NFS. Writes are replicated synchronously to the
 * standby zone; a failover keeps the endpoint address.
 */
export class WalFileSystem extends WalFileSystemBase {
  /** Uses an existing file system, SVM and volume. */
  static fromAttributes(scope: Construct, id: string, attrs: WalFileSystemAttributes): IWalFileSystem {
    class Imported extends WalFileSystemBase {
      readonly fileSystemId = attrs.fileSystemId;
      readonly storageVirtualMachineId = attrs.storageVirtualMachineId;
      readonly junctionPath = attrs.junctionPath;
      readonly nfsDnsName = attrs.nfsDnsName ?? svmNfsDnsName(scope, attrs.fileSystemId, attrs.storageVirtualMachineId);
      readonly connections = new ec2.Connections({ securityGroups: attrs.securityGroups });
    }
    validateJunctionPath(attrs.junctionPath);
    return new Imported(scope, id);
  }

  readonly fileSystemId: string;
  readonly storageVirtualMachineId: string;
  readonly junctionPath: string;
  readonly nfsDnsName: string;
  readonly connections: ec2.Connections;
  /** The deployment type in use. */
  readonly deploymentType: OntapDeploymentType;
  /** The throughput capacity in MBps. */
  readonly throughputMBps: number;
  /** The id of the WAL volume (`fsvol-...`). */
  readonly volumeId: string;
  /** The generated password of the ONTAP `fsxadmin` user (ONTAP CLI and REST API only). */
  readonly adminPassword: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: WalFileSystemProps) {
    super(scope, id);
    this.deploymentType = props.deploymentType ?? 'MULTI_AZ_2';
    this.throughputMBps = props.throughputMBps ?? allowedThroughputMBps(this.deploymentType)[0];
    this.junctionPath = props.junctionPath ?? '/wal';
    const storageCapacityGiB = props.storageCapacityGiB ?? 1024;
    const volumeSizeGiB = props.volumeSizeGiB ?? 512;
    const backupDays = props.automaticBackupRetentionDays ?? 0;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    validateWalDeploymentType(this.deploymentType);
    validateWalThroughput(this.deploymentType, this.throughputMBps);
    validateInteger('WAL storageCapacityGiB', storageCapacityGiB, 1024);
    validateInteger('WAL volumeSizeGiB', volumeSizeGiB, 1);
    validateInteger('WAL automaticBackupRetentionDays', backupDays, 0, 90);
    validateJunctionPath(this.junctionPath);

    const clientSubnets = props.vpc.selectSubnets(
      props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    ).subnets;
    const { preferred, standby } = fileServerSubnets(clientSubnets, props.preferredSubnet, props.standbySubnet);

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'diskless-kafka WAL (FSx for ONTAP): NFS from the brokers only',
      allowAllOutbound: false,
    });
    this.connections = new ec2.Connections({ securityGroups: [securityGroup] });

    this.adminPassword = new secretsmanager.Secret(this, 'AdminPassword', {
      description: 'fsxadmin password of the diskless-kafka WAL file system (ONTAP CLI and REST API)',
      generateSecretString: { passwordLength: 32, excludePunctuation: true, requireEachIncludedType: true },
      removalPolicy,
    });
    Validations.of(this.adminPassword).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The fsxadmin password is only for operators using the ONTAP CLI or REST API; brokers mount over NFS '
        + 'without it. Rotating it needs a custom rotation Lambda calling fsx:UpdateFileSystem, not worth its cost here.',
    });

    const fileSystem = new fsx.CfnFileSystem(this, 'Resource', {
      fileSystemType: 'ONTAP',
      storageType: 'SSD',
      storageCapacity: storageCapacityGiB,
      subnetIds: [preferred.subnetId, standby.subnetId],
      securityGroupIds: [securityGroup.securityGroupId],
      ontapConfiguration: {
        deploymentType: this.deploymentType,
        throughputCapacity: this.throughputMBps,
        preferredSubnetId: preferred.subnetId,
        routeTableIds: unique(clientSubnets.map((subnet) => subnet.routeTable.routeTableId)),
        automaticBackupRetentionDays: backupDays,
        fsxAdminPassword: this.adminPassword.secretValue.unsafeUnwrap(),
      },
    });
    const svm = new fsx.CfnStorageVirtualMachine(this, 'StorageVirtualMachine', {
      fileSystemId: fileSystem.ref,
      name: 'diskless_kafka',
      rootVolumeSecurityStyle: 'UNIX',
    });
    const volume = new fsx.CfnVolume(this, 'Volume', {
      name: 'wal',
      volumeType: 'ONTAP',
      ontapConfiguration: {
        storageVirtualMachineId: svm.attrStorageVirtualMachineId,
        ontapVolumeType: 'RW',
        junctionPath: this.junctionPath,
        securityStyle: 'UNIX',
        sizeInBytes: String(volumeSizeGiB * GIB),
        // Compressed Kafka batches neither compress nor dedupe further; skip the work on the write path.
        storageEfficiencyEnabled: 'false',
        // Keep every WAL block on SSD, and no snapshots of data that lives for seconds.
        tieringPolicy: { name: 'NONE' },
        snapshotPolicy: 'none',
      },
    });
    for (const resource of [fileSystem, svm, volume]) resource.applyRemovalPolicy(removalPolicy);

    this.fileSystemId = fileSystem.ref;
    this.storageVirtualMachineId = svm.attrStorageVirtualMachineId;
    this.volumeId = volume.attrVolumeId;
    this.nfsDnsName = svmNfsDnsName(this, this.fileSystemId, this.storageVirtualMachineId);
  }
}

function validateJunctionPath(junctionPath: string): void {
  validatePattern(
    'WAL junctionPath',
    junctionPath,
    /^(\/[A-Za-z0-9_-]+)+$/,
    "an absolute path of [A-Za-z0-9_-] segments, e.g. '/wal'",
  );
}

/** The preferred and standby subnets: given, or picked from the client subnets; two zones. */
function fileServerSubnets(
  clientSubnets: readonly ec2.ISubnet[],
  preferredSubnet: ec2.ISubnet | undefined,
  standbySubnet: ec2.ISubnet | undefined,
): { preferred: ec2.ISubnet; standby: ec2.ISubnet } {
  const preferred = preferredSubnet ?? clientSubnets[0];
  if (preferred === undefined) {
    throw new Error('WAL vpcSubnets selects no subnet: the file system needs subnets in two Availability Zones');
  }
  const standby = standbySubnet ?? clientSubnets.find((subnet) => !sameZone(subnet, preferred));
  if (standby === undefined) {
    throw new Error(
      `WAL vpcSubnets selects no subnet outside ${preferred.availabilityZone} (the preferred subnet's zone): `
        + 'a Multi-AZ file system needs subnets in two Availability Zones',
    );
  }
  if (sameZone(preferred, standby)) {
    throw new Error(
      `WAL preferred subnet ${subnetLabel(preferred)} and standby subnet ${subnetLabel(standby)} are both in `
        + `${preferred.availabilityZone}: a Multi-AZ file system needs them in two different Availability Zones`,
    );
  }
  return { preferred, standby };
}

/** True when both zones are known and equal (unresolved zones are not checked). */
function sameZone(a: ec2.ISubnet, b: ec2.ISubnet): boolean {
  if (Token.isUnresolved(a.availabilityZone) || Token.isUnresolved(b.availabilityZone)) return a === b;
  return a.availabilityZone === b.availabilityZone;
}

/** The subnet id when known at synth, else the subnet's construct path. */
function subnetLabel(subnet: ec2.ISubnet): string {
  return Token.isUnresolved(subnet.subnetId) ? subnet.node.path : subnet.subnetId;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
