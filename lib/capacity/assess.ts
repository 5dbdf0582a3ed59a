/**
 * One entry point for every rule that can be judged from a cluster's shape: the props of a
 * DisklessKafkaCluster, a synthesized template, or the live resources the capacity guard reads.
 */

import type { AkuDefinition, AkuDefinitionOverride } from './aku';
import { resolveAku } from './aku';
import { brokersFor, largestFleetWithin, FLEET_ZONES } from './fleet';
import type { InstanceTypeSpec } from './instance-types';
import { checkBrokers } from './rules/brokers';
import type { Finding } from './rules/catalogue';
import type { FleetLimits, FleetShape } from './rules/fleet';
import { checkBrokersExceedWal, checkFleetCapacity, checkFleetWithinWal, checkThreeZones } from './rules/fleet';
import { checkWalOversized, checkWalThroughput, checkWalTier, tierAkus } from './rules/wal';
import type { OntapDeploymentType, ThroughputTier } from './tiers';

/** What every capacity question shares: the fleet's instance types and how AKUs are counted. */
export interface CapacityInputs {
  readonly instanceTypes: readonly string[];
  /** vCPU and baseline network figures that take precedence over the built-in table (live, or measured by you). */
  readonly instanceSpecs?: Readonly<Record<string, InstanceTypeSpec>>;
  /** @default DEFAULT_AKU */
  readonly aku?: AkuDefinitionOverride;
  /** @default false */
  readonly keepAkusAfterZoneLoss?: boolean;
}

export interface CapacityState extends CapacityInputs {
  readonly deploymentType: string;
  readonly throughputMBps: number;
  /** The requested AKUs; unknown for a template composed by hand. */
  readonly akus?: number;
  /** The fleet's sizes and zones, when there is a fleet to judge. */
  readonly fleet?: FleetShape;
}

export interface CapacityAssessment {
  readonly findings: Finding[];
  readonly aku: AkuDefinition;
  readonly deploymentType?: OntapDeploymentType;
  readonly tier?: ThroughputTier;
  /** Present when every instance type is known and carries at least one AKU. */
  readonly limits?: FleetLimits;
}

/** Throws on input that is not a capacity question at all (a fractional AKU count, a broken AKU definition). */
export function assessCapacity(state: CapacityState): CapacityAssessment {
  const aku = resolveAku(state.aku);
  if (state.akus !== undefined) assertAkus(state.akus);
  const keepAkusAfterZoneLoss = state.keepAkusAfterZoneLoss ?? false;

  const wal = checkWalTier(state.deploymentType, state.throughputMBps);
  const findings = [...wal.findings];
  const { tier, deploymentType } = wal;
  if (tier && deploymentType && state.akus !== undefined) {
    const demand = { akus: state.akus, aku, deploymentType, tier };
    findings.push(...checkWalThroughput(demand), ...checkWalOversized(demand));
  }

  const brokerCheck = checkBrokers(state.instanceTypes, aku, state.instanceSpecs);
  findings.push(...brokerCheck.findings);
  if (state.fleet) findings.push(...checkThreeZones(state.fleet));
  if (brokerCheck.brokers === undefined) return { findings, aku, tier, deploymentType };

  const brokerAkus = brokerCheck.brokers.brokerAkus;
  const requiredBrokers = state.akus === undefined ? FLEET_ZONES : brokersFor(state.akus, brokerAkus, keepAkusAfterZoneLoss);
  const walLimits =
    tier && deploymentType
      ? {
          deploymentType,
          tier,
          tierAkus: tierAkus(tier, aku),
          maxBrokers: Math.max(requiredBrokers, largestFleetWithin(tierAkus(tier, aku), brokerAkus, keepAkusAfterZoneLoss)),
        }
      : undefined;
  const limits: FleetLimits = {
    brokers: brokerCheck.brokers,
    aku,
    keepAkusAfterZoneLoss,
    akus: state.akus,
    requiredBrokers,
    wal: walLimits,
  };
  findings.push(...checkBrokersExceedWal(limits));
  if (state.fleet) findings.push(...checkFleetCapacity(state.fleet, limits), ...checkFleetWithinWal(state.fleet, limits));
  return { findings, aku, tier, deploymentType, limits };
}

function assertAkus(akus: number): void {
  if (!Number.isInteger(akus) || akus < 1) {
    throw new Error(`akus must be a whole number of at least 1, got ${String(akus)}`);
  }
}
