/**
 * The drain sequence, whatever started it (SIGTERM, a Spot interruption notice, the Auto Scaling
 * termination lifecycle hook):
 *   1. hand off: stop taking writes for this broker's partitions, upload and commit everything in
 *      the WAL, append `broker-left` and release the leases (ClusterNode.drain); clients meanwhile
 *      get retriable errors and find the new owners through Metadata;
 *   2. shut down: close the listener and the storage engine;
 *   3. clean up (delete the WAL directory nobody needs any more), only if 1 and 2 completed in time;
 *   4. complete the lifecycle action, so the instance goes at once;
 *   5. exit 0; or, when the instance itself is going away (a Spot notice, the termination hook),
 *      stay idle until the instance's shutdown stops the process. The container restarts whatever
 *      exits (so that crashes and reboots come back): an exit here would start a new incarnation on
 *      an instance about to disappear, which would rejoin, take partitions and then die with them.
 * It runs once, however many triggers arrive. A Spot notice gives two minutes; the drain has a
 * deadline well inside it. If the deadline passes (the object store is unreachable, say), the
 * broker completes the lifecycle action and exits non-zero without leaving and without cleaning
 * up: what it did not upload stays in its WAL on the shared file system, its lease lapses, and the
 * new owners replay it, exactly as after a crash. Nothing acknowledged is lost either way.
 */
import type { Logger } from 'pino';

export type DrainTrigger = 'SIGTERM' | 'SIGINT' | 'spot-interruption' | 'lifecycle-termination';

export interface DrainSteps {
  handOff(): Promise<void>;
  shutDown(): Promise<void>;
  /** Runs only after hand-off and shutdown completed before the deadline. */
  cleanUp?(): Promise<void>;
  /** Absent when the instance is not in an Auto Scaling group with a termination hook. */
  completeLifecycle?(): Promise<unknown>;
}

export interface DrainOptions {
  readonly steps: DrainSteps;
  readonly logger: Logger;
  /** @default 90000: a Spot notice comes two minutes ahead; leave room for the exit itself. */
  readonly deadlineMs?: number;
  readonly exit: (code: number) => void;
  /**
   * After a drain for the instance's termination, instead of `exit`: keep the process alive,
   * serving nothing, until a signal stops it. @default an interval that keeps the event loop alive
   */
  readonly idleUntilStopped?: () => void;
}

/** Triggers that mean the instance itself is going away. */
const INSTANCE_TERMINATION: ReadonlySet<DrainTrigger> = new Set(['spot-interruption', 'lifecycle-termination']);

function keepAlive(): void {
  setInterval(() => undefined, 2 ** 30);
}

export const DEFAULT_DRAIN_DEADLINE_MS = 90_000;

export class Drain {
  private running: Promise<void> | undefined;

  constructor(private readonly options: DrainOptions) {}

  get started(): boolean {
    return this.running !== undefined;
  }

  /** Starts the drain (or returns the one under way). Resolves after `exit` (or `idleUntilStopped`) was called. */
  start(trigger: DrainTrigger): Promise<void> {
    this.running ??= this.run(trigger);
    return this.running;
  }

  private async run(trigger: DrainTrigger): Promise<void> {
    const { steps, logger } = this.options;
    const deadlineMs = this.options.deadlineMs ?? DEFAULT_DRAIN_DEADLINE_MS;
    const started = Date.now();
    logger.info({ trigger, deadlineMs }, 'drain started');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), deadlineMs);
    });
    let code = 0;
    try {
      const outcome = await Promise.race([
        (async () => {
          await steps.handOff();
          logger.info({ ms: Date.now() - started }, 'drain: partitions handed off');
          await steps.shutDown();
          return 'done' as const;
        })(),
        deadline,
      ]);
      if (outcome === 'deadline') {
        code = 1;
        logger.error({ deadlineMs }, 'drain deadline passed: exiting without leaving; the WAL will be replayed by the new owners');
      } else if (steps.cleanUp) {
        // The broker has left: a clean-up that fails or runs late is logged, and the exit stays 0.
        const cleaned = await Promise.race([
          steps.cleanUp().then(
            () => 'done' as const,
            (error: unknown) => logger.error({ err: error }, 'drain: clean-up failed'),
          ),
          deadline,
        ]);
        if (cleaned === 'deadline') logger.warn({ deadlineMs }, 'drain deadline passed during the clean-up: exiting');
      }
    } catch (error) {
      code = 1;
      logger.error({ err: error }, 'drain failed: exiting without leaving; the WAL will be replayed by the new owners');
    } finally {
      clearTimeout(timer);
    }
    if (steps.completeLifecycle) await steps.completeLifecycle().catch(() => undefined);
    logger.info({ trigger, ms: Date.now() - started, code }, 'drain finished');
    if (code === 0 && INSTANCE_TERMINATION.has(trigger)) {
      logger.info({ trigger }, 'drained for the instance\'s termination: idle until the instance stops this process (an exit would restart the container)');
      (this.options.idleUntilStopped ?? keepAlive)();
      return;
    }
    this.options.exit(code);
  }
}
