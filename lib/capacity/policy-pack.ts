/**
 * DisklessKafkaChecks: the capacity rules as a CDK policy validation plugin, for platform teams to
 * add to their own app:
 *
 *   Validations.of(app).addPlugins(new DisklessKafkaChecks());
 *
 * It reads the synthesized templates, not the construct tree, so an escape hatch
 * (`addPropertyOverride`) or a stack composed by hand from L1s is judged by what will be deployed.
 * Why a plugin and not a cdk-nag pack: docs/capacity.md.
 */

import { readFileSync } from 'node:fs';
import type { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport, PolicyViolation } from 'aws-cdk-lib';
import { assessCapacity } from './assess';
import type { CapacityRuleId, Finding } from './rules/catalogue';
import { CAPACITY_RULES, finding } from './rules/catalogue';
import { checkWalTier } from './rules/wal';
import type { CloudFormationTemplate, TemplateFileSystem, TemplateFleet } from './template-reader';
import { readFleets, readOntapFileSystems } from './template-reader';

export interface DisklessKafkaChecksProps {
  /**
   * Judge the only Auto Scaling group and the only ONTAP file system of a template as a pair even
   * when the group carries no capacity declaration (a stack composed by hand).
   *
   * @default true
   */
  readonly pairUndeclared?: boolean;
}

interface Located<T> {
  readonly templatePath: string;
  readonly resource: T;
}

const WAL_RULES: readonly CapacityRuleId[] = ['WalDeploymentType', 'WalTier', 'WalThroughput', 'WalOversized'];

const LOCATIONS: Partial<Record<CapacityRuleId, string[]>> = {
  WalDeploymentType: ['Properties.OntapConfiguration.DeploymentType'],
  WalTier: ['Properties.OntapConfiguration.ThroughputCapacity'],
  WalThroughput: ['Properties.OntapConfiguration.ThroughputCapacity'],
  WalOversized: ['Properties.OntapConfiguration.ThroughputCapacity'],
  ThreeZones: ['Properties.VPCZoneIdentifier', 'Properties.MinSize', 'Properties.DesiredCapacity'],
  FleetCapacity: ['Properties.MinSize'],
  ZoneLoss: ['Properties.MinSize'],
  FleetExceedsWal: ['Properties.MinSize', 'Properties.DesiredCapacity', 'Properties.MaxSize'],
  CapacityDeclaration: ['Metadata'],
};

export class DisklessKafkaChecks implements IPolicyValidationPlugin {
  public readonly name = 'DisklessKafkaChecks';
  public readonly ruleIds = Object.keys(CAPACITY_RULES);
  private readonly pairUndeclared: boolean;

  constructor(props: DisklessKafkaChecksProps = {}) {
    this.pairUndeclared = props.pairUndeclared ?? true;
  }

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const templates = context.templatePaths.map((templatePath) => ({
      templatePath,
      template: JSON.parse(readFileSync(templatePath, 'utf8')) as CloudFormationTemplate,
    }));
    const fileSystems = templates.flatMap(({ templatePath, template }) =>
      readOntapFileSystems(template).map((resource) => ({ templatePath, resource })),
    );
    const paired = new Set<Located<TemplateFileSystem>>();
    const violations: PolicyViolation[] = [];

    for (const { templatePath, template } of templates) {
      const fleets = readFleets(template);
      for (const fleet of fleets) {
        const wal = this.walOf(fleet, templatePath, fleets.length, fileSystems);
        if (wal === undefined) continue;
        paired.add(wal);
        const located = { templatePath, resource: fleet };
        for (const f of judgePair(fleet, wal.resource)) {
          violations.push(violation(f, WAL_RULES.includes(f.ruleId) ? wal : located));
        }
      }
    }
    // A file system no fleet claims may hold anything: only the tier itself is checked.
    for (const fileSystem of fileSystems.filter((fs) => !paired.has(fs))) {
      const { deploymentType, throughputMBps } = fileSystem.resource;
      if (deploymentType === undefined || throughputMBps === undefined) continue;
      const tierFindings = checkWalTier(deploymentType, throughputMBps).findings.filter((f) => f.ruleId === 'WalTier');
      violations.push(...tierFindings.map((f) => violation(f, fileSystem)));
    }
    return { success: violations.every((v) => v.severity !== 'error'), violations };
  }

  private walOf(
    fleet: TemplateFleet,
    templatePath: string,
    fleetsInTemplate: number,
    fileSystems: readonly Located<TemplateFileSystem>[],
  ): Located<TemplateFileSystem> | undefined {
    const declared = fleet.declaration?.walFileSystem;
    if (declared !== undefined) {
      const candidates = fileSystems.filter((fs) => fs.resource.logicalId === declared);
      return candidates.find((fs) => fs.templatePath === templatePath) ?? candidates[0];
    }
    const inTemplate = fileSystems.filter((fs) => fs.templatePath === templatePath);
    return this.pairUndeclared && fleetsInTemplate === 1 && inTemplate.length === 1 ? inTemplate[0] : undefined;
  }
}

/** Every rule a template can answer, for one fleet and its WAL. */
function judgePair(fleet: TemplateFleet, wal: TemplateFileSystem): Finding[] {
  if (wal.deploymentType === undefined || wal.throughputMBps === undefined) return [];
  const declaration = fleet.declaration;
  try {
    return assessCapacity({
      deploymentType: wal.deploymentType,
      throughputMBps: wal.throughputMBps,
      instanceTypes: fleet.instanceTypes,
      instanceSpecs: declaration?.instanceSpecs,
      aku: declaration?.aku,
      akus: declaration?.akus,
      keepAkusAfterZoneLoss: declaration?.keepAkusAfterZoneLoss,
      fleet: { minBrokers: fleet.minBrokers, desiredBrokers: fleet.desiredBrokers, maxBrokers: fleet.maxBrokers, zones: fleet.zones },
    }).findings;
  } catch (error) {
    return [finding('CapacityDeclaration', `the capacity declaration of ${fleet.logicalId} is malformed: ${(error as Error).message}`)];
  }
}

function violation(f: Finding, at: Located<{ logicalId: string }>): PolicyViolation {
  return {
    ruleName: f.ruleId,
    description: f.message,
    fix: `${CAPACITY_RULES[f.ruleId].summary} See docs/capacity.md.`,
    severity: f.severity,
    violatingResources: [
      { resourceLogicalId: at.resource.logicalId, templatePath: at.templatePath, locations: LOCATIONS[f.ruleId] ?? ['Properties'] },
    ],
  };
}
