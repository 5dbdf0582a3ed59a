/**
 * The capacity a fleet was built for, written into its Auto Scaling group's template Metadata so the
 * policy pack (policy-pack.ts) can judge a synthesized template on its own: which file system holds
 * its WAL and how many AKUs it was asked to carry. The template itself says the rest (tier, sizes,
 * zones, instance types), escape hatches included.
 */

import type { CfnResource } from 'aws-cdk-lib';
import type { AkuDefinitionOverride } from './aku';
import type { InstanceTypeSpec } from './instance-types';

export const CAPACITY_METADATA_KEY = 'DisklessKafka::Capacity';

export interface CapacityDeclaration {
  /** Logical id of the WAL's AWS::FSx::FileSystem. */
  readonly walFileSystem: string;
  readonly akus: number;
  readonly keepAkusAfterZoneLoss?: boolean;
  readonly aku?: AkuDefinitionOverride;
  readonly instanceSpecs?: Readonly<Record<string, InstanceTypeSpec>>;
}

/** Record on `autoScalingGroup` that its WAL is `fileSystem` and what it must carry. */
export function declareCapacity(
  autoScalingGroup: CfnResource,
  fileSystem: CfnResource,
  declaration: Omit<CapacityDeclaration, 'walFileSystem'>,
): void {
  // logicalId is a token resolved at synthesis, so it follows overrideLogicalId.
  autoScalingGroup.addMetadata(CAPACITY_METADATA_KEY, { ...declaration, walFileSystem: fileSystem.logicalId });
}

/** The declaration in a resource's Metadata, or undefined when there is none or it is malformed. */
export function readCapacityDeclaration(metadata: unknown): CapacityDeclaration | undefined {
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const value: unknown = (metadata as Record<string, unknown>)[CAPACITY_METADATA_KEY];
  if (typeof value !== 'object' || value === null) return undefined;
  const declaration = value as Partial<CapacityDeclaration>;
  if (typeof declaration.walFileSystem !== 'string' || typeof declaration.akus !== 'number') return undefined;
  return declaration as CapacityDeclaration;
}
