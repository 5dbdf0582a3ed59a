/**
 * Rules only the live resources can answer (the capacity guard checks them at deploy and while
 * running): the file system's state and real tier, and where the instance types are offered.
 */

import type { Finding } from './catalogue';
import { finding } from './catalogue';

/** Lifecycles in which the file system serves the WAL and reports its tier. */
export const SERVING_LIFECYCLES: readonly string[] = ['AVAILABLE', 'UPDATING'];

export function checkWalAvailable(fileSystemId: string, lifecycle: string | undefined): Finding[] {
  if (lifecycle !== undefined && SERVING_LIFECYCLES.includes(lifecycle)) return [];
  return [
    finding(
      'WalAvailable',
      `file system ${fileSystemId} is ${lifecycle ?? 'in an unknown state'}; the WAL needs it ${SERVING_LIFECYCLES.join(' or ')}: ` +
        'check it in the FSx console before deploying again',
    ),
  ];
}

export function checkWalTierAgainstDeclared(fileSystemId: string, liveMBps: number, declaredMBps: number): Finding[] {
  if (liveMBps >= declaredMBps) return [];
  return [
    finding(
      'WalTierBelowDeclared',
      `file system ${fileSystemId} runs at ${liveMBps} MBps but the cluster declares ${declaredMBps} MBps: ` +
        `raise the file system's throughput capacity to ${declaredMBps} MBps or declare ${liveMBps} MBps`,
    ),
  ];
}

/** `isOffered(type, zone)` answers from DescribeInstanceTypeOfferings. */
export function checkInstanceTypesOffered(
  instanceTypes: readonly string[],
  zones: readonly string[],
  isOffered: (instanceType: string, zone: string) => boolean,
): Finding[] {
  return instanceTypes.flatMap((instanceType) => {
    const missing = zones.filter((zone) => !isOffered(instanceType, zone));
    if (missing.length === 0) return [];
    return [
      finding(
        'InstanceTypeOffered',
        `instance type ${instanceType} is not offered in ${missing.join(', ')}: the fleet needs every type in each of its zones ` +
          `(${zones.join(', ')}); remove the type or choose other zones`,
      ),
    ];
  });
}
