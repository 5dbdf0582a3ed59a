/**
 * Several broker processes on one machine, standing in for a cluster: one shared WAL root (the
 * shared file system), one object store, each broker its own process, port and "zone". Used by
 * `npm run cluster` (broker/cluster-main.ts) and by the end-to-end tests.
 *
 * Each broker gets the common flags plus its own --port, --node-id and --zone, and
 * --cluster-mode true. The processes are ordinary brokers: anything that works against
 * `npm run broker` works against each of them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import * as path from 'node:path';
import { BROKER_NODE_FLAGS } from '../runtime-flags';

export const BROKER_ENTRY = path.join(__dirname, '..', 'main.ts');

export interface LocalBrokerSpec {
  readonly nodeId: number;
  readonly port: number;
  readonly zone: string;
  /** The full argument list for broker/main.ts. */
  readonly args: readonly string[];
}

/** Flags cluster-main decides per broker; given to it, they set the first broker's value. */
export const PER_BROKER_FLAGS = ['port', 'node-id', 'zone', 'metrics-port'] as const;

/** The letter of zone `index`: a, b, ..., z, then aa, ab, ... */
function zoneLetter(index: number): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  return index < letters.length ? letters[index] : `${zoneLetter(Math.floor(index / letters.length) - 1)}${letters[index % letters.length]}`;
}

/**
 * The brokers of a local cluster: consecutive ports and node ids from the given ones, zones
 * `<zonePrefix>-a`, `-b`, ... `common` holds every other flag (without the per-broker ones).
 */
export function localBrokerSpecs(options: {
  readonly count: number;
  readonly basePort: number;
  readonly baseNodeId: number;
  readonly zonePrefix: string;
  readonly common: readonly string[];
  /** Explicit ports (tests pick free ones); overrides basePort. */
  readonly ports?: readonly number[];
  /** The first broker's metrics port, the next ones counting up; undefined: no metrics endpoints. */
  readonly baseMetricsPort?: number;
}): LocalBrokerSpec[] {
  return Array.from({ length: options.count }, (_, index) => {
    const port = options.ports?.[index] ?? options.basePort + index;
    const nodeId = options.baseNodeId + index;
    const zone = `${options.zonePrefix}-${zoneLetter(index)}`;
    const metrics = options.baseMetricsPort === undefined ? [] : ['--metrics-port', String(options.baseMetricsPort + index)];
    return {
      nodeId,
      port,
      zone,
      args: [...options.common, '--cluster-mode', 'true', '--port', String(port), '--node-id', String(nodeId), '--zone', zone, ...metrics],
    };
  });
}

/** One broker process of a local cluster. */
export class LocalBrokerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);

  constructor(
    readonly spec: LocalBrokerSpec,
    private readonly io: {
      readonly stdio: 'inherit' | 'pipe';
      readonly env?: NodeJS.ProcessEnv;
      /** Own process group: a terminal's Ctrl-C reaches only the parent, which then drains the brokers one signal each. */
      readonly detached?: boolean;
    } = { stdio: 'inherit' },
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get process(): ChildProcess | undefined {
    return this.child;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): ChildProcess {
    if (this.running) throw new Error(`broker ${this.spec.nodeId} is already running (pid ${this.pid})`);
    const child = spawn(process.execPath, [...BROKER_NODE_FLAGS, '--import', 'tsx', BROKER_ENTRY, ...this.spec.args], {
      stdio: ['ignore', this.io.stdio, this.io.stdio],
      env: this.io.env ?? process.env,
      detached: this.io.detached ?? false,
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
    return child;
  }

  /** Resolves with the exit code (-1 when killed by a signal) once the process is gone. */
  waitExit(): Promise<number | null> {
    return this.exited;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child!.kill(signal);
  }
}

/** Resolves once something accepts TCP connections on host:port, or rejects after timeoutMs. */
export async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port }, () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
