/**
 * What the capacity model needs to know about an EC2 instance type: vCPUs and baseline network
 * bandwidth. The broker-capacity rule (broker-capacity.ts) turns these into AKUs per broker.
 *
 * Source: the Amazon EC2 Instance Types guide (network specifications, "baseline bandwidth"), the
 * same figures `DescribeInstanceTypes` returns as `VCpuInfo.DefaultVCpus` and
 * `NetworkInfo.NetworkCards[].BaselineBandwidthInGbps`. At deploy time the capacity guard reads
 * the live figures instead; this table only serves synth, so it covers the families a broker
 * fleet is likely to use. Any other type: pass its figures in `instanceSpecs`.
 */

export interface InstanceTypeSpec {
  /** Default vCPUs. */
  readonly vcpus: number;
  /** Baseline (sustained, not burst) network bandwidth in Gbps, each direction. */
  readonly baselineBandwidthGbps: number;
}

/** Sizes up to 4xlarge: the ones EC2 documents as "up to" a burst, with a lower baseline. */
const SIZES = ['large', 'xlarge', '2xlarge', '4xlarge'] as const;
const VCPUS_BY_SIZE = [2, 4, 8, 16] as const;

/** Baseline Gbps for large, xlarge, 2xlarge, 4xlarge; the same across the m, c and r families of a generation. */
const GENERATIONS: readonly { families: readonly string[]; baselineGbps: readonly number[] }[] = [
  { families: ['m6g', 'c6g', 'r6g'], baselineGbps: [0.75, 1.25, 2.5, 5] }, // Graviton2
  { families: ['m7g', 'c7g', 'r7g'], baselineGbps: [0.937, 1.876, 3.75, 7.5] }, // Graviton3
  {
    families: ['m6i', 'c6i', 'r6i', 'm7i', 'c7i', 'r7i', 'm6a', 'm7a'], // Intel Ice Lake / Sapphire Rapids, AMD Milan / Genoa
    baselineGbps: [0.781, 1.562, 3.125, 6.25],
  },
];

/** The built-in table, keyed by instance type name ("m7g.large"). */
export const INSTANCE_TYPE_SPECS: Readonly<Record<string, InstanceTypeSpec>> = Object.fromEntries(
  GENERATIONS.flatMap(({ families, baselineGbps }) =>
    families.flatMap((family) =>
      SIZES.map((size, i) => [`${family}.${size}`, { vcpus: VCPUS_BY_SIZE[i], baselineBandwidthGbps: baselineGbps[i] }]),
    ),
  ),
);

/** The spec of `instanceType`: the caller's figures first (live or user-supplied), then the table. */
export function findInstanceTypeSpec(
  instanceType: string,
  overrides?: Readonly<Record<string, InstanceTypeSpec>>,
): InstanceTypeSpec | undefined {
  return overrides?.[instanceType] ?? INSTANCE_TYPE_SPECS[instanceType];
}
