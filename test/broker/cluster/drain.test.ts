/**
 * The drain's triggers and sequence: the instance metadata watch against an IMDSv2 stand-in on a
 * real socket, the lifecycle completion against a mocked Auto Scaling API (control plane), and the
 * drain's order of steps and deadline.
 */
import { AutoScalingClient, CompleteLifecycleActionCommand } from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import pino from 'pino';
import { Drain, type DrainSteps } from '../../../broker/cluster/drain';
import { InstanceMetadataClient, InstanceMetadataError } from '../../../broker/cluster/instance-metadata';
import { type InterruptionNotice, InterruptionWatch } from '../../../broker/cluster/interruption-watch';
import { completeLifecycleAction } from '../../../broker/cluster/lifecycle-action';
import { ImdsServer } from './imds-server';

const logger = pino({ level: 'silent' });

describe('instance metadata (IMDSv2)', () => {
  const imds = new ImdsServer();
  let endpoint: string;
  beforeAll(async () => {
    endpoint = await imds.start();
  });
  afterAll(() => imds.stop());

  test('gets items with a session token, renews an expired token, and answers undefined for 404', async () => {
    imds.items.set('instance-id', 'i-0123456789abcdef0');
    const client = new InstanceMetadataClient({ endpoint });
    expect(await client.get('instance-id')).toBe('i-0123456789abcdef0');
    expect(await client.get('spot/instance-action')).toBeUndefined();
    imds.expireTokens();
    expect(await client.get('instance-id')).toBe('i-0123456789abcdef0');
    expect(imds.requests.filter((r) => r === 'PUT /latest/api/token')).toHaveLength(2);
  });

  test('off EC2 (nothing listening) it fails quickly with a clear error', async () => {
    const client = new InstanceMetadataClient({ endpoint: 'http://127.0.0.1:9', timeoutMs: 500 });
    await expect(client.get('instance-id')).rejects.toThrow(InstanceMetadataError);
    await expect(client.get('instance-id')).rejects.toThrow('instance metadata PUT /latest/api/token at http://127.0.0.1:9 failed');
  });

  test('the watch reports a Spot interruption notice once', async () => {
    imds.items.set('instance-id', 'i-1');
    imds.items.set('autoscaling/target-lifecycle-state', 'InService');
    imds.items.delete('spot/instance-action');
    const notices: InterruptionNotice[] = [];
    const watch = new InterruptionWatch({ metadata: new InstanceMetadataClient({ endpoint }), logger, intervalMs: 60_000, onNotice: (n) => notices.push(n) });
    expect(await watch.start()).toBe(true);
    expect(watch.instanceId).toBe('i-1');
    expect(await watch.check()).toBeUndefined();
    imds.items.set('spot/instance-action', '{"action":"terminate","time":"2026-11-26T03:30:00Z"}');
    expect(await watch.check()).toEqual({ source: 'spot-interruption', detail: '{"action":"terminate","time":"2026-11-26T03:30:00Z"}' });
    expect(await watch.check()).toBeUndefined();
    expect(notices).toHaveLength(1);
    watch.stop();
  });

  test('the watch reports the Auto Scaling termination and ignores other target states and odd documents', async () => {
    imds.items.set('spot/instance-action', 'not json');
    imds.items.set('autoscaling/target-lifecycle-state', 'Standby');
    const notices: InterruptionNotice[] = [];
    const watch = new InterruptionWatch({ metadata: new InstanceMetadataClient({ endpoint }), logger, intervalMs: 60_000, onNotice: (n) => notices.push(n) });
    await watch.start();
    expect(await watch.check()).toBeUndefined();
    imds.items.set('autoscaling/target-lifecycle-state', 'Terminated');
    expect(await watch.check()).toEqual({ source: 'lifecycle-termination', detail: 'Terminated' });
    expect(notices).toEqual([{ source: 'lifecycle-termination', detail: 'Terminated' }]);
    watch.stop();
  });

  test('off EC2 the watch does not start', async () => {
    const watch = new InterruptionWatch({
      metadata: new InstanceMetadataClient({ endpoint: 'http://127.0.0.1:9', timeoutMs: 300 }),
      logger,
      onNotice: () => undefined,
    });
    expect(await watch.start()).toBe(false);
  });
});

