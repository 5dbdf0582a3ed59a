/**
 * Running the real clients the e2e tests use: kcat (librdkafka), the Debian Python packages
 * kafka-python and confluent-kafka (through /usr/bin/python3, not the pyenv python3 on PATH), and
 * the messages kcat prints with -J.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion (or kills it after `timeoutMs`), feeding `input` to stdin. */
export function run(command: string, args: readonly string[], options: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a command and fails with its output unless it exits 0. */
export async function runOk(command: string, args: readonly string[], options: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.code}\nstdout: ${result.stdout.slice(0, 2000)}\nstderr: ${result.stderr.slice(0, 4000)}`);
  }
  return result;
}

/** A message as `kcat -C -J` prints it. */
export interface KcatMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly payload: string | null;
  readonly headers?: string[];
}

export function kcat(bootstrap: string, args: readonly string[], options: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
  return runOk('kcat', ['-b', bootstrap, ...args], options);
}

/** Every message of a topic (or one partition), from the beginning to the end, via kcat -C -J -e. */
export async function kcatConsume(bootstrap: string, topic: string, extra: readonly string[] = []): Promise<KcatMessage[]> {
  const { stdout } = await kcat(bootstrap, ['-C', '-t', topic, '-o', 'beginning', '-e', '-J', '-q', ...extra], { timeoutMs: 120_000 });
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as KcatMessage);
}

export const PYTHON = '/usr/bin/python3';
export const PYTHON_DIR = path.join(__dirname, 'python');

/** Runs one of the scripts in test/e2e/python and parses the JSON it prints last. */
export async function runPython<T>(script: string, args: readonly string[]): Promise<T> {
  const { stdout } = await runOk(PYTHON, [path.join(PYTHON_DIR, script), ...args], { timeoutMs: 120_000 });
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}
