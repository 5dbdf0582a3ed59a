/**
 * The capacity plan: what a cluster's props add up to. DisklessKafkaCluster sizes its fleet from it,
 * shows it at synth, and the README shows the default cluster's.
 */

import type { AkuDefinition } from './aku';
import type { CapacityAssessment, CapacityInputs } from './assess';
import { assessCapacity } from './assess';
import type { BrokerCapacity } from './broker-capacity';
import { brokersPerZone, fleetAkus, FLEET_ZONES } from './fleet';
import type { Finding } from './rules/catalogue';
import type { OntapDeploymentType, ThroughputTier } from './tiers';

export interface CapacityRequest extends CapacityInputs {
  /** @default 'MULTI_AZ_2' */
  readonly deploymentType?: OntapDeploymentType;
  readonly throughputMBps: number;
  readonly akus: number;
  /**
   * An explicit fleet maximum. More than the tier allows is an error (FleetExceedsWal).
   * @default the largest fleet whose guaranteed AKUs the tier absorbs
   */
  readonly maxBrokers?: number;
}

export interface FleetPlan {
  readonly minBrokers: number;
  readonly desiredBrokers: number;
  readonly maxBrokers: number;
  /** Brokers in each of the three zones at the desired capacity, fullest first. */
  readonly perZone: readonly number[];
  /** AKUs per broker (the weakest type's) and each type's figures. */
  readonly brokerAkus: number;
  readonly instanceTypes: readonly BrokerCapacity[];
  /** AKUs the desired fleet carries, and keeps after losing its fullest zone. */
  readonly akus: number;
  readonly akusAfterZoneLoss: number;
}

export interface WalPlan {
  readonly deploymentType: OntapDeploymentType;
  readonly tier: ThroughputTier;
  readonly tierAkus: number;
  /** Kafka write MiB/s the tier carries beyond what the desired fleet's guaranteed AKUs write. */
  readonly headroomMiBps: number;
  readonly headroomPercent: number;
}

export interface CapacityPlan {
  readonly akus: number;
  readonly aku: AkuDefinition;
  readonly keepAkusAfterZoneLoss: boolean;
  /** What the requested AKUs carry: writes, or reads, or a mix in proportion. */
  readonly writeMiBps: number;
  readonly readMiBps: number;
  readonly partitions: number;
  /** Absent when the tier is not valid for the deployment type. */
  readonly wal?: WalPlan;
  /** Absent when an instance type is unknown or too small. */
  readonly fleet?: FleetPlan;
  readonly findings: readonly Finding[];
}

export function planCapacity(request: CapacityRequest): CapacityPlan {
  const deploymentType = request.deploymentType ?? 'MULTI_AZ_2';
  if (request.maxBrokers !== undefined && (!Number.isInteger(request.maxBrokers) || request.maxBrokers < 1)) {
    throw new Error(`maxBrokers must be a whole number of at least 1, got ${String(request.maxBrokers)}`);
  }
  const keepAkusAfterZoneLoss = request.keepAkusAfterZoneLoss ?? false;
  const base = {
    deploymentType,
    throughputMBps: request.throughputMBps,
    instanceTypes: request.instanceTypes,
    instanceSpecs: request.instanceSpecs,
    aku: request.aku,
    akus: request.akus,
    keepAkusAfterZoneLoss,
  };
  // First derive the limits, then judge the fleet the plan proposes against them.
  const sizing = assessCapacity(base);
  const sizes = proposeFleet(sizing, request.maxBrokers);
  const assessment = sizes ? assessCapacity({ ...base, fleet: { ...sizes, zones: FLEET_ZONES } }) : sizing;
  const { aku, tier, limits } = assessment;

  const fleet: FleetPlan | undefined =
    sizes && limits
      ? {
          ...sizes,
          perZone: brokersPerZone(sizes.desiredBrokers),
          brokerAkus: limits.brokers.brokerAkus,
          instanceTypes: limits.brokers.perType,
          akus: fleetAkus(sizes.desiredBrokers, limits.brokers.brokerAkus, false),
          akusAfterZoneLoss: fleetAkus(sizes.desiredBrokers, limits.brokers.brokerAkus, true),
        }
      : undefined;
  const wal: WalPlan | undefined =
    tier && assessment.deploymentType && limits?.wal
      ? walPlan(assessment.deploymentType, tier, limits.wal.tierAkus, fleet, keepAkusAfterZoneLoss, aku)
      : undefined;
  return {
    akus: request.akus,
    aku,
    keepAkusAfterZoneLoss,
    writeMiBps: request.akus * aku.writeMiBps,
    readMiBps: request.akus * aku.readMiBps,
    partitions: request.akus * aku.partitions,
    wal,
    fleet,
    findings: assessment.findings,
  };
}

/** Minimum = desired = the smallest fleet for the AKUs (within an explicit maximum); maximum = what the tier allows. */
function proposeFleet(
  sizing: CapacityAssessment,
  maxBrokers: number | undefined,
): { minBrokers: number; desiredBrokers: number; maxBrokers: number } | undefined {
  const limits = sizing.limits;
  if (limits === undefined) return undefined;
  const max = maxBrokers ?? limits.wal?.maxBrokers ?? limits.requiredBrokers;
  const desired = Math.min(limits.requiredBrokers, max);
  return { minBrokers: desired, desiredBrokers: desired, maxBrokers: max };
}

/** Kafka write MiB/s the tier carries beyond what `guaranteedAkus` write: the plan's and the guard's headroom. */
export function walHeadroomMiBps(tier: ThroughputTier, guaranteedAkus: number, aku: AkuDefinition): number {
  return tier.kafkaWriteMiBps - guaranteedAkus * aku.writeMiBps;
}

function walPlan(
  deploymentType: OntapDeploymentType,
  tier: ThroughputTier,
  tierAkus: number,
  fleet: FleetPlan | undefined,
  keepAkusAfterZoneLoss: boolean,
  aku: AkuDefinition,
): WalPlan {
  const guaranteedAkus = fleet ? (keepAkusAfterZoneLoss ? fleet.akusAfterZoneLoss : fleet.akus) : 0;
  const headroomMiBps = walHeadroomMiBps(tier, guaranteedAkus, aku);
  return {
    deploymentType,
    tier,
    tierAkus,
    headroomMiBps,
    headroomPercent: Math.round((headroomMiBps / tier.kafkaWriteMiBps) * 100),
  };
}
