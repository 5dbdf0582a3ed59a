/**
 * Every capacity rule: its id, its severity and what it guards. The checks live next door, one file
 * per concern (wal.ts, brokers.ts, fleet.ts, live.ts); docs/capacity.md is generated from this list.
 */

export type Severity = 'error' | 'warning';

/** Where a rule is enforced: at synth (props and templates), at deploy (custom resource), while running. */
export type Enforcement = 'synth' | 'deploy' | 'running';

export interface CapacityRule {
  readonly severity: Severity;
  readonly summary: string;
  readonly enforcedAt: readonly Enforcement[];
}

const EVERYWHERE: readonly Enforcement[] = ['synth', 'deploy', 'running'];
const LIVE_ONLY: readonly Enforcement[] = ['deploy', 'running'];

export const CAPACITY_RULES = {
  WalDeploymentType: {
    severity: 'error',
    summary: 'The WAL file system is Multi-AZ (MULTI_AZ_2 or MULTI_AZ_1): it must survive the loss of a zone.',
    enforcedAt: EVERYWHERE,
  },
  WalTier: {
    severity: 'error',
    summary: 'The throughput capacity is one of the tiers the deployment type allows.',
    enforcedAt: EVERYWHERE,
  },
  WalThroughput: {
    severity: 'error',
    summary: 'The requested AKUs need no more WAL write throughput than the tier carries.',
    enforcedAt: EVERYWHERE,
  },
  WalOversized: {
    severity: 'warning',
    summary: 'The tier is far larger than the requested AKUs need (less than half used, and a smaller tier carries them).',
    enforcedAt: EVERYWHERE,
  },
  InstanceTypeUnknown: {
    severity: 'error',
    summary: 'Every instance type of the fleet has known vCPU and baseline network figures.',
    enforcedAt: EVERYWHERE,
  },
  BrokerTooSmall: {
    severity: 'error',
    summary: 'Every instance type carries at least one AKU.',
    enforcedAt: EVERYWHERE,
  },
  MixedBrokerSizes: {
    severity: 'warning',
    summary: 'The instance types carry the same AKUs per broker (the fleet is sized for the weakest).',
    enforcedAt: EVERYWHERE,
  },
  BrokersExceedWal: {
    severity: 'warning',
    summary: 'The smallest fleet for the requested AKUs does not guarantee more AKUs than the tier absorbs.',
    enforcedAt: EVERYWHERE,
  },
  ThreeZones: {
    severity: 'error',
    summary: 'The fleet spans three zones and never has fewer than three brokers (one per zone).',
    enforcedAt: EVERYWHERE,
  },
  FleetCapacity: {
    severity: 'error',
    summary: "The fleet's minimum size carries the requested AKUs.",
    enforcedAt: EVERYWHERE,
  },
  ZoneLoss: {
    severity: 'error',
    summary: 'When asked to keep its AKUs after losing a zone, the fleet still carries them without its fullest zone.',
    enforcedAt: EVERYWHERE,
  },
  FleetExceedsWal: {
    severity: 'error',
    summary:
      "The fleet's minimum, desired and maximum sizes guarantee no more AKUs than the tier absorbs. Declared values fail; live values are clamped.",
    enforcedAt: EVERYWHERE,
  },
  CapacityDeclaration: {
    severity: 'error',
    summary: "The capacity a fleet declares in its template Metadata (the policy pack's input) is well formed.",
    enforcedAt: ['synth'],
  },
  WalAvailable: {
    severity: 'error',
    summary: 'The WAL file system is AVAILABLE (or UPDATING) so its live tier can be read.',
    enforcedAt: LIVE_ONLY,
  },
  WalTierBelowDeclared: {
    severity: 'error',
    summary: "The live file system's tier is not smaller than the tier the cluster declares.",
    enforcedAt: LIVE_ONLY,
  },
  InstanceTypeOffered: {
    severity: 'error',
    summary: "Every instance type is offered in each of the fleet's three zones.",
    enforcedAt: LIVE_ONLY,
  },
} as const satisfies Record<string, CapacityRule>;

export type CapacityRuleId = keyof typeof CAPACITY_RULES;

export interface Finding {
  readonly ruleId: CapacityRuleId;
  readonly severity: Severity;
  /** What was asked, what the limit is, and what to change. */
  readonly message: string;
}

export function finding(ruleId: CapacityRuleId, message: string): Finding {
  return { ruleId, severity: CAPACITY_RULES[ruleId].severity, message };
}

export function errorsOf(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.severity === 'error');
}

export function warningsOf(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.severity === 'warning');
}

/** "12", "12.5": MiB/s and AKU figures in messages, without float noise. */
export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