describe('completeLifecycleAction', () => {
  const autoScaling = mockClient(AutoScalingClient);
  afterEach(() => autoScaling.reset());
  const target = { hookName: 'dk-drain', groupName: 'dk-brokers', instanceId: 'i-1' };

  test('sends CONTINUE for this instance, hook and group', async () => {
    autoScaling.on(CompleteLifecycleActionCommand).resolves({});
    expect(await completeLifecycleAction(target, logger, new AutoScalingClient({ region: 'eu-west-1' }))).toBe('completed');
    expect(autoScaling.commandCalls(CompleteLifecycleActionCommand).map((c) => c.args[0].input)).toEqual([
      { AutoScalingGroupName: 'dk-brokers', LifecycleHookName: 'dk-drain', InstanceId: 'i-1', LifecycleActionResult: 'CONTINUE' },
    ]);
  });

  test('no pending action (a ValidationError) is not a failure; other errors are reported', async () => {
    autoScaling.on(CompleteLifecycleActionCommand).rejects(Object.assign(new Error('No active Lifecycle Action found'), { name: 'ValidationError' }));
    expect(await completeLifecycleAction(target, logger, new AutoScalingClient({ region: 'eu-west-1' }))).toBe('no-pending-action');
    autoScaling.reset();
    autoScaling.on(CompleteLifecycleActionCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    expect(await completeLifecycleAction(target, logger, new AutoScalingClient({ region: 'eu-west-1' }))).toBe('failed');
  });
});

describe('Drain', () => {
  /** A drain over the given steps that records its exits and its idling instead of acting on them. */
  function recordingDrain(steps: DrainSteps, deadlineMs?: number): { drain: Drain; exits: number[]; idled: () => number } {
    const exits: number[] = [];
    let idled = 0;
    const drain = new Drain({ logger, steps, deadlineMs, exit: (code) => exits.push(code), idleUntilStopped: () => idled++ });
    return { drain, exits, idled: () => idled };
  }

  /** Steps after the given hand-off that record their names in `names` as they run. */
  function namedSteps(names: string[], handOff: () => Promise<void>): DrainSteps {
    const step = (name: string) => () => {
      names.push(name);
      return Promise.resolve();
    };
    return { handOff, shutDown: step('shut-down'), cleanUp: step('clean-up'), completeLifecycle: step('complete-lifecycle') };
  }

  test('hands off, shuts down, cleans up, completes the lifecycle action, exits 0, once whatever the triggers', async () => {
    const steps: string[] = [];
    const { drain, exits } = recordingDrain(
      namedSteps(steps, async () => {
        steps.push('hand-off');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }),
    );
    const first = drain.start('SIGTERM');
    const second = drain.start('spot-interruption');
    expect(second).toBe(first);
    await first;
    expect(steps).toEqual(['hand-off', 'shut-down', 'clean-up', 'complete-lifecycle']);
    expect(exits).toEqual([0]);
  });

  test.each(['spot-interruption', 'lifecycle-termination'] as const)(
    'a drain for the instance\'s termination (%s) stays idle instead of exiting, so the container does not restart and rejoin',
    async (trigger) => {
      const { drain, exits, idled } = recordingDrain({ handOff: () => Promise.resolve(), shutDown: () => Promise.resolve() });
      await drain.start(trigger);
      expect(idled()).toBe(1);
      expect(exits).toEqual([]);
      // The shutdown's SIGTERM then finds the drain done (main.ts exits 0 once it resolves).
      await drain.start('SIGTERM');
      expect(idled()).toBe(1);
    },
  );

  test('a failed drain for the instance\'s termination exits 1: the new incarnation waits for the lease like after a crash', async () => {
    const { drain, exits, idled } = recordingDrain({
      handOff: () => Promise.reject(new Error('object store unreachable')),
      shutDown: () => Promise.resolve(),
    });
    await drain.start('spot-interruption');
    expect(exits).toEqual([1]);
    expect(idled()).toBe(0);
  });

  test('a hand-off that misses the deadline exits 1 without shutting down cleanly, never cleans up, but still completes the lifecycle action', async () => {
    const steps: string[] = [];
    let finishHandOff!: () => void;
    const { drain, exits } = recordingDrain(
      namedSteps(
        steps,
        () =>
          new Promise((resolve) => {
            steps.push('hand-off (finishes only when the test says)');
            finishHandOff = () => resolve();
          }),
      ),
      50,
    );
    await drain.start('lifecycle-termination');
    expect(steps).toEqual(['hand-off (finishes only when the test says)', 'complete-lifecycle']);
    expect(exits).toEqual([1]);
    // The hand-off ends after the deadline (the process would be gone): the shutdown follows, the clean-up does not.
    finishHandOff();
    await new Promise((resolve) => setImmediate(resolve));
    expect(steps).toEqual(['hand-off (finishes only when the test says)', 'complete-lifecycle', 'shut-down']);
  });

  test('a failing hand-off exits 1 without cleaning up', async () => {
    const steps: string[] = [];
    const { drain, exits } = recordingDrain(namedSteps(steps, () => Promise.reject(new Error('store down'))));
    await drain.start('SIGTERM');
    expect(exits).toEqual([1]);
    expect(steps).not.toContain('clean-up');
  });

  test('a failing clean-up is logged; the broker has left, so it exits 0', async () => {
    const { drain, exits } = recordingDrain({
      handOff: () => Promise.resolve(),
      shutDown: () => Promise.resolve(),
      cleanUp: () => Promise.reject(new Error('EBUSY')),
    });
    await drain.start('SIGTERM');
    expect(exits).toEqual([0]);
  });
});
