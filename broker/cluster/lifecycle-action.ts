/**
 * Completes the Auto Scaling termination lifecycle action once the broker has drained, so the group
 * terminates the instance right away instead of waiting for the hook's timeout.
 *
 * Needs the hook and group names (DK_LIFECYCLE_HOOK_NAME, DK_AUTO_SCALING_GROUP_NAME, set by the
 * construct package) and the instance id (from the instance metadata). IAM:
 * autoscaling:CompleteLifecycleAction on the group. When no lifecycle action is pending (SIGTERM
 * from an operator, or a Spot interruption the group has not acted on yet) the call fails with a
 * ValidationError; that is logged, not an error of the drain.
 */
import { AutoScalingClient, CompleteLifecycleActionCommand } from '@aws-sdk/client-auto-scaling';
import type { Logger } from 'pino';

export interface LifecycleHookTarget {
  readonly hookName: string;
  readonly groupName: string;
  readonly instanceId: string;
}

export type LifecycleCompletion = 'completed' | 'no-pending-action' | 'failed';

export async function completeLifecycleAction(
  target: LifecycleHookTarget,
  logger: Logger,
  client: AutoScalingClient = new AutoScalingClient({}),
): Promise<LifecycleCompletion> {
  try {
    await client.send(
      new CompleteLifecycleActionCommand({
        AutoScalingGroupName: target.groupName,
        LifecycleHookName: target.hookName,
        InstanceId: target.instanceId,
        LifecycleActionResult: 'CONTINUE',
      }),
    );
    logger.info(target, 'completed the termination lifecycle action');
    return 'completed';
  } catch (error) {
    if ((error as { name?: string }).name === 'ValidationError') {
      logger.info({ ...target, err: error }, 'no lifecycle action pending for this instance');
      return 'no-pending-action';
    }
    logger.error({ ...target, err: error }, 'could not complete the lifecycle action; the hook times out instead');
    return 'failed';
  }
}
