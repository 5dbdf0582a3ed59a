/** Synthesize an app that has validation plugins and return what one plugin reported. */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';

export interface ReportedViolation {
  readonly ruleName: string;
  readonly description: string;
  readonly severity: string;
  readonly logicalIds: string[];
}

export interface SynthOutcome {
  /** The error app.synth() threw, if it threw. */
  readonly error?: Error;
  readonly violations: ReportedViolation[];
}

interface ReportJson {
  pluginReports: {
    pluginName: string;
    violations: {
      ruleName: string;
      description: string;
      severity: string;
      violatingConstructs: { cloudFormationResource?: { logicalId: string } }[];
    }[];
  }[];
}

export function synthAndReport(app: App, pluginName: string): SynthOutcome {
  let error: Error | undefined;
  try {
    app.synth();
  } catch (e) {
    error = e as Error;
  }
  const reportPath = join(app.outdir, 'validation-report.json');
  if (!existsSync(reportPath)) return { error, violations: [] };
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as ReportJson;
  const violations = report.pluginReports
    .filter((r) => r.pluginName === pluginName)
    .flatMap((r) => r.violations)
    .map((v) => ({
      ruleName: v.ruleName,
      description: v.description,
      severity: v.severity,
      logicalIds: v.violatingConstructs.map((c) => c.cloudFormationResource?.logicalId ?? '?'),
    }));
  return { error, violations };
}
