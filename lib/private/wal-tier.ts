/** Synth-time checks of the WAL's deployment type and throughput tier, against lib/capacity/tiers.ts. */
import { Token } from 'aws-cdk-lib';
import { allowedThroughputMBps, WAL_DEPLOYMENT_TYPES, type OntapDeploymentType } from '../capacity/tiers';
import { listOf } from './validate';

export function validateWalDeploymentType(deploymentType: OntapDeploymentType): void {
  if (!WAL_DEPLOYMENT_TYPES.includes(deploymentType)) {
    throw new Error(
      `WAL deploymentType '${deploymentType}' is not allowed: the WAL must survive the loss of a zone; `
        + `allowed: ${listOf(WAL_DEPLOYMENT_TYPES)}`,
    );
  }
}

export function validateWalThroughput(deploymentType: OntapDeploymentType, throughputMBps: number): void {
  if (Token.isUnresolved(throughputMBps)) return;
  const allowed = allowedThroughputMBps(deploymentType);
  if (!allowed.includes(throughputMBps)) {
    throw new Error(
      `WAL throughput ${throughputMBps} MBps is not an FSx for ONTAP ${deploymentType} tier; `
        + `allowed: ${listOf(allowed)} MBps`,
    );
  }
}
