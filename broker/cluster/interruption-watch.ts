/**
 * Watches the instance metadata for the two notices that the instance is going away, so the broker
 * drains while it still can:
 * - `spot/instance-action`: EC2's Spot interruption notice, {"action":"terminate"|"stop"|
 *   "hibernate","time":"..."}, present about two minutes before the interruption, 404 otherwise;
 * - `autoscaling/target-lifecycle-state`: "Terminated" once the Auto Scaling group started to
 *   terminate the instance (its termination lifecycle hook then waits for CompleteLifecycleAction).
 * Polled every few seconds. Off EC2 (the first probe fails) the watch stops quietly.
 */
import type { Logger } from 'pino';
import type { InstanceMetadataClient } from './instance-metadata';

export type InterruptionSource = 'spot-interruption' | 'lifecycle-termination';

export interface InterruptionNotice {
  readonly source: InterruptionSource;
  /** The metadata document that announced it. */
  readonly detail: string;
}

export interface InterruptionWatchOptions {
  readonly metadata: InstanceMetadataClient;
  readonly logger: Logger;
  /** @default 5000 */
  readonly intervalMs?: number;
  readonly onNotice: (notice: InterruptionNotice) => void;
}

/** Target lifecycle states that mean the instance is being taken out of service for good. */
const TERMINATING_STATES: ReadonlySet<string> = new Set(['Terminated', 'Warmed:Terminated']);

export class InterruptionWatch {
  private timer: NodeJS.Timeout | undefined;
  private noticed = false;
  /** The instance id, once the first probe found the metadata service. */
  instanceId: string | undefined;

  constructor(private readonly options: InterruptionWatchOptions) {}

  /** Probes the metadata service; starts polling if it answers. Resolves with whether it does. */
  async start(): Promise<boolean> {
    try {
      this.instanceId = await this.options.metadata.get('instance-id');
    } catch (error) {
      this.options.logger.info({ err: error }, 'no instance metadata service: not watching for Spot or lifecycle notices');
      return false;
    }
    this.options.logger.info({ instanceId: this.instanceId }, 'watching for Spot interruption and lifecycle termination notices');
    this.timer = setInterval(() => void this.check(), this.options.intervalMs ?? 5_000);
    this.timer.unref();
    return true;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One poll of both documents; reports the first notice found (once). */
  async check(): Promise<InterruptionNotice | undefined> {
    if (this.noticed) return undefined;
    try {
      const notice = (await this.spotNotice()) ?? (await this.lifecycleNotice());
      if (notice !== undefined) {
        this.noticed = true;
        this.stop();
        this.options.logger.warn(notice, 'the instance is going away');
        this.options.onNotice(notice);
      }
      return notice;
    } catch (error) {
      this.options.logger.warn({ err: error }, 'instance metadata poll failed; will retry');
      return undefined;
    }
  }

  private async spotNotice(): Promise<InterruptionNotice | undefined> {
    const document = await this.options.metadata.get('spot/instance-action');
    if (document === undefined) return undefined;
    let action: unknown;
    try {
      action = (JSON.parse(document) as { action?: unknown }).action;
    } catch {
      action = undefined;
    }
    if (action !== 'terminate' && action !== 'stop' && action !== 'hibernate') {
      this.options.logger.warn({ document }, 'unexpected spot/instance-action document; ignoring it');
      return undefined;
    }
    return { source: 'spot-interruption', detail: document };
  }

  private async lifecycleNotice(): Promise<InterruptionNotice | undefined> {
    const state = await this.options.metadata.get('autoscaling/target-lifecycle-state');
    if (state === undefined || !TERMINATING_STATES.has(state.trim())) return undefined;
    return { source: 'lifecycle-termination', detail: state.trim() };
  }
}
