/**
 * The capacity guard handler. One function serves three callers:
 * - the custom resource (Provider framework) on Create and Update: read the live values, judge them,
 *   and fail the deployment with the broken rules' messages; on Delete, nothing to check;
 * - the schedule and the fleet's scaling events: judge the live values, clamp a fleet raised beyond
 *   what the WAL tier absorbs, and report.
 * Every run publishes the WAL headroom and the count of broken rules, and logs one line.
 */

import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import type { CloudWatchClient, MetricDatum } from '@aws-sdk/client-cloudwatch';
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { CapacityGuardConfig } from '../../lib/capacity/guard-config';
import { GUARD_METRICS, parseGuardConfig } from '../../lib/capacity/guard-config';
import type { Finding } from '../../lib/capacity/model';
import { errorsOf } from '../../lib/capacity/model';
import type { Clamp, Judgement } from './judge';
import { judge } from './judge';
import type { AwsClients, LiveState } from './live';
import { readLiveState } from './live';
import type { RetryOptions } from './retry';
import { withRetry } from './retry';

export interface GuardDependencies {
  readonly clients: AwsClients & { readonly cloudWatch: CloudWatchClient };
  readonly retry: RetryOptions;
  /** Receives the run's one log line. */
  readonly log: (line: string) => void;
}

/** What the Provider framework hands the onEvent handler (the fields the guard reads). */
export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResourceProperties: { readonly Config?: unknown };
  readonly PhysicalResourceId?: string;
}

/** What the EventBridge rules send (their target input). */
export interface TriggerEvent {
  readonly trigger: 'schedule' | 'scaling-event';
  readonly config: unknown;
}

export interface CustomResourceResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, number>;
}

export interface RunReport {
  readonly trigger: string;
  readonly findings: readonly Finding[];
  /** What the guard changed, e.g. "set MaxSize 9 -> 5". */
  readonly actions: readonly string[];
  /** Errors left after the guard's actions. */
  readonly violations: number;
  readonly headroomMiBps?: number;
}

export function createCapacityGuard(deps: GuardDependencies) {
  return async (event: CustomResourceEvent | TriggerEvent): Promise<CustomResourceResponse | RunReport> => {
    if ('RequestType' in event) return onCustomResourceEvent(event, deps);
    if (event.trigger === 'schedule' || event.trigger === 'scaling-event') return onTrigger(event, deps);
    throw new Error(`capacity guard: unknown event ${JSON.stringify(event).slice(0, 200)}; expected a custom resource event or { trigger, config }`);
  };
}

async function onCustomResourceEvent(event: CustomResourceEvent, deps: GuardDependencies): Promise<CustomResourceResponse> {
  const trigger = event.RequestType.toLowerCase();
  if (event.RequestType === 'Delete') {
    // Nothing to undo, and a Delete must not fail (CloudFormation also sends one after a failed Create).
    deps.log(JSON.stringify({ guard: 'capacity', trigger, summary: 'nothing to check on delete' }));
    return { PhysicalResourceId: event.PhysicalResourceId ?? 'capacity-guard' };
  }
  const config = parseGuardConfig(event.ResourceProperties.Config);
  const run = await observe(trigger, config, deps, () => Promise.resolve([]));
  const errors = errorsOf(run.judgement.findings);
  if (errors.length > 0) {
    throw new Error(
      `capacity guard: the live resources break ${errors.length} capacity rule(s):\n` + errors.map((f) => `- ${f.ruleId}: ${f.message}`).join('\n'),
    );
  }
  const data: Record<string, number> = {};
  if (run.judgement.maxBrokers !== undefined) data.MaxBrokers = run.judgement.maxBrokers;
  if (run.judgement.brokerAkus !== undefined) data.BrokerAkus = run.judgement.brokerAkus;
  if (run.judgement.headroomMiBps !== undefined) data.WalWriteHeadroomMiBps = run.judgement.headroomMiBps;
  return { PhysicalResourceId: event.PhysicalResourceId ?? `capacity-guard:${config.autoScalingGroupName}`, Data: data };
}

async function onTrigger(event: TriggerEvent, deps: GuardDependencies): Promise<RunReport> {
  const config = parseGuardConfig(event.config);
  const run = await observe(event.trigger, config, deps, (live, judgement) => enforce(config, live, judgement, deps));
  return { trigger: event.trigger, findings: run.judgement.findings, actions: run.actions, violations: run.violations, headroomMiBps: run.judgement.headroomMiBps };
}

