/**
 * The AKU (capacity unit) the cluster's broker capacity is counted in.
 *
 * One table with its source, overridable by users who measured their own. Everything that turns
 * AKUs into MiB/s, partitions or brokers takes an `AkuDefinition`, never the numbers themselves.
 */

export interface AkuDefinition {
  /** Kafka write (produce) MiB/s one AKU carries. */
  readonly writeMiBps: number;
  /** Kafka read (fetch) MiB/s one AKU carries. An AKU carries writes or reads, or a mix in proportion. */
  readonly readMiBps: number;
  /** Partitions one AKU serves. */
  readonly partitions: number;
  /** Where the figures come from: shown in the capacity plan so nobody mistakes them for a measurement here. */
  readonly source: string;
}

/** AutoMQ's published BYOC definition: 1 AKU = 30 MiB/s of writes or 60 MiB/s of reads, 1,125 partitions. */
export const DEFAULT_AKU: AkuDefinition = {
  writeMiBps: 30,
  readMiBps: 60,
  partitions: 1125,
  source: "AutoMQ's BYOC billing page and performance guide",
};

/** A user's own AKU definition, e.g. from their benchmark; `source` defaults to "user-supplied". */
export interface AkuDefinitionOverride {
  readonly writeMiBps: number;
  readonly readMiBps: number;
  readonly partitions: number;
  readonly source?: string;
}

/** The definition in force: the user's override, or the default. Throws a clear error on nonsense. */
export function resolveAku(override?: AkuDefinitionOverride): AkuDefinition {
  if (override === undefined) return DEFAULT_AKU;
  for (const field of ['writeMiBps', 'readMiBps', 'partitions'] as const) {
    const value: unknown = override[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      const unit = field === 'partitions' ? 'partitions' : 'MiB/s';
      throw new Error(`AKU definition: ${field} must be a positive number (${unit}), got ${String(value)}`);
    }
  }
  return { ...override, source: override.source ?? 'user-supplied definition' };
}

/**
 * MiB/s one AKU moves through a broker's network in each direction, in the worst mix of its load.
 *
 * A write is received once and sent twice (to the WAL over NFS, then to S3); a read is sent once to
 * the consumer and, when it misses the cache, received once from S3 or the WAL. A mix of w MiB/s of
 * writes and r MiB/s of reads fits one AKU when w/write + r/read <= 1, so the outbound load
 * 2w + r peaks at one of the two pure mixes: max(2 x write, read).
 */
export function akuNetworkMiBps(aku: AkuDefinition): number {
  return Math.max(2 * aku.writeMiBps, aku.readMiBps);
}
