/**
 * The generated parts of docs/capacity.md and README.md: tables and examples rendered from the
 * capacity model, so the docs never hold a second, hand-typed copy of a figure.
 *
 *   npm run docs:capacity            rewrite the generated blocks
 *   npm run docs:capacity -- --check exit 1 if a block is stale (test/capacity/docs.test.ts does the same)
 *
 * A block sits between `<!-- capacity:NAME -->` and `<!-- /capacity:NAME -->`.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { BrokerImage } from '../broker-image';
import { DisklessKafkaCluster } from '../diskless-kafka-cluster';
import { packageRoot } from '../private/package-root';
import type { CapacityState } from './model';
import {
  akuNetworkMiBps,
  assessCapacity,
  brokerCapacity,
  CAPACITY_RULES,
  checkInstanceTypesOffered,
  checkWalAvailable,
  checkWalTierAgainstDeclared,
  DEFAULT_AKU,
  formatNumber,
  formatPlanMarkdown,
  INSTANCE_TYPE_SPECS,
  throughputTiers,
  tierAkus,
  WAL_DEPLOYMENT_TYPES,
} from './model';
import type { CapacityRuleId, Finding } from './rules/catalogue';

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function renderTierTable(): string {
  const rows = WAL_DEPLOYMENT_TYPES.flatMap((deploymentType) =>
    throughputTiers(deploymentType).map((tier) => [
      deploymentType,
      String(tier.throughputMBps),
      formatNumber(tier.kafkaWriteMiBps),
      String(tierAkus(tier, DEFAULT_AKU)),
      tier.extrapolated ? 'extrapolated' : 'measured',
    ]),
  );
  return table(['Deployment type', 'Tier (MBps)', 'Kafka writes (MiB/s)', 'AKU (default definition)', 'Figure'], rows);
}

export function renderInstanceTable(): string {
  const rows = Object.entries(INSTANCE_TYPE_SPECS).map(([instanceType, spec]) => {
    const capacity = brokerCapacity(instanceType, spec, DEFAULT_AKU);
    return [
      instanceType,
      String(spec.vcpus),
      String(spec.baselineBandwidthGbps),
      formatNumber(capacity.baselineMiBps),
      String(capacity.akus),
      capacity.limitedBy,
    ];
  });
  return table(['Instance type', 'vCPUs', 'Baseline Gbps', 'Baseline MiB/s', `AKU per broker (${formatNumber(akuNetworkMiBps(DEFAULT_AKU))} MiB/s each)`, 'Bound by'], rows);
}

export function renderRuleTable(): string {
  const rows = Object.entries(CAPACITY_RULES).map(([id, rule]) => [`\`${id}\``, rule.severity, rule.enforcedAt.join(', '), rule.summary]);
  return table(['Rule', 'Severity', 'Enforced at', 'What it guards'], rows);
}

/** One real message per rule, from the model itself, for the inputs described. */
export function renderRuleExamples(): string {
  const base: CapacityState = { deploymentType: 'MULTI_AZ_2', throughputMBps: 384, instanceTypes: ['m7g.large'], akus: 3 };
  const fleet = { zones: 3, minBrokers: 3, desiredBrokers: 3, maxBrokers: 5 };
  const examples: [string, Finding[]][] = [
    ['a SINGLE_AZ_1 file system', assessCapacity({ ...base, deploymentType: 'SINGLE_AZ_1', throughputMBps: 512 }).findings],
    ['a 400 MBps MULTI_AZ_2 file system', assessCapacity({ ...base, throughputMBps: 400 }).findings],
    ['6 AKU on 384 MBps', assessCapacity({ ...base, akus: 6 }).findings],
    ['3 AKU on 768 MBps', assessCapacity({ ...base, throughputMBps: 768 }).findings],
    ['an instance type the table lacks', assessCapacity({ ...base, instanceTypes: ['x9g.large'] }).findings],
    ['a type with too little network', assessCapacity({ ...base, instanceSpecs: { 'm7g.large': { vcpus: 2, baselineBandwidthGbps: 0.25 } } }).findings],
    ['m7g.large mixed with m7g.xlarge', assessCapacity({ ...base, instanceTypes: ['m7g.large', 'm7g.xlarge'] }).findings],
    ['1 AKU on m7g.2xlarge brokers', assessCapacity({ ...base, akus: 1, instanceTypes: ['m7g.2xlarge'] }).findings],
    ['a fleet over two zones', assessCapacity({ ...base, fleet: { ...fleet, zones: 2 } }).findings],
    ['4 AKU on a fleet of minimum 3', assessCapacity({ ...base, akus: 4, fleet }).findings],
    ['3 AKU to keep after a zone loss, minimum 4', assessCapacity({ ...base, keepAkusAfterZoneLoss: true, fleet: { ...fleet, minBrokers: 4, maxBrokers: 8 } }).findings],
    ['a maximum raised to 9 on 384 MBps', assessCapacity({ ...base, fleet: { ...fleet, maxBrokers: 9 } }).findings],
    ['a file system in a failed state', checkWalAvailable('fs-0123', 'MISCONFIGURED')],
    ['a live tier of 384 MBps declared as 768', checkWalTierAgainstDeclared('fs-0123', 384, 768)],
    ['m6g.large missing in one zone', checkInstanceTypesOffered(['m6g.large'], ['us-east-1a', 'us-east-1b', 'us-east-1e'], (_t, zone) => zone !== 'us-east-1e')],
  ];
  const covered = new Set<CapacityRuleId>(['CapacityDeclaration']);
  const lines = examples.map(([input, findings]) => {
    const [f] = findings;
    if (f === undefined) throw new Error(`rule example "${input}" produced no finding`);
    covered.add(f.ruleId);
    return `- **${f.ruleId}** (${f.severity}), ${input}: "${f.message}"`;
  });
  const missing = Object.keys(CAPACITY_RULES).filter((id) => !covered.has(id as CapacityRuleId));
  if (missing.length > 0) throw new Error(`rule examples miss ${missing.join(', ')}`);
  return lines.join('\n');
}

