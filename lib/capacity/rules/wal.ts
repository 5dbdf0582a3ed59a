/** Rules on the WAL file system: deployment type, tier, and the tier against the requested AKUs. */

import type { AkuDefinition } from '../aku';
import type { OntapDeploymentType, ThroughputTier } from '../tiers';
import {
  allowedThroughputMBps,
  findThroughputTier,
  isOntapDeploymentType,
  isWalDeploymentType,
  smallestTierCarrying,
  throughputTiers,
  WAL_DEPLOYMENT_TYPES,
} from '../tiers';
import type { Finding } from './catalogue';
import { finding, formatNumber } from './catalogue';

export interface WalTierCheck {
  readonly findings: Finding[];
  /** The tier, when the deployment type and the throughput are valid. */
  readonly tier?: ThroughputTier;
  readonly deploymentType?: OntapDeploymentType;
}

/** What the tier carries, for messages: "the 1536 MBps tier carries 600 MiB/s (extrapolated)". */
export function describeTierCarrying(tier: ThroughputTier): string {
  return `the ${tier.throughputMBps} MBps tier carries ${formatNumber(tier.kafkaWriteMiBps)} MiB/s${tier.extrapolated ? ' (extrapolated)' : ''}`;
}

/** AKUs whose writes the tier carries. */
export function tierAkus(tier: ThroughputTier, aku: AkuDefinition): number {
  return Math.floor(tier.kafkaWriteMiBps / aku.writeMiBps + 1e-9);
}

export function checkWalTier(deploymentType: string, throughputMBps: number): WalTierCheck {
  const useInstead = WAL_DEPLOYMENT_TYPES.join(' or ');
  if (!isOntapDeploymentType(deploymentType)) {
    return {
      findings: [finding('WalDeploymentType', `deployment type ${deploymentType} is not an FSx for ONTAP deployment type: use ${useInstead}`)],
    };
  }
  const findings: Finding[] = [];
  if (!isWalDeploymentType(deploymentType)) {
    findings.push(
      finding('WalDeploymentType', `deployment type ${deploymentType} cannot hold the WAL: it does not survive the loss of a zone; use ${useInstead}`),
    );
  }
  const tier = findThroughputTier(deploymentType, throughputMBps);
  if (tier === undefined) {
    findings.push(
      finding(
        'WalTier',
        `${throughputMBps} MBps is not a ${deploymentType} throughput tier; allowed: ${allowedThroughputMBps(deploymentType).join(', ')} MBps`,
      ),
    );
  }
  // A single-AZ file system is refused outright; judging its tier against the AKUs would only add noise.
  return findings.length === 0 ? { findings, tier, deploymentType } : { findings };
}

export interface WalDemand {
  readonly akus: number;
  readonly aku: AkuDefinition;
  readonly deploymentType: OntapDeploymentType;
  readonly tier: ThroughputTier;
}

function neededWriteMiBps({ akus, aku }: WalDemand): number {
  return akus * aku.writeMiBps;
}

export function checkWalThroughput(demand: WalDemand): Finding[] {
  const need = neededWriteMiBps(demand);
  const { akus, aku, deploymentType, tier } = demand;
  if (need <= tier.kafkaWriteMiBps) return [];
  const larger = smallestTierCarrying(deploymentType, need);
  const fitting = tierAkus(tier, aku);
  const change = larger
    ? `choose ${larger.throughputMBps} MBps or at most ${fitting} AKU`
    : `no ${deploymentType} tier carries that much (the largest, ${describeLargest(deploymentType)}); at most ${fitting} AKU fit this one`;
  return [finding('WalThroughput', `${akus} AKU need ${formatNumber(need)} MiB/s of WAL writes; ${describeTierCarrying(tier)}: ${change}`)];
}

function describeLargest(deploymentType: OntapDeploymentType): string {
  const tiers = throughputTiers(deploymentType);
  return describeTierCarrying(tiers[tiers.length - 1]).replace(/^the /, '');
}

/** Warn when less than half of the tier is used and a smaller tier carries the AKUs. */
export function checkWalOversized(demand: WalDemand): Finding[] {
  const need = neededWriteMiBps(demand);
  const { akus, deploymentType, tier } = demand;
  const smallest = smallestTierCarrying(deploymentType, need);
  if (need * 2 >= tier.kafkaWriteMiBps || smallest === undefined || smallest.throughputMBps >= tier.throughputMBps) return [];
  const usedPercent = Math.round((need / tier.kafkaWriteMiBps) * 100);
  return [
    finding(
      'WalOversized',
      `${akus} AKU need ${formatNumber(need)} MiB/s of WAL writes; ${describeTierCarrying(tier)}, ${usedPercent}% used: ` +
        `${smallest.throughputMBps} MBps carries them (${formatNumber(smallest.kafkaWriteMiBps)} MiB/s) at lower cost`,
    ),
  ];
}
