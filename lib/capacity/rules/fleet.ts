/** Rules on the fleet's size: three zones, enough AKUs, and no more than the WAL tier absorbs. */

import type { AkuDefinition } from '../aku';
import { FLEET_ZONES, fleetAkus } from '../fleet';
import type { OntapDeploymentType, ThroughputTier } from '../tiers';
import { smallestTierCarrying } from '../tiers';
import type { FleetBrokers } from './brokers';
import type { Finding } from './catalogue';
import { finding, plural } from './catalogue';
import { describeTierCarrying } from './wal';

/** A fleet's sizes as declared (props, template) or live (the Auto Scaling group). */
export interface FleetShape {
  readonly minBrokers?: number;
  readonly desiredBrokers?: number;
  readonly maxBrokers?: number;
  /** Distinct Availability Zones the fleet spans. */
  readonly zones?: number;
}

export type FleetSizeField = 'minBrokers' | 'desiredBrokers' | 'maxBrokers';

export const FLEET_SIZE_NAMES: Readonly<Record<FleetSizeField, string>> = {
  minBrokers: 'minimum',
  desiredBrokers: 'desired capacity',
  maxBrokers: 'maximum',
};

/** What the model derives for a fleet: how many brokers the AKUs need, and how many the tier allows. */
export interface FleetLimits {
  readonly brokers: FleetBrokers;
  readonly aku: AkuDefinition;
  readonly keepAkusAfterZoneLoss: boolean;
  /** The requested AKUs, when known (a template composed by hand does not say). */
  readonly akus?: number;
  /** The smallest fleet that guarantees the requested AKUs (three brokers when none are requested). */
  readonly requiredBrokers: number;
  /** Present when the tier is known. */
  readonly wal?: {
    readonly deploymentType: OntapDeploymentType;
    readonly tier: ThroughputTier;
    /** AKUs whose writes the tier carries. */
    readonly tierAkus: number;
    /** The largest fleet allowed: the most brokers whose guaranteed AKUs fit the tier, never fewer than required. */
    readonly maxBrokers: number;
  };
}

function guaranteed(brokers: number, limits: FleetLimits): number {
  return fleetAkus(brokers, limits.brokers.brokerAkus, limits.keepAkusAfterZoneLoss);
}

export function checkThreeZones(shape: FleetShape): Finding[] {
  const findings: Finding[] = [];
  if (shape.zones !== undefined && shape.zones !== FLEET_ZONES) {
    findings.push(
      finding(
        'ThreeZones',
        `the fleet spans ${plural(shape.zones, 'zone')}; it needs exactly ${FLEET_ZONES}, one broker in each at least: ` +
          'give the Auto Scaling group one subnet in each of three zones',
      ),
    );
  }
  for (const field of ['minBrokers', 'desiredBrokers'] as const) {
    const value = shape[field];
    if (value !== undefined && value < FLEET_ZONES) {
      const name = FLEET_SIZE_NAMES[field];
      findings.push(
        finding(
          'ThreeZones',
          `the fleet's ${name} is ${plural(value, 'broker')}; it needs at least ${FLEET_ZONES}, one per zone: set the ${name} to ${FLEET_ZONES} or more`,
        ),
      );
    }
  }
  return findings;
}

/** FleetCapacity, or ZoneLoss when the AKUs must survive a zone: the smallest declared size must carry them. */
export function checkFleetCapacity(shape: FleetShape, limits: FleetLimits): Finding[] {
  const { akus, brokers, keepAkusAfterZoneLoss, requiredBrokers } = limits;
  const field = (['minBrokers', 'desiredBrokers', 'maxBrokers'] as const).find((f) => shape[f] !== undefined);
  if (akus === undefined || field === undefined) return [];
  const size = shape[field]!;
  const carried = guaranteed(size, limits);
  if (carried >= akus) return [];
  const name = FLEET_SIZE_NAMES[field];
  const fix = `set the ${name} to at least ${requiredBrokers} brokers`;
  if (keepAkusAfterZoneLoss) {
    const lost = Math.ceil(size / FLEET_ZONES);
    return [
      finding(
        'ZoneLoss',
        `after losing its fullest zone (${lost} of ${plural(size, 'broker')}), the fleet's ${name} keeps ${carried} AKU ` +
          `at ${brokers.description}; ${akus} AKU must survive a zone loss: ${fix}`,
      ),
    ];
  }
  return [
    finding('FleetCapacity', `the fleet's ${name} of ${plural(size, 'broker')} carries ${carried} AKU at ${brokers.description}; ${akus} AKU are requested: ${fix}`),
  ];
}

/** FleetExceedsWal: each declared size above the largest fleet the tier allows. */
export function checkFleetWithinWal(shape: FleetShape, limits: FleetLimits): Finding[] {
  const { wal, aku, brokers, keepAkusAfterZoneLoss } = limits;
  if (wal === undefined) return [];
  const afterZoneLoss = keepAkusAfterZoneLoss ? ' after losing its fullest zone' : '';
  return (['minBrokers', 'desiredBrokers', 'maxBrokers'] as const).flatMap((field) => {
    const size = shape[field];
    if (size === undefined || size <= wal.maxBrokers) return [];
    const carried = guaranteed(size, limits);
    const larger = smallestTierCarrying(wal.deploymentType, carried * aku.writeMiBps);
    const name = FLEET_SIZE_NAMES[field];
    return [
      finding(
        'FleetExceedsWal',
        `the fleet's ${name} of ${plural(size, 'broker')} guarantees ${carried} AKU${afterZoneLoss} at ${brokers.description}; ` +
          `${describeTierCarrying(wal.tier)}, ${wal.tierAkus} AKU: set the ${name} to at most ${wal.maxBrokers} brokers` +
          (larger ? ` or choose ${larger.throughputMBps} MBps` : ''),
      ),
    ];
  });
}

/** Warn when even the smallest fleet for the AKUs guarantees more than the tier absorbs: brokers wait on the WAL. */
export function checkBrokersExceedWal(limits: FleetLimits): Finding[] {
  const { wal, akus, requiredBrokers, brokers } = limits;
  if (wal === undefined || akus === undefined || akus > wal.tierAkus) return [];
  const carried = guaranteed(requiredBrokers, limits);
  if (carried <= wal.tierAkus) return [];
  return [
    finding(
      'BrokersExceedWal',
      `the smallest fleet for ${akus} AKU, ${plural(requiredBrokers, 'broker')} at ${brokers.description}, guarantees ${carried} AKU; ` +
        `${describeTierCarrying(wal.tier)}, ${wal.tierAkus} AKU: the brokers will wait on the WAL; choose smaller instance types or a larger tier`,
    ),
  ];
}
