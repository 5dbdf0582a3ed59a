/**
 * The FSx for NetApp ONTAP throughput tiers, and how much Kafka write traffic each one carries.
 *
 * This is the single copy of the table: constructs, the policy pack, the capacity guard Lambda,
 * the docs and the broker all read it from here.
 *
 * Sources:
 * - Allowed tiers per deployment type: the `AWS::FSx::FileSystem` CloudFormation reference
 *   (OntapConfiguration.ThroughputCapacity / ThroughputCapacityPerHAPair).
 * - Kafka write MiB/s: the seed article's measurements on MULTI_AZ_2 (384 MBps carries
 *   150 MiB/s of Kafka writes, 768 MBps carries 300 MiB/s). Every other figure is extrapolated
 *   at the same ratio (150 / 384 MiB/s per MBps) and marked `extrapolated: true`.
 */

export type OntapDeploymentType = 'MULTI_AZ_1' | 'MULTI_AZ_2' | 'SINGLE_AZ_1' | 'SINGLE_AZ_2';

export interface ThroughputTier {
  /** The FSx throughput capacity, in MBps. */
  readonly throughputMBps: number;
  /** The most Kafka write traffic (MiB/s) the WAL on this tier sustains. */
  readonly kafkaWriteMiBps: number;
  /** True when `kafkaWriteMiBps` is extrapolated rather than measured. */
  readonly extrapolated: boolean;
}

/** Kafka write MiB/s per MBps of FSx throughput capacity, from the measured 384 and 768 tiers. */
export const KAFKA_WRITE_MIBPS_PER_TIER_MBPS = 150 / 384;

/** Measured figures (MULTI_AZ_2, the seed article). */
const MEASURED_KAFKA_WRITE_MIBPS: Readonly<Record<number, number>> = { 384: 150, 768: 300 };

const ALLOWED_TIERS_MBPS: Readonly<Record<OntapDeploymentType, readonly number[]>> = {
  MULTI_AZ_1: [128, 256, 512, 1024, 2048, 4096],
  SINGLE_AZ_1: [128, 256, 512, 1024, 2048, 4096],
  MULTI_AZ_2: [384, 768, 1536, 3072, 6144],
  SINGLE_AZ_2: [1536, 3072, 6144],
};

/** The deployment types a diskless-kafka WAL may use: it must survive the loss of one zone. */
export const WAL_DEPLOYMENT_TYPES: readonly OntapDeploymentType[] = ['MULTI_AZ_2', 'MULTI_AZ_1'];

function tierOf(deploymentType: OntapDeploymentType, throughputMBps: number): ThroughputTier {
  const measured = deploymentType === 'MULTI_AZ_2' ? MEASURED_KAFKA_WRITE_MIBPS[throughputMBps] : undefined;
  return {
    throughputMBps,
    kafkaWriteMiBps: measured ?? Math.floor(throughputMBps * KAFKA_WRITE_MIBPS_PER_TIER_MBPS),
    extrapolated: measured === undefined,
  };
}

/** Every tier the deployment type allows, smallest first. */
export function throughputTiers(deploymentType: OntapDeploymentType): ThroughputTier[] {
  return ALLOWED_TIERS_MBPS[deploymentType].map((mbps) => tierOf(deploymentType, mbps));
}

/** The allowed tier values in MBps, smallest first. */
export function allowedThroughputMBps(deploymentType: OntapDeploymentType): readonly number[] {
  return ALLOWED_TIERS_MBPS[deploymentType];
}

/** The tier, or undefined when `throughputMBps` is not allowed for the deployment type. */
export function findThroughputTier(
  deploymentType: OntapDeploymentType,
  throughputMBps: number,
): ThroughputTier | undefined {
  return ALLOWED_TIERS_MBPS[deploymentType].includes(throughputMBps)
    ? tierOf(deploymentType, throughputMBps)
    : undefined;
}

/** True when the deployment type survives the loss of one zone, as a WAL must. */
export function isWalDeploymentType(deploymentType: string): boolean {
  return (WAL_DEPLOYMENT_TYPES as readonly string[]).includes(deploymentType);
}

/** True for any deployment type FSx for ONTAP knows. */
export function isOntapDeploymentType(deploymentType: string): deploymentType is OntapDeploymentType {
  return Object.prototype.hasOwnProperty.call(ALLOWED_TIERS_MBPS, deploymentType);
}

/** The smallest tier of the deployment type that carries `kafkaWriteMiBps`, or undefined if none does. */
export function smallestTierCarrying(
  deploymentType: OntapDeploymentType,
  kafkaWriteMiBps: number,
): ThroughputTier | undefined {
  return throughputTiers(deploymentType).find((tier) => tier.kafkaWriteMiBps >= kafkaWriteMiBps);
}

