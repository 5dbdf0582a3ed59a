/**
 * A real broker process for end-to-end tests: `broker/main.ts` run with tsx, with the flags given,
 * on a free port (--port 0: the broker reports the port it bound in its start line), with a
 * temporary data directory unless one is given.
 *
 * The process is `node --import tsx broker/main.ts`, which is what `node_modules/.bin/tsx` runs,
 * without tsx's relay parent: SIGKILL then really kills the broker (a relay would leave it
 * running) and SIGTERM reaches it exactly once.
 *
 * Tests must stop what they start (afterAll): `stop()` sends SIGTERM and kills the process if it
 * has not exited within the grace period; `removeDataDir()` deletes the temporary directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { BROKER_NODE_FLAGS } from '../../broker/runtime-flags';

const REPO_ROOT = path.resolve(__dirname, '../..');
const ENTRY = path.join(REPO_ROOT, 'broker/main.ts');
const START_TIMEOUT_MS = 60_000;

export interface BrokerProcessOptions {
  /** Flags besides --port and --data-dir. */
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Reuse a directory (e.g. to restart a broker on its data); default: a new temporary one. */
  readonly dataDir?: string;
  /** @default 64 (small, so the WAL is formatted quickly) */
  readonly walCapacityMiB?: number;
  /** Flags for node itself. @default BROKER_NODE_FLAGS, as every launcher passes them */
  readonly nodeFlags?: readonly string[];
  /** A bundle's entry point (broker/bundle.ts) to run with node instead of the TypeScript through tsx, as the Docker image does. */
  readonly bundledEntry?: string;
}

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export function makeTempDir(prefix = 'dk-e2e-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export class BrokerProcess {
  /** Every JSON log line the broker wrote, in order. */
  readonly logs: LogLine[] = [];
  /** Whatever the broker wrote that is not a JSON log line (stderr, stray output). */
  readonly output: string[] = [];
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;

  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
    readonly port: number,
    logs: LogLine[],
    output: string[],
    exited: Promise<Exit>,
  ) {
    this.logs = logs;
    this.output = output;
    this.exited = exited.then((exit) => (this.exit = exit));
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Starts a broker and resolves once it has logged "broker started" (it is then serving). */
  static async start(options: BrokerProcessOptions = {}): Promise<BrokerProcess> {
    const dataDir = options.dataDir ?? makeTempDir();
    const args = [
      '--port', '0',
      '--data-dir', dataDir,
      '--wal-capacity-mib', String(options.walCapacityMiB ?? 64),
      ...(options.args ?? []),
    ];
    const entry = options.bundledEntry !== undefined ? [options.bundledEntry] : ['--import', 'tsx', ENTRY];
    const child = spawn(process.execPath, [...(options.nodeFlags ?? BROKER_NODE_FLAGS), ...entry, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs: LogLine[] = [];
    const output: string[] = [];
    // 'close', not 'exit': it comes after the last output was read, so `logs` is complete by then.
    const exited = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
    const started = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`broker did not start within ${START_TIMEOUT_MS} ms:\n${output.join('\n')}`)), START_TIMEOUT_MS);
      createInterface({ input: child.stdout }).on('line', (line) => {
        let parsed: LogLine | undefined;
        try {
          parsed = JSON.parse(line) as LogLine;
        } catch {
          output.push(line);
          return;
        }
        logs.push(parsed);
        if (parsed.msg === 'broker started') {
          clearTimeout(timer);
          resolve((parsed.config as { port: number }).port);
        }
      });
      createInterface({ input: child.stderr }).on('line', (line) => output.push(line));
      void exited.then((exit) => {
        clearTimeout(timer);
        reject(new Error(`broker exited (${JSON.stringify(exit)}) before it started:\n${[...logs.map((l) => JSON.stringify(l)), ...output].join('\n')}`));
      });
    });
    const port = await started;
    return new BrokerProcess(child, dataDir, port, logs, output, exited);
  }

  /** SIGTERM (graceful stop); SIGKILL if still running after `graceMs`. */
  async stop(graceMs = 30_000): Promise<Exit> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  /** kill -9: no chance to flush, upload or close anything. */
  async kill(): Promise<Exit> {
    if (this.running) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** Resolves with the first log line (from now on or already written) matching `predicate`. */
  async waitForLog(predicate: (line: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error('log line not found in time');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  removeDataDir(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