/** The plan of `new DisklessKafkaCluster(stack, 'Kafka')` with every capacity default. */
export function renderDefaultClusterPlan(): string {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Default', { env: { region: 'us-east-1' } });
  // The image and the zone names do not enter the plan; a registry image spares the asset staging.
  const cluster = new DisklessKafkaCluster(stack, 'Kafka', {
    availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    image: BrokerImage.fromRegistry('public.ecr.aws/example/diskless-kafka:latest'),
  });
  return formatPlanMarkdown(cluster.capacityPlan);
}

export interface GeneratedFile {
  readonly file: string;
  readonly blocks: Readonly<Record<string, () => string>>;
}

export const GENERATED_FILES: readonly GeneratedFile[] = [
  { file: 'README.md', blocks: { 'default-plan': renderDefaultClusterPlan } },
  {
    file: 'docs/capacity.md',
    blocks: {
      tiers: renderTierTable,
      'instance-types': renderInstanceTable,
      rules: renderRuleTable,
      'rule-examples': renderRuleExamples,
      'default-plan': renderDefaultClusterPlan,
    },
  },
];

/** `text` with each named block's content replaced; throws when a block's markers are missing. */
export function fillBlocks(text: string, blocks: Readonly<Record<string, string>>, file: string): string {
  let result = text;
  for (const [name, content] of Object.entries(blocks)) {
    const start = `<!-- capacity:${name} -->`;
    const end = `<!-- /capacity:${name} -->`;
    const from = result.indexOf(start);
    const to = result.indexOf(end);
    if (from < 0 || to < from) throw new Error(`${file} lacks the markers ${start} ... ${end}`);
    result = `${result.slice(0, from + start.length)}\n${content}\n${result.slice(to)}`;
  }
  return result;
}

/** The files whose generated blocks differ from what the model renders now. */
export function staleFiles(root = packageRoot()): string[] {
  const cache = new Map<() => string, string>();
  const render = (fn: () => string) => cache.get(fn) ?? cache.set(fn, fn()).get(fn)!;
  return GENERATED_FILES.filter(({ file, blocks }) => {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    const rendered = Object.fromEntries(Object.entries(blocks).map(([name, fn]) => [name, render(fn)]));
    return fillBlocks(text, rendered, file) !== text;
  }).map(({ file }) => file);
}

function main(args: string[]): void {
  const root = packageRoot();
  if (args.includes('--check')) {
    const stale = staleFiles(root);
    if (stale.length > 0) {
      console.error(`stale capacity docs: ${stale.join(', ')}; run npm run docs:capacity`);
      process.exit(1);
    }
    return;
  }
  for (const { file, blocks } of GENERATED_FILES) {
    const target = path.join(root, file);
    const rendered = Object.fromEntries(Object.entries(blocks).map(([name, fn]) => [name, fn()]));
    fs.writeFileSync(target, fillBlocks(fs.readFileSync(target, 'utf8'), rendered, file));
    console.log(`wrote ${file}`);
  }
}

if (require.main === module) main(process.argv.slice(2));
