/**
 * A real local cluster for end-to-end tests: N broker processes (the same ones `npm run cluster`
 * starts) on free ports, one temporary data directory (shared WAL root and object store), short
 * lease timings so that failovers take seconds. Each broker's log goes to <dataDir>/logs/.
 *
 * Tests must call `stop()` (afterAll): it resumes paused brokers, sends SIGTERM, and kills what is
 * still running after a while, then removes the directory.
 */
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LocalBrokerProcess, localBrokerSpecs } from '../../broker/cluster/local-cluster';

export interface ClusterProcessOptions {
  /** @default 3 */
  readonly brokers?: number;
  /** @default 2000 */
  readonly leaseMs?: number;
  /** @default 500 */
  readonly leaseRenewMs?: number;
  /** @default 200 */
  readonly clusterPollMs?: number;
  /** More broker flags for every broker (e.g. --default-partitions 6). */
  readonly extraArgs?: readonly string[];
  /** Keeps the data directory after stop (for debugging). */
  readonly keepData?: boolean;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves when the child prints its "broker started" log line; rejects if it exits first or after timeoutMs. */
function waitForStartedLine(child: ChildProcess, nodeId: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let pending = '';
    const settle = (error?: Error): void => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    const onData = (chunk: Buffer): void => {
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop()!;
      if (lines.some((line) => line.startsWith('{') && (JSON.parse(line) as { msg?: unknown }).msg === 'broker started')) settle();
    };
    const onExit = (code: number | null, signal: string | null): void =>
      settle(new Error(`broker ${nodeId} exited (code ${code}, signal ${signal}) before logging "broker started"`));
    const timer = setTimeout(() => settle(new Error(`broker ${nodeId} did not log "broker started" within ${timeoutMs} ms`)), timeoutMs);
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}

export class ClusterProcess {
  private readonly logStreams = new Map<number, WriteStream>();
  private readonly outputClosed = new Map<number, Promise<void>>();

  private constructor(
    readonly dataDir: string,
    readonly brokers: readonly LocalBrokerProcess[],
    private readonly keepData: boolean,
  ) {}

  static async start(options: ClusterProcessOptions = {}): Promise<ClusterProcess> {
    const count = options.brokers ?? 3;
    const dataDir = await mkdtemp(path.join(tmpdir(), 'dk-cluster-'));
    await mkdir(path.join(dataDir, 'logs'));
    const ports: number[] = [];
    while (ports.length < count) {
      const port = await freePort();
      if (!ports.includes(port)) ports.push(port);
    }
    const specs = localBrokerSpecs({
      count,
      basePort: ports[0],
      ports,
      baseNodeId: 1,
      zonePrefix: 'test',
      common: [
        '--data-dir',
        dataDir,
        '--lease-ms',
        String(options.leaseMs ?? 2000),
        '--lease-renew-ms',
        String(options.leaseRenewMs ?? 500),
        '--cluster-poll-ms',
        String(options.clusterPollMs ?? 200),
        '--instance-metadata',
        'off',
        '--wal-capacity-mib',
        '64',
        '--upload-age-ms',
        '100',
        ...(options.extraArgs ?? []),
      ],
    });
    const cluster = new ClusterProcess(
      dataDir,
      specs.map((spec) => new LocalBrokerProcess(spec, { stdio: 'pipe' })),
      options.keepData ?? false,
    );
    await Promise.all(cluster.brokers.map((_, index) => cluster.startBroker(index)));
    return cluster;
  }

  /** host:port of every broker, for clients' bootstrap lists. */
  get bootstrap(): string[] {
    return this.brokers.map((broker) => `127.0.0.1:${broker.spec.port}`);
  }

  logFile(index: number): string {
    return path.join(this.dataDir, 'logs', `broker-${this.brokers[index].spec.nodeId}.log`);
  }

  /**
   * The broker's JSON log lines so far (all its incarnations), parsed: every line this process has
   * received from it, including those still being written to the file.
   */
  async logLines(index: number): Promise<Record<string, unknown>[]> {
    await this.flushLog(index);
    const text = await readFile(this.logFile(index), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** The WAL directory of broker `index`'s latest incarnation, as its "storage started" line names it. */
  async walDirectory(index: number): Promise<string> {
    const started = (await this.logLines(index)).filter((line) => line.msg === 'storage started');
    if (started.length === 0) throw new Error(`broker ${this.brokers[index].spec.nodeId} has not logged "storage started"`);
    return String(started[started.length - 1].walDir);
  }

  /**
   * (Re)starts broker `index` and waits until it has logged "broker started" and that line is in
   * its log file. The port opens earlier, before storage starts, and a broker can lead partitions
   * before that line: a test that reads the log after seeing the broker serve would race it.
   */
  async startBroker(index: number): Promise<void> {
    const broker = this.brokers[index];
    const child = broker.start();
    let stream = this.logStreams.get(index);
    if (stream === undefined) {
      stream = createWriteStream(this.logFile(index), { flags: 'a' });
      this.logStreams.set(index, stream);
    }
    child.stdout!.pipe(stream, { end: false });
    child.stderr!.pipe(stream, { end: false });
    // 'exit' can come before the last output is read from the pipes; 'close' comes after.
    this.outputClosed.set(index, new Promise((resolve) => child.once('close', () => resolve())));
    await waitForStartedLine(child, broker.spec.nodeId, 60_000);
    // The pipe wrote the line into the stream before this listener saw it.
    await this.flushLog(index);
  }

  /** Resolves once everything written to the broker's log stream so far is in the file. */
  private async flushLog(index: number): Promise<void> {
    const stream = this.logStreams.get(index);
    // Writes complete in order: an empty one completes after those before it.
    if (stream !== undefined) await new Promise<void>((resolve, reject) => stream.write('', (error) => (error ? reject(error) : resolve())));
  }

  signal(index: number, signal: NodeJS.Signals): void {
    this.brokers[index].signal(signal);
  }

  /** Resolves with the exit code once the broker exited and all its output reached this process. */
  async waitExit(index: number): Promise<number | null> {
    const code = await this.brokers[index].waitExit();
    await this.outputClosed.get(index);
    return code;
  }

  /** Resumes paused brokers, asks every broker to drain, kills stragglers, removes the data. */
  async stop(): Promise<void> {
    for (const broker of this.brokers) {
      broker.signal('SIGCONT');
      broker.signal('SIGTERM');
    }
    const killer = setTimeout(() => this.brokers.forEach((broker) => broker.signal('SIGKILL')), 20_000);
    await Promise.all(this.brokers.map((broker) => broker.waitExit()));
    clearTimeout(killer);
    for (const stream of this.logStreams.values()) stream.end();
    if (!this.keepData) await rm(this.dataDir, { recursive: true, force: true });
  }
}
