/** Rules on the fleet's instance types: known figures, at least one AKU each, one size. */

import type { AkuDefinition } from '../aku';
import { akuNetworkMiBps } from '../aku';
import type { BrokerCapacity } from '../broker-capacity';
import { AKUS_PER_VCPU, brokerCapacity } from '../broker-capacity';
import type { InstanceTypeSpec } from '../instance-types';
import { findInstanceTypeSpec } from '../instance-types';
import type { Finding } from './catalogue';
import { finding, formatNumber, plural } from './catalogue';

export interface FleetBrokers {
  readonly perType: readonly BrokerCapacity[];
  /** AKUs per broker the fleet is sized with: the weakest type's, since Spot may hand out any of them. */
  readonly brokerAkus: number;
  /** "1 AKU per broker (m7g.large)", for messages and the plan. */
  readonly description: string;
}

export interface BrokerCheck {
  readonly findings: Finding[];
  /** Present when every type is known and carries at least one AKU. */
  readonly brokers?: FleetBrokers;
}

export function checkBrokers(
  instanceTypes: readonly string[],
  aku: AkuDefinition,
  instanceSpecs?: Readonly<Record<string, InstanceTypeSpec>>,
): BrokerCheck {
  if (instanceTypes.length === 0) {
    return {
      findings: [finding('InstanceTypeUnknown', 'no instance type is known for the fleet: list at least one, e.g. m7g.large, in the launch template or the mixed-instances overrides')],
    };
  }
  const findings: Finding[] = [];
  const perType: BrokerCapacity[] = [];
  for (const instanceType of instanceTypes) {
    const spec = findInstanceTypeSpec(instanceType, instanceSpecs);
    if (spec === undefined) {
      findings.push(
        finding(
          'InstanceTypeUnknown',
          `instance type ${instanceType} has no known vCPU and baseline network figures: pass them in instanceSpecs ` +
            `(e.g. { '${instanceType}': { vcpus: 2, baselineBandwidthGbps: 0.937 } }) or choose a listed type such as m7g.large`,
        ),
      );
      continue;
    }
    const capacity = brokerCapacity(instanceType, spec, aku);
    if (capacity.akus < 1) {
      findings.push(
        finding(
          'BrokerTooSmall',
          `instance type ${instanceType} carries no AKU: it has ${plural(spec.vcpus, 'vCPU')} and ${formatNumber(capacity.baselineMiBps)} MiB/s ` +
            `of baseline network each way, and one AKU needs ${formatNumber(1 / AKUS_PER_VCPU)} vCPU and ${formatNumber(akuNetworkMiBps(aku))} MiB/s: choose a larger type`,
        ),
      );
      continue;
    }
    perType.push(capacity);
  }
  if (findings.length > 0) return { findings };

  const brokerAkus = Math.min(...perType.map((c) => c.akus));
  const weakest = perType.filter((c) => c.akus === brokerAkus).map((c) => c.instanceType);
  if (perType.some((c) => c.akus !== brokerAkus)) {
    const each = perType.map((c) => `${c.instanceType} ${c.akus}`).join(', ');
    findings.push(
      finding(
        'MixedBrokerSizes',
        `the instance types carry different AKUs per broker (${each}); the fleet is sized for the weakest, ${brokerAkus} AKU, ` +
          'so stronger brokers idle: list types of one size',
      ),
    );
  }
  return { findings, brokers: { perType, brokerAkus, description: `${brokerAkus} AKU per broker (${weakest.join(', ')})` } };
}
