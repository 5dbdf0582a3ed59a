/** The capacity plan as text (synth annotation, stack output) and as a Markdown table (README, docs). */

import type { CapacityPlan } from './plan';
import { formatNumber, plural } from './rules/catalogue';

/** [label, value] rows shared by both renderings, so they never disagree. */
export function planRows(plan: CapacityPlan): [string, string][] {
  const { aku, wal, fleet } = plan;
  const rows: [string, string][] = [];
  if (wal) {
    const { tier } = wal;
    rows.push([
      'WAL tier',
      `${wal.deploymentType} ${tier.throughputMBps} MBps: ${formatNumber(tier.kafkaWriteMiBps)} MiB/s of Kafka writes ` +
        `(${tier.extrapolated ? 'extrapolated' : 'measured'}), ${wal.tierAkus} AKU`,
    ]);
  }
  rows.push(
    ['AKUs', `${plan.akus} (1 AKU = ${formatNumber(aku.writeMiBps)} MiB/s write or ${formatNumber(aku.readMiBps)} MiB/s read, ${aku.partitions} partitions; ${aku.source})`],
    ['Throughput', `${formatNumber(plan.writeMiBps)} MiB/s write or ${formatNumber(plan.readMiBps)} MiB/s read (or a mix in proportion), ${plan.partitions} partitions`],
  );
  if (fleet) {
    const types = fleet.instanceTypes
      .map((c) => `${c.instanceType} ${c.akus} (${plural(c.spec.vcpus, 'vCPU')}, ${formatNumber(c.baselineMiBps)} MiB/s baseline, ${c.limitedBy}-bound)`)
      .join('; ');
    rows.push(
      ['Brokers', `${fleet.desiredBrokers} (per zone: ${fleet.perZone.join(', ')}), minimum ${fleet.minBrokers}, maximum ${fleet.maxBrokers}`],
      ['AKU per broker', `${fleet.brokerAkus}: ${types}`],
      ['Fleet', `${fleet.akus} AKU; ${fleet.akusAfterZoneLoss} AKU after losing its fullest zone${plan.keepAkusAfterZoneLoss ? ' (required)' : ''}`],
    );
  }
  if (wal) {
    rows.push(['WAL headroom', `${formatNumber(wal.headroomMiBps)} MiB/s of writes (${wal.headroomPercent}%)`]);
  }
  const findings = plan.findings.map((f) => `${f.severity} ${f.ruleId}: ${f.message}`);
  rows.push(['Findings', findings.length === 0 ? 'none' : findings.join(' | ')]);
  return rows;
}

export function formatPlanText(plan: CapacityPlan): string {
  const rows = planRows(plan);
  const width = Math.max(...rows.map(([label]) => label.length));
  return ['Capacity plan', ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)].join('\n');
}

export function formatPlanMarkdown(plan: CapacityPlan): string {
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  return ['| Capacity plan | |', '|---|---|', ...planRows(plan).map(([label, value]) => `| ${label} | ${escape(value)} |`)].join('\n');
}

/** One line for a stack output: tier, AKUs, brokers, headroom. */
export function formatPlanSummary(plan: CapacityPlan): string {
  const parts = [`${plan.akus} AKU`];
  if (plan.wal) parts.unshift(`${plan.wal.tier.throughputMBps} MBps WAL`);
  if (plan.fleet) parts.push(`${plan.fleet.desiredBrokers} brokers (max ${plan.fleet.maxBrokers}, ${plan.fleet.brokerAkus} AKU each)`);
  if (plan.wal) parts.push(`${formatNumber(plan.wal.headroomMiBps)} MiB/s WAL headroom`);
  return parts.join(', ');
}

