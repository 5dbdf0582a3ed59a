/**
 * Reads what the capacity rules need out of a synthesized CloudFormation template: ONTAP file
 * systems (deployment type, throughput) and Auto Scaling groups (sizes, zones, instance types,
 * capacity declaration). Values hidden behind intrinsics or parameters read as undefined: the
 * rules skip what they cannot see rather than guess.
 */

import type { CapacityDeclaration } from './template-declaration';
import { readCapacityDeclaration } from './template-declaration';

interface TemplateResource {
  readonly Type?: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: unknown;
}

export interface CloudFormationTemplate {
  readonly Resources?: Record<string, TemplateResource>;
}

export interface TemplateFileSystem {
  readonly logicalId: string;
  readonly deploymentType?: string;
  readonly throughputMBps?: number;
}

export interface TemplateFleet {
  readonly logicalId: string;
  readonly minBrokers?: number;
  readonly maxBrokers?: number;
  readonly desiredBrokers?: number;
  /** Distinct zones of its subnets (or AvailabilityZones); undefined when they cannot be read. */
  readonly zones?: number;
  readonly instanceTypes: readonly string[];
  readonly declaration?: CapacityDeclaration;
}

export function readOntapFileSystems(template: CloudFormationTemplate): TemplateFileSystem[] {
  return resourcesOfType(template, 'AWS::FSx::FileSystem')
    .filter(([, resource]) => resource.Properties?.FileSystemType === 'ONTAP')
    .map(([logicalId, resource]) => {
      const ontap = asRecord(resource.Properties?.OntapConfiguration);
      return {
        logicalId,
        deploymentType: typeof ontap?.DeploymentType === 'string' ? ontap.DeploymentType : undefined,
        throughputMBps: literalNumber(ontap?.ThroughputCapacity) ?? literalNumber(ontap?.ThroughputCapacityPerHAPair),
      };
    });
}

export function readFleets(template: CloudFormationTemplate): TemplateFleet[] {
  return resourcesOfType(template, 'AWS::AutoScaling::AutoScalingGroup').map(([logicalId, resource]) => {
    const properties = resource.Properties ?? {};
    return {
      logicalId,
      minBrokers: literalNumber(properties.MinSize),
      maxBrokers: literalNumber(properties.MaxSize),
      desiredBrokers: literalNumber(properties.DesiredCapacity),
      zones: countZones(template, properties),
      instanceTypes: readInstanceTypes(template, properties),
      declaration: readCapacityDeclaration(resource.Metadata),
    };
  });
}

function resourcesOfType(template: CloudFormationTemplate, type: string): [string, TemplateResource][] {
  return Object.entries(template.Resources ?? {}).filter(([, resource]) => resource.Type === type);
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** 3 and "3" read as 3 (MinSize and friends are strings in CloudFormation); intrinsics read as undefined. */
function literalNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

/** The logical id a `{ Ref }` or `{ Fn::GetAtt }` points at. */
function referencedLogicalId(value: unknown): string | undefined {
  const record = asRecord(value);
  if (typeof record?.Ref === 'string') return record.Ref;
  const getAtt = record?.['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

function countZones(template: CloudFormationTemplate, properties: Record<string, unknown>): number | undefined {
  if (Array.isArray(properties.AvailabilityZones)) {
    return new Set(properties.AvailabilityZones.map((zone) => JSON.stringify(zone))).size;
  }
  if (!Array.isArray(properties.VPCZoneIdentifier)) return undefined;
  // A subnet declared in this template is keyed by its AvailabilityZone (a name or an Fn::Select
  // over Fn::GetAZs); any other subnet by itself, i.e. assumed to be in a zone of its own.
  const zoneKeys = properties.VPCZoneIdentifier.map((subnet) => {
    const subnetId = referencedLogicalId(subnet);
    const subnetResource = subnetId ? template.Resources?.[subnetId] : undefined;
    const zone = subnetResource?.Type === 'AWS::EC2::Subnet' ? subnetResource.Properties?.AvailabilityZone : undefined;
    return JSON.stringify(zone ?? subnet);
  });
  return new Set(zoneKeys).size;
}

function readInstanceTypes(template: CloudFormationTemplate, properties: Record<string, unknown>): string[] {
  const mixedLaunchTemplate = asRecord(asRecord(properties.MixedInstancesPolicy)?.LaunchTemplate);
  const overrides = mixedLaunchTemplate?.Overrides;
  if (Array.isArray(overrides)) {
    const types = overrides.map((override) => asRecord(override)?.InstanceType).filter((t): t is string => typeof t === 'string');
    if (types.length > 0) return types;
  }
  const specification = asRecord(mixedLaunchTemplate?.LaunchTemplateSpecification) ?? asRecord(properties.LaunchTemplate);
  const fromLaunchTemplate = resourceProperty(template, specification?.LaunchTemplateId ?? specification?.LaunchTemplateName, 'AWS::EC2::LaunchTemplate');
  const launchTemplateType = asRecord(fromLaunchTemplate?.LaunchTemplateData)?.InstanceType;
  if (typeof launchTemplateType === 'string') return [launchTemplateType];
  const launchConfiguration = resourceProperty(template, properties.LaunchConfigurationName, 'AWS::AutoScaling::LaunchConfiguration');
  return typeof launchConfiguration?.InstanceType === 'string' ? [launchConfiguration.InstanceType] : [];
}

function resourceProperty(template: CloudFormationTemplate, reference: unknown, type: string): Record<string, unknown> | undefined {
  const logicalId = referencedLogicalId(reference);
  const resource = logicalId ? template.Resources?.[logicalId] : undefined;
  return resource?.Type === type ? resource.Properties : undefined;
}
