/**
 * The rules applied to live values: the capacity model's assessment plus the checks only live
 * resources can answer, and the clamp that brings a fleet raised by hand back within the tier.
 */

import type { Finding } from '../../lib/capacity/model';
import {
  assessCapacity,
  checkInstanceTypesOffered,
  checkWalAvailable,
  checkWalTierAgainstDeclared,
  fleetAkus,
  walHeadroomMiBps,
} from '../../lib/capacity/model';
import type { CapacityGuardConfig } from '../../lib/capacity/guard-config';
import type { LiveState } from './live';
import { offeringKey } from './live';

/** UpdateAutoScalingGroup fields that bring the live sizes within the bound; empty when they are. */
export interface Clamp {
  readonly MinSize?: number;
  readonly DesiredCapacity?: number;
  readonly MaxSize?: number;
}

export interface Judgement {
  readonly findings: readonly Finding[];
  /** The largest fleet the live tier allows (undefined when the tier or the types are unusable). */
  readonly maxBrokers?: number;
  readonly brokerAkus?: number;
  /** WAL write MiB/s left beyond what the in-service brokers guarantee. */
  readonly headroomMiBps?: number;
  readonly clamp: Clamp;
}

export function judge(config: CapacityGuardConfig, live: LiveState): Judgement {
  const { fileSystem, fleet } = live;
  const assessment = assessCapacity({
    deploymentType: fileSystem.deploymentType ?? config.deploymentType,
    throughputMBps: fileSystem.throughputMBps ?? config.throughputMBps,
    instanceTypes: fleet.instanceTypes,
    // Figures the user supplied win over the live ones: they may be deliberately conservative.
    instanceSpecs: { ...live.instanceSpecs, ...config.instanceSpecs },
    aku: config.aku,
    akus: config.akus,
    keepAkusAfterZoneLoss: config.keepAkusAfterZoneLoss,
    fleet: { minBrokers: fleet.minBrokers, desiredBrokers: fleet.desiredBrokers, maxBrokers: fleet.maxBrokers, zones: fleet.zones.length },
  });
  const findings = [
    ...checkWalAvailable(fileSystem.id, fileSystem.lifecycle),
    ...(fileSystem.throughputMBps === undefined ? [] : checkWalTierAgainstDeclared(fileSystem.id, fileSystem.throughputMBps, config.throughputMBps)),
    ...checkInstanceTypesOffered(fleet.instanceTypes, fleet.zones, (type, zone) => live.offerings.has(offeringKey(type, zone))),
    ...assessment.findings,
  ];

  const { limits, tier, aku } = assessment;
  const maxBrokers = limits?.wal?.maxBrokers;
  const clamp: Record<string, number> = {};
  if (maxBrokers !== undefined) {
    if (fleet.minBrokers > maxBrokers) clamp.MinSize = maxBrokers;
    if (fleet.desiredBrokers > maxBrokers) clamp.DesiredCapacity = maxBrokers;
    if (fleet.maxBrokers > maxBrokers) clamp.MaxSize = maxBrokers;
  }
  const headroomMiBps =
    limits && tier
      ? walHeadroomMiBps(tier, fleetAkus(fleet.inService, limits.brokers.brokerAkus, limits.keepAkusAfterZoneLoss), aku)
      : undefined;
  return { findings, maxBrokers, brokerAkus: limits?.brokers.brokerAkus, headroomMiBps, clamp };
}
