/**
 * The broker under test, as its own process running the bundle the Docker image runs
 * (`node broker.js`, from broker/bundle.ts), so the benchmark measures what ships, over a real
 * socket, and reads its resident memory from /proc.
 */
import { build } from 'esbuild';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { bundleBroker, NODE_BUNDLE_OPTIONS } from '../broker/bundle';
import { BROKER_NODE_FLAGS } from '../broker/runtime-flags';

export interface LogLine {
  readonly msg: string;
  readonly [key: string]: unknown;
}

export class BrokerUnderTest {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    /** Every JSON log line the broker wrote so far. */
    readonly logs: LogLine[],
    private readonly exited: Promise<number | null>,
  ) {}

  /** Bundles the broker into `dir` (as the Dockerfile does) and returns the entry point to start. */
  static async bundle(dir: string): Promise<string> {
    await bundleBroker(dir);
    return path.join(dir, 'broker.js');
  }

  /** Bundles bench/least-broker.ts into `dir` the same way and returns its entry point. */
  static async bundleLeastBroker(dir: string): Promise<string> {
    await build({
      entryPoints: { 'least-broker': path.join(__dirname, 'least-broker.ts') },
      outdir: dir,
      ...NODE_BUNDLE_OPTIONS,
    });
    return path.join(dir, 'least-broker.js');
  }

  /** Starts the bundle's `entry`; `nodeArgs` go to node itself (e.g. --cpu-prof). */
  static async start(entry: string, args: readonly string[], nodeArgs: readonly string[] = []): Promise<BrokerUnderTest> {
    const child = spawn(process.execPath, [...BROKER_NODE_FLAGS, ...nodeArgs, entry, '--host', '127.0.0.1', '--port', '0', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      // The image has node_modules beside the bundle; the benchmark's bundle is in a temporary directory.
      env: { ...process.env, NODE_PATH: path.resolve(__dirname, '..', 'node_modules') },
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Never leave a broker behind, whatever ends the benchmark.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    void exited.then(() => process.removeListener('exit', killOnExit));
    const logs: LogLine[] = [];
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        try {
          const parsed = JSON.parse(line) as LogLine;
          logs.push(parsed);
          if (parsed.msg === 'broker started') resolve((parsed.config as { port: number }).port);
        } catch {
          // not a log line
        }
      });
      void exited.then((code) => reject(new Error(`the broker exited with code ${code} before it started`)));
    });
    return new BrokerUnderTest(child, port, logs, exited);
  }

  /** Resident set size in MiB (VmRSS), and its peak so far (VmHWM). */
  memory(): { rssMiB: number; peakMiB: number } {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
  }

  /** CPU time used so far, in seconds: by the whole process, and by its JavaScript (main) thread. */
  cpuSeconds(): { process: number; mainThread: number } {
    const pid = this.child.pid!;
    return { process: cpuSecondsOf(`/proc/${pid}/stat`), mainThread: cpuSecondsOf(`/proc/${pid}/task/${pid}/stat`) };
  }

  /** Seconds its JavaScript (main) thread has spent runnable but waiting for a CPU (runQueueWaitSeconds). */
  runQueueWaitSeconds(): number | undefined {
    return runQueueWaitSeconds(this.child.pid!);
  }

  /** SIGTERM (the broker uploads everything and exits); resolves with its exit code. */
  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.exited;
  }

  /** SIGKILL, if it is still running (after a failure: never leave a broker behind). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  lastLog(msg: string): LogLine | undefined {
    return [...this.logs].reverse().find((line) => line.msg === msg);
  }
}

/** Linux reports CPU times in clock ticks of USER_HZ, 100 per second on every common architecture. */
const TICKS_PER_SECOND = 100;

/** utime + stime of a /proc/.../stat file, in seconds (fields 14 and 15, after the command name). */
function cpuSecondsOf(statFile: string): number {
  const fields = readFileSync(statFile, 'utf8').replace(/^.*\) /s, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * Seconds thread `tid` of process `pid` has spent runnable but not running so far: waiting in a run
 * queue for a CPU (the second field of /proc/<pid>/task/<tid>/schedstat, in nanoseconds).
 * Undefined where the kernel does not keep it (a kernel without schedstats, or not Linux).
 */
export function runQueueWaitSeconds(pid: number, tid = pid): number | undefined {
  try {
    const waitedNs = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
    return Number.isFinite(waitedNs) ? waitedNs / 1e9 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time the whole machine spent busy so far (all cores, all processes, kernel included), in seconds. */
export function machineBusySeconds(): number {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}