interface Run {
  readonly judgement: Judgement;
  readonly actions: string[];
  readonly violations: number;
}

/** Read, judge, act, publish, log: the part every trigger shares. */
async function observe(
  trigger: string,
  config: CapacityGuardConfig,
  deps: GuardDependencies,
  act: (live: LiveState, judgement: Judgement) => Promise<string[]>,
): Promise<Run> {
  const line: Record<string, unknown> = { guard: 'capacity', trigger, cluster: config.clusterName };
  try {
    const live = await readLiveState(config, deps.clients, deps.retry);
    const judgement = judge(config, live);
    const actions = await act(live, judgement);
    // A clamp fixes every FleetExceedsWal finding: it sets each size above the bound to the bound.
    const remaining = errorsOf(judgement.findings).filter((f) => !(actions.length > 0 && f.ruleId === 'FleetExceedsWal'));
    await publish(config, judgement, remaining.length, deps);
    Object.assign(line, describeRun(live, judgement, actions, remaining));
    return { judgement, actions, violations: remaining.length };
  } catch (error) {
    line.error = (error as Error).message;
    line.summary = `failed: ${(error as Error).message}`;
    throw error;
  } finally {
    deps.log(JSON.stringify(line));
  }
}

async function enforce(config: CapacityGuardConfig, live: LiveState, judgement: Judgement, deps: GuardDependencies): Promise<string[]> {
  const clamp: Clamp = judgement.clamp;
  const fields = Object.keys(clamp) as (keyof Clamp)[];
  if (fields.length === 0) return [];
  const autoScaling: AutoScalingClient = deps.clients.autoScaling;
  await withRetry(() => autoScaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: config.autoScalingGroupName, ...clamp })), deps.retry);
  const before: Record<keyof Clamp, number> = {
    MinSize: live.fleet.minBrokers,
    DesiredCapacity: live.fleet.desiredBrokers,
    MaxSize: live.fleet.maxBrokers,
  };
  return fields.map((field) => `set ${field} ${before[field]} -> ${clamp[field]}`);
}

async function publish(config: CapacityGuardConfig, judgement: Judgement, violations: number, deps: GuardDependencies): Promise<void> {
  const Dimensions = [{ Name: 'ClusterName', Value: config.clusterName }];
  const MetricData: MetricDatum[] = [{ MetricName: GUARD_METRICS.violations, Dimensions, Value: violations, Unit: 'Count' }];
  if (judgement.headroomMiBps !== undefined) {
    MetricData.push({ MetricName: GUARD_METRICS.headroom, Dimensions, Value: judgement.headroomMiBps, Unit: 'None' });
  }
  await withRetry(() => deps.clients.cloudWatch.send(new PutMetricDataCommand({ Namespace: config.metricNamespace, MetricData })), deps.retry);
}

function describeRun(live: LiveState, judgement: Judgement, actions: readonly string[], remaining: readonly Finding[]): Record<string, unknown> {
  const { fileSystem: fs, fleet } = live;
  const found =
    `${fs.id} ${fs.deploymentType ?? '?'} ${fs.throughputMBps ?? '?'} MBps ${fs.lifecycle ?? '?'}; ` +
    `${fleet.name} min ${fleet.minBrokers} desired ${fleet.desiredBrokers} max ${fleet.maxBrokers} (bound ${judgement.maxBrokers ?? '?'}), ` +
    `${fleet.inService} in service over ${fleet.zones.length} zones; headroom ${judgement.headroomMiBps ?? '?'} MiB/s`;
  return {
    fileSystem: { id: fs.id, deploymentType: fs.deploymentType, throughputMBps: fs.throughputMBps, lifecycle: fs.lifecycle },
    fleet: { name: fleet.name, min: fleet.minBrokers, desired: fleet.desiredBrokers, max: fleet.maxBrokers, inService: fleet.inService, zones: fleet.zones },
    brokerAkus: judgement.brokerAkus,
    maxBrokers: judgement.maxBrokers,
    headroomMiBps: judgement.headroomMiBps,
    findings: judgement.findings.map((f) => `${f.severity} ${f.ruleId}: ${f.message}`),
    actions,
    violations: remaining.length,
    summary: `found ${found}; ${judgement.findings.length} finding(s); did ${actions.length > 0 ? actions.join(', ') : 'nothing'}`,
  };
}
