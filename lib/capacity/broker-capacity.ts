/**
 * How many AKUs one broker of a given instance type carries.
 *
 * The rule: the smaller of
 * - one AKU per vCPU (AutoMQ's performance guide ran 6 AKU on 3 x r6i.large, 2 vCPUs each), and
 * - the AKUs whose worst-case network load fits the instance's *baseline* bandwidth, each way.
 *   Burst bandwidth lasts minutes, a Kafka load lasts all day, so only the baseline counts. Our WAL
 *   lives on the network (NFS), unlike AutoMQ's EBS WAL, so each written byte leaves the broker
 *   twice (WAL, then S3): see `akuNetworkMiBps`.
 * docs/capacity.md walks through the numbers.
 */

import type { AkuDefinition } from './aku';
import { akuNetworkMiBps } from './aku';
import type { InstanceTypeSpec } from './instance-types';

/** One AKU per vCPU: the CPU side of the rule. */
export const AKUS_PER_VCPU = 1;

const MIB = 1024 * 1024;

export interface BrokerCapacity {
  readonly instanceType: string;
  readonly spec: InstanceTypeSpec;
  /** AKUs one broker carries: min(vcpuAkus, networkAkus). */
  readonly akus: number;
  readonly vcpuAkus: number;
  readonly networkAkus: number;
  /** Baseline network bandwidth in MiB/s, each way. */
  readonly baselineMiBps: number;
  /** Which side of the rule binds. */
  readonly limitedBy: 'vcpus' | 'network';
}

export function baselineMiBps(spec: InstanceTypeSpec): number {
  return (spec.baselineBandwidthGbps * 1e9) / 8 / MIB;
}

export function brokerCapacity(instanceType: string, spec: InstanceTypeSpec, aku: AkuDefinition): BrokerCapacity {
  const baseline = baselineMiBps(spec);
  const vcpuAkus = Math.floor(spec.vcpus * AKUS_PER_VCPU);
  // The epsilon keeps 120.0000001 / 60 from flooring to 1 through float noise.
  const networkAkus = Math.floor(baseline / akuNetworkMiBps(aku) + 1e-9);
  return {
    instanceType,
    spec,
    akus: Math.min(vcpuAkus, networkAkus),
    vcpuAkus,
    networkAkus,
    baselineMiBps: baseline,
    limitedBy: networkAkus < vcpuAkus ? 'network' : 'vcpus',
  };
}
