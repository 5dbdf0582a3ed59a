/**
 * `npm run bench`: the broker's produce latency, end-to-end latency and throughput, next to the
 * machine floor measured in the same run, in the same WAL directory (write + fdatasync, which the WAL's
 * default O_DSYNC writes match in durability, in one call).
 *
 *   npm run bench                      # about three and a half minutes (each phase: --help)
 *   npm run bench -- --latency-s 120 --throughput-s 60 --markdown docs/performance-run.md
 *   npm run bench -- --help
 *
 * Targets (issue 4): produce p99 within 1 ms of the floor's write+fdatasync p99; maximum
 * throughput at least 70% of the floor's sequential append+fdatasync bandwidth; RSS bounded by the
 * configured caches. The floor is measured again after the brokers, and a target is called met or
 * not met only if both floors agree (bench/targets.ts). The least broker (bench/least-broker.ts)
 * runs the same loads first: a target it misses too is out of this machine's reach. Nothing here
 * asserts: the figures are printed (and optionally written).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import * as path from 'node:path';
import { BROKER_NODE_FLAGS, missingBrokerNodeFlags } from '../broker/runtime-flags';
import { BrokerUnderTest, machineBusySeconds, runQueueWaitSeconds } from './broker-process';
import { measureSyncBandwidth, measureSyncLatency, measureSyncLatencyAtRate } from './floor';
import { formatMs, type LatencySummary } from './stats';
import { LATENCY_GAP_TARGET_MS, latencyTarget, reachOnThisMachine, THROUGHPUT_SHARE_TARGET, throughputTarget } from './targets';
import { measureWalAlone } from './wal-alone';
import { WAL_SYNC_MODES, walSyncModeNamed, type WalSyncMode } from '../broker/storage/wal/wal';
import { createTopic, latencyRun, throughputRun } from './workloads';

/** How often the benchmark's brokers apply retention (see --retention-mib). */
const RETENTION_CHECK_MS = 250;
/** What a produce request's WAL write adds to its records: the record batch header (61 B) and the WAL record header (64 B). */
const REQUEST_OVERHEAD_BYTES = 61 + 64;

interface Flag {
  readonly name: string;
  readonly description: string;
  readonly fallback: string;
}

const FLAGS: readonly Flag[] = [
  { name: 'latency-s', description: 'seconds of the fixed-rate run (produce and end-to-end latency)', fallback: '30' },
  {
    name: 'warm-up-s',
    description: 'seconds each broker run and the fixed-rate floor run first without being measured (bench/fixed-rate.ts)',
    fallback: '15',
  },
  { name: 'throughput-s', description: 'seconds of the maximum-throughput run', fallback: '15' },
  { name: 'rate-mib', description: 'produce rate of the latency run, MiB/s', fallback: '10' },
  { name: 'record-bytes', description: 'record size', fallback: '1024' },
  { name: 'tick-ms', description: 'the latency run sends the records due every this many ms', fallback: '1' },
  { name: 'batch-kib', description: 'batch size of the throughput run', fallback: '1024' },
  { name: 'partitions', description: 'partitions of the throughput run', fallback: '4' },
  { name: 'in-flight', description: 'requests in flight per connection in the throughput run', fallback: '8' },
  { name: 'connections', description: 'connections of the throughput run', fallback: '1' },
  { name: 'floor-s', description: 'seconds of paced write+fdatasync samples for the floor (one per tick)', fallback: '10' },
  { name: 'floor-samples', description: 'back-to-back write+fdatasync samples per size', fallback: '3000' },
  { name: 'floor-block-kib', description: 'block size of the floor bandwidth (append+fdatasync)', fallback: '1024' },
  { name: 'wal-alone-s', description: 'seconds of the WAL on its own (in this process, 1 MiB records, 8 appenders)', fallback: '5' },
  {
    name: 'least-broker-s',
    description: 'seconds of each run of the least broker (bench/least-broker.ts: what any broker on this data path must do), latency and throughput; 0 skips it',
    fallback: '10',
  },
  { name: 'wal-dir', description: 'the WAL directory (the shared file system); default a temporary directory', fallback: '' },
  {
    name: 'object-store',
    description: 'object store URL; default a temporary directory in /dev/shm, standing in for S3 off the WAL device',
    fallback: '',
  },
  {
    name: 'retention-mib',
    description:
      `retention.bytes of each benchmark partition (0: keep everything); retention deletes objects within about ${RETENTION_CHECK_MS} ms, so the default /dev/shm store stays small`,
    fallback: '64',
  },
  { name: 's3-endpoint', description: 'S3-compatible endpoint for s3:// object stores', fallback: '' },
  { name: 'wal-capacity-mib', description: 'the broker WAL capacity', fallback: '1024' },
  { name: 'wal-sync', description: 'the broker WAL sync mode (fdatasync or dsync)', fallback: 'dsync' },
  { name: 'read-cache-mib', description: 'the broker block cache', fallback: '128' },
  { name: 'log-cache-mib', description: 'the broker log cache (recent data in memory)', fallback: '128' },
  { name: 'upload-size-mib', description: 'the broker upload size threshold', fallback: '8' },
  { name: 'upload-age-ms', description: 'the broker upload age threshold', fallback: '250' },
  { name: 'markdown', description: 'also write the report as Markdown to this file', fallback: '' },
  { name: 'profile-dir', description: 'write a V8 CPU profile of the broker into this directory', fallback: '' },
];

function walSyncModeOf(value: string): WalSyncMode {
  const mode = walSyncModeNamed(value);
  if (mode === undefined) {
    process.stderr.write(`bench: --wal-sync must be ${WAL_SYNC_MODES.join(' or ')}, got ${JSON.stringify(value)}\n`);
    process.exit(2);
  }
  return mode;
}

function parseFlags(argv: readonly string[]): Record<string, string> {
  const values: Record<string, string> = Object.fromEntries(FLAGS.map((flag) => [flag.name, flag.fallback]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`npm run bench -- [flags]\n\n${FLAGS.map((f) => `  --${f.name.padEnd(18)} ${f.description}${f.fallback ? ` (default ${f.fallback})` : ''}`).join('\n')}\n`);
      process.exit(0);
    }
    const [name, inline] = arg.replace(/^--/, '').split('=', 2);
    if (!arg.startsWith('--') || !(name in values)) {
      process.stderr.write(`bench: unknown flag ${arg}; known: ${FLAGS.map((f) => `--${f.name}`).join(', ')}\n`);
      process.exit(2);
    }
    const value = inline ?? argv[++i];
    if (value === undefined) {
      process.stderr.write(`bench: --${name} needs a value\n`);
      process.exit(2);
    }
    values[name] = value;
  }
  return values;
}

function positive(values: Record<string, string>, name: string, zeroAllowed = false): number {
  const value = Number(values[name]);
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed)) {
    process.stderr.write(`bench: --${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number, got ${JSON.stringify(values[name])}\n`);
    process.exit(2);
  }
  return value;
}

const line = (label: string, s: LatencySummary) =>
  `${label.padEnd(44)} p50 ${formatMs(s.p50).padStart(7)}  p99 ${formatMs(s.p99).padStart(7)}  p999 ${formatMs(s.p999).padStart(7)}  max ${formatMs(s.max).padStart(7)} ms  (${s.count} samples)`;

interface PhaseOutcome<T> {
  readonly result: T;
  readonly maxRssMiB: number;
  readonly peakRssMiB: number;
  /** The broker's last statistics line (at close). */
  readonly closed: Record<string, unknown> | undefined;
  /** The server's line at its stop: bytes received, and read straight into frames. */
  readonly served: Record<string, unknown> | undefined;
  readonly exitCode: number | null;
  /** CPU seconds spent during the phase: the broker, its JavaScript thread, the whole machine. */
  readonly cpu: { broker: number; mainThread: number; machine: number };
  /**
   * Shares of the phase the broker's JavaScript thread and this client's spent runnable but
   * waiting for a CPU; undefined where the kernel does not report it.
   */
  readonly runQueueWait: { broker: number; client: number } | undefined;
}

interface BrokerLaunch {
  /** The bundle's entry point (BrokerUnderTest.bundle). */
  readonly entry: string;
  readonly nodeArgs: readonly string[];
}

/**
 * Runs one phase against a fresh broker process, sampling its memory, then stops it with SIGTERM.
 * CPU and run-queue waits count from the phase's call of `startMeasuring` (after its warm-up).
 */
async function withBroker<T>(
  launch: BrokerLaunch,
  args: readonly string[],
  phase: (port: number, startMeasuring: () => void) => Promise<T>,
): Promise<PhaseOutcome<T>> {
  const broker = await BrokerUnderTest.start(launch.entry, args, launch.nodeArgs);
  let maxRssMiB = 0;
  const sampler = setInterval(() => {
    maxRssMiB = Math.max(maxRssMiB, broker.memory().rssMiB);
  }, 250);
  try {
    // One reading of every counter the phase's figures are differences of.
    const readCounters = () => ({
      cpu: broker.cpuSeconds(),
      machine: machineBusySeconds(),
      brokerWait: broker.runQueueWaitSeconds(),
      clientWait: runQueueWaitSeconds(process.pid),
      atMs: performance.now(),
    });
    let before = readCounters();
    const result = await phase(broker.port, () => {
      before = readCounters();
    });
    const after = readCounters();
    const cpu = {
      broker: after.cpu.process - before.cpu.process,
      mainThread: after.cpu.mainThread - before.cpu.mainThread,
      machine: after.machine - before.machine,
    };
    const phaseSeconds = (after.atMs - before.atMs) / 1000;
    const runQueueWait =
      before.brokerWait === undefined || after.brokerWait === undefined || before.clientWait === undefined || after.clientWait === undefined
        ? undefined
        : { broker: (after.brokerWait - before.brokerWait) / phaseSeconds, client: (after.clientWait - before.clientWait) / phaseSeconds };
    const { rssMiB, peakMiB } = broker.memory();
    clearInterval(sampler);
    const exitCode = await broker.stop();
    return { result, maxRssMiB: Math.max(maxRssMiB, rssMiB), peakRssMiB: peakMiB, closed: broker.lastLog('storage closed'), served: broker.lastLog('server stopped'), exitCode, cpu, runQueueWait };
  } finally {
    clearInterval(sampler);
    broker.kill();
  }
}

/** `producedBytes`: what the client produced during the phase. */
function cpuPerGiBLine(phase: PhaseOutcome<unknown>, producedBytes: number): string {
  const gib = producedBytes / 2 ** 30;
  const perGiB = (seconds: number) => (gib > 0 ? (seconds / gib).toFixed(2) : 'n/a');
  return `${'CPU per GiB produced'.padEnd(44)} broker ${perGiB(phase.cpu.broker)} s (its JavaScript thread ${perGiB(phase.cpu.mainThread)} s), whole machine ${perGiB(phase.cpu.machine)} s, of ${availableParallelism()} cores`;
}

/**
 * How long the broker's JavaScript thread and the client's were ready to run but had no CPU. On a
 * machine the client shares with the broker, this is where a latency tail beyond the floor comes
 * from when neither process has work of its own to blame (docs/performance.md).
 */
function runQueueWaitLine(phase: PhaseOutcome<unknown>): string {
  const wait = phase.runQueueWait;
  const share = (fraction: number) => `${(100 * fraction).toFixed(1)}% of the phase`;
  return `${'waiting for a CPU (runnable, not running)'.padEnd(44)} ${
    wait ? `broker's JavaScript thread ${share(wait.broker)}, the client's ${share(wait.client)}` : 'not reported by this kernel'
  }`;
}

/** `producedBytes`: what the client produced during the phase, for the CPU cost per GiB. */
function sayBrokerFigures(say: (text: string) => void, phase: PhaseOutcome<unknown>, producedBytes: number): void {
  say(cpuPerGiBLine(phase, producedBytes));
  say(runQueueWaitLine(phase));
  const closed = phase.closed;
  if (closed) {
    for (const [label, field] of [
      ['in the broker: append to durable, last 4096', 'appendMs'],
      ['in the broker: WAL write + sync, last 4096', 'walFlushMs'],
    ] as const) {
      const figures = closed[field] as { p50: number; p99: number; max: number } | undefined;
      if (figures) say(`${label.padEnd(44)} p50 ${formatMs(figures.p50).padStart(7)}  p99 ${formatMs(figures.p99).padStart(7)}  max ${formatMs(figures.max).padStart(7)} ms`);
    }
    // Over the broker's life, warm-up included: its own counts.
    const flushes = Number(closed.walFlushes);
    if (flushes > 0) say(`${'WAL flushes (group commits)'.padEnd(44)} ${flushes}, mean ${(Number(closed.ingestedBytes) / flushes / 1024).toFixed(0)} KiB of produced data each`);
    const objects = Number(closed.objects);
    say(
      `${'objects per GiB ingested'.padEnd(44)} ${Number(closed.objectsPerGiB).toFixed(1)} (${objects} objects, ${(Number(closed.ingestedBytes) / 2 ** 30).toFixed(2)} GiB, mean object ${(Number(closed.objectBytes) / Math.max(1, objects) / (1 << 20)).toFixed(2)} MiB)`,
    );
    const cache = closed.logCache as { framesInRing: number; framesRefused: number; payloadsRefused: number } | undefined;
    if (cache) {
      // The ingest path without copies (docs/adr/0002-zero-copy-ingest.md) is taken, or says why not.
      say(
        `${'produce requests read into the log cache'.padEnd(44)} ${cache.framesInRing} (${cache.framesRefused} took a buffer of their own, ${cache.payloadsRefused} payloads not cached: no free place in the ring)`,
      );
    }
  }
  const served = phase.served as { bytesReceived: number; bytesReadIntoFrames: number } | undefined;
  if (served && served.bytesReceived > 0) {
    // The kernel's reads straight into the frames' memory (broker/server/direct-reads.ts).
    say(
      `${'bytes read straight into their frames'.padEnd(44)} ${((100 * served.bytesReadIntoFrames) / served.bytesReceived).toFixed(0)}% of the ${(served.bytesReceived / 2 ** 30).toFixed(2)} GiB received`,
    );
  }
  say(`${'broker RSS'.padEnd(44)} max sampled ${phase.maxRssMiB.toFixed(0)} MiB, peak (VmHWM) ${phase.peakRssMiB.toFixed(0)} MiB; exit code after SIGTERM ${phase.exitCode}`);
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  // A watchdog: a stuck phase fails the run instead of hanging it (brokers are killed on exit).
  const budgetS =
    240 +
    2 *
      (positive(flags, 'latency-s') +
        positive(flags, 'throughput-s') +
        2 * positive(flags, 'floor-s') +
        2 * positive(flags, 'least-broker-s', true) +
        6 * positive(flags, 'warm-up-s', true));
  setTimeout(() => {
    process.stderr.write(`bench: gave up after ${budgetS} s\n`);
    process.exit(1);
  }, budgetS * 1000).unref();
  const recordBytes = positive(flags, 'record-bytes');
  const retentionMiB = positive(flags, 'retention-mib', true);
  const walSync = walSyncModeOf(flags['wal-sync']);
  const rateMiB = positive(flags, 'rate-mib');
  const tickMs = positive(flags, 'tick-ms');
  const warmUpS = positive(flags, 'warm-up-s', true);
  const warmUpMs = warmUpS * 1000;
  const afterWarmUp = (seconds: number) => (warmUpS > 0 ? `${seconds} s after a ${warmUpS} s warm-up` : `${seconds} s`);
  const scratch = mkdtempSync(path.join(tmpdir(), 'dk-bench-'));
  const walDir = flags['wal-dir'] || path.join(scratch, 'wal');
  const shm = flags['object-store'] ? undefined : mkdtempSync('/dev/shm/dk-bench-objects-');
  const objectStore = flags['object-store'] || `file://${shm}`;
  const report: string[] = [];
  const say = (text: string) => {
    report.push(text);
    process.stdout.write(`${text}\n`);
  };
  try {
    // The typical WAL write of the latency run: one request's batch plus the WAL record header.
    // (The timer fires about every 1.4 ms for a 1 ms tick, so real requests are a little larger.)
    const recordsPerRequest = Math.max(1, Math.round((rateMiB * (1 << 20) * tickMs) / 1000 / recordBytes));
    const typicalWrite = recordsPerRequest * recordBytes + REQUEST_OVERHEAD_BYTES;
    say(`# diskless-kafka benchmark (${new Date().toISOString()})`);
    say(`command: npm run bench -- ${process.argv.slice(2).join(' ')}`.trimEnd());
    const missingFlags = missingBrokerNodeFlags();
    if (missingFlags.length > 0) {
      say(`WARNING: this client runs without ${missingFlags.join(' ')} (use npm run bench): its own garbage collections inflate the latencies it measures`);
    }
    say(`WAL directory: ${walDir}; object store: ${objectStore}`);
    say(`Broker: node ${BROKER_NODE_FLAGS.join(' ')} broker.js, bundled by broker/bundle.ts as in the Docker image; Node.js ${process.version} (the image runs 24)`);
    say(`The fixed-rate floor and every broker run start with a ${warmUpS} s warm-up that is not measured (bench/fixed-rate.ts).`);
    say('');
    // The floor is write + fdatasync as issue 4 defines it; the WAL's default O_DSYNC writes (--wal-sync)
    // give the same durability in one call.
    say('## Machine floor (same directory: FileHandle.write + datasync on a preallocated file)');
    const floorSamples = positive(flags, 'floor-samples');
    const floorS = positive(flags, 'floor-s');
    const blockKiB = positive(flags, 'floor-block-kib');
    const fixedRateFloorLabel = `write+fdatasync at ${rateMiB} MiB/s, a write due every ${tickMs} ms`;
    const bandwidthFloorLabel = `append+fdatasync ${blockKiB} KiB blocks`;
    // The broker's produce latency is measured at a fixed rate, so its floor is too (see measureSyncLatencyAtRate).
    const measureFixedRateFloor = () =>
      measureSyncLatencyAtRate(walDir, {
        bytesPerSecond: rateMiB * (1 << 20),
        recordBytes,
        requestOverheadBytes: REQUEST_OVERHEAD_BYTES,
        tickMs,
        warmUpMs,
        durationMs: floorS * 1000,
      });
    const measureBandwidthFloor = () => measureSyncBandwidth(walDir, blockKiB * 1024, 3000);
    const floorAtRate = await measureFixedRateFloor();
    say(line(fixedRateFloorLabel, floorAtRate));
    const floorClosedLoop = await measureSyncLatency(walDir, typicalWrite, Math.round((floorS * 1000) / tickMs), tickMs);
    say(line(`write+fdatasync ${typicalWrite} B, ${tickMs} ms after the last`, floorClosedLoop));
    say(line(`write+fdatasync ${typicalWrite} B, back to back`, await measureSyncLatency(walDir, typicalWrite, floorSamples)));
    const recordWrite = recordBytes + REQUEST_OVERHEAD_BYTES;
    say(line(`write+fdatasync ${recordWrite} B, back to back`, await measureSyncLatency(walDir, recordWrite, floorSamples)));
    const floorBandwidth = await measureBandwidthFloor();
    say(`${bandwidthFloorLabel.padEnd(44)} ${floorBandwidth.toFixed(0)} MiB/s`);
    say('');

    const walAloneS = positive(flags, 'wal-alone-s');
    say(`## The WAL on its own (WriteAheadLog in this process, 1 MiB records from 8 appenders, no network, no uploads, --wal-sync ${flags['wal-sync']}), ${walAloneS} s`);
    const walAlone = await measureWalAlone(walDir, positive(flags, 'wal-capacity-mib') * (1 << 20), 1 << 20, 8, walAloneS * 1000, walSync);
    say(`${'append throughput'.padEnd(44)} ${walAlone.mibPerSecond.toFixed(0)} MiB/s = ${((100 * walAlone.mibPerSecond) / floorBandwidth).toFixed(0)}% of the floor`);
    say(`${'flush (write + sync)'.padEnd(44)} p50 ${formatMs(walAlone.flushMs.p50).padStart(7)}  p99 ${formatMs(walAlone.flushMs.p99).padStart(7)}  max ${formatMs(walAlone.flushMs.max).padStart(7)} ms, mean ${(walAlone.meanFlushBytes / (1 << 20)).toFixed(1)} MiB`);
    say('');

    const brokerArgs = (phase: string) => [
      '--data-dir', path.join(scratch, `data-${phase}`),
      '--wal-dir', walDir,
      '--object-store', objectStore,
      ...(flags['s3-endpoint'] ? ['--s3-endpoint', flags['s3-endpoint']] : []),
      '--wal-capacity-mib', flags['wal-capacity-mib'],
      '--wal-sync', flags['wal-sync'],
      '--read-cache-mib', flags['read-cache-mib'],
      '--log-cache-mib', flags['log-cache-mib'],
      '--upload-size-mib', flags['upload-size-mib'],
      '--upload-age-ms', flags['upload-age-ms'],
      '--auto-create-topics', 'false',
      // Retention runs often and deletes at once what it cuts off (see --retention-mib).
      '--retention-check-interval-ms', String(RETENTION_CHECK_MS),
      '--object-delete-delay-ms', '0',
      '--node-id', phase === 'latency' ? '1' : '2',
    ];
    // Objects accumulating in /dev/shm cost this VM about 1 CPU-second per GiB of first-touch page
    // faults (fresh guest memory) that S3 would not: retention keeps the store small, as it would in production.
    const topicConfigs = retentionMiB > 0 ? [{ name: 'retention.bytes', value: String(retentionMiB * (1 << 20)) }] : [];
    const launch: BrokerLaunch = {
      entry: await BrokerUnderTest.bundle(path.join(scratch, 'bundle')),
      nodeArgs: flags['profile-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(flags['profile-dir'])}`] : [],
    };

    const latencyS = positive(flags, 'latency-s');
    const latencyLoad = { topic: 'bench-latency', bytesPerSecond: rateMiB * (1 << 20), recordBytes, tickMs, warmUpMs };
    const partitions = positive(flags, 'partitions');
    const throughputS = positive(flags, 'throughput-s');
    const batchKiB = positive(flags, 'batch-kib');
    const inFlight = positive(flags, 'in-flight');
    const connections = positive(flags, 'connections');
    const throughputLoad = { topic: 'bench-throughput', partitions, batchBytes: batchKiB * 1024, recordBytes, inFlight, connections, warmUpMs };

    // What the machine allows this data path, whatever the broker: the same clients against the least broker.
    const leastS = positive(flags, 'least-broker-s', true);
    let least: { readonly produceP99Ms: number; readonly mibPerSecond: number } | undefined;
    if (leastS > 0 && objectStore.startsWith('file://')) {
      const leastLaunch: BrokerLaunch = { entry: await BrokerUnderTest.bundleLeastBroker(path.join(scratch, 'bundle')), nodeArgs: [] };
      const leastArgs = ['--wal-dir', walDir, '--object-store', objectStore];
      say(`## The least broker (bench/least-broker.ts): each request to an O_DSYNC file in the WAL directory and once more to the object store, nothing else; each run ${afterWarmUp(leastS)}`);
      const leastLatency = await withBroker(leastLaunch, leastArgs, (port, onMeasuring) =>
        latencyRun(port, { ...latencyLoad, durationMs: leastS * 1000, consume: false, onMeasuring }),
      );
      say(line(`produce latency (the latency run's load, no consumer)`, leastLatency.result.produce));
      say(`${'produce p99 minus floor p99 (fixed rate)'.padEnd(44)} ${(leastLatency.result.produce.p99 - floorAtRate.p99).toFixed(3)} ms`);
      say(cpuPerGiBLine(leastLatency, leastLatency.result.requests * leastLatency.result.meanRequestBytes));
      say(runQueueWaitLine(leastLatency));
      const leastThroughput = await withBroker(leastLaunch, leastArgs, (port, onMeasuring) =>
        throughputRun(port, { ...throughputLoad, durationMs: leastS * 1000, onMeasuring }),
      );
      say(`${'throughput (the throughput run\'s load)'.padEnd(44)} ${leastThroughput.result.mibPerSecond.toFixed(0)} MiB/s = ${((100 * leastThroughput.result.mibPerSecond) / floorBandwidth).toFixed(0)}% of the floor`);
      say(cpuPerGiBLine(leastThroughput, leastThroughput.result.ingestedBytes));
      say(runQueueWaitLine(leastThroughput));
      for (const phase of [leastLatency, leastThroughput]) {
        if (phase.exitCode !== 0) say(`WARNING: the least broker exited with code ${phase.exitCode} after SIGTERM`);
      }
      least = { produceP99Ms: leastLatency.result.produce.p99, mibPerSecond: leastThroughput.result.mibPerSecond };
      say('');
    } else if (leastS > 0) {
      say(`The least broker did not run: it writes to a directory (file://) object store, and this run's is ${objectStore}.`);
      say('');
    }

    say(`## Broker: acks=all, ${recordBytes} B records at ${rateMiB} MiB/s, 1 partition, a request every ${tickMs} ms, ${afterWarmUp(latencyS)}`);
    const latencyPhase = await withBroker(launch, brokerArgs('latency'), async (port, onMeasuring) => {
      await createTopic(port, 'bench-latency', 1, topicConfigs);
      return latencyRun(port, { ...latencyLoad, durationMs: latencyS * 1000, onMeasuring });
    });
    const latency = latencyPhase.result;
    say(line('produce latency', latency.produce));
    say(line('end-to-end latency (produce to consume)', latency.endToEnd));
    say(`${'requests'.padEnd(44)} ${latency.requests}, mean ${latency.meanRequestBytes.toFixed(0)} B, ${latency.achievedMiBps.toFixed(1)} MiB/s`);
    sayBrokerFigures(say, latencyPhase, latency.requests * latency.meanRequestBytes);
    say(`${'produce p99 minus floor p99 (fixed rate)'.padEnd(44)} ${(latency.produce.p99 - floorAtRate.p99).toFixed(3)} ms`);
    say(`${'produce p99 minus closed-loop floor p99'.padEnd(44)} ${(latency.produce.p99 - floorClosedLoop.p99).toFixed(3)} ms`);
    say('');

    say(`## Broker: maximum throughput, ${batchKiB} KiB batches, ${partitions} partitions, ${connections}x${inFlight} requests in flight, ${afterWarmUp(throughputS)}`);
    const throughputPhase = await withBroker(launch, brokerArgs('throughput'), async (port, onMeasuring) => {
      await createTopic(port, 'bench-throughput', partitions, topicConfigs);
      return throughputRun(port, { ...throughputLoad, durationMs: throughputS * 1000, onMeasuring });
    });
    const throughput = throughputPhase.result;
    say(`${'throughput'.padEnd(44)} ${throughput.mibPerSecond.toFixed(0)} MiB/s = ${((100 * throughput.mibPerSecond) / floorBandwidth).toFixed(0)}% of the floor`);
    say(line('produce latency under that load', throughput.produce));
    sayBrokerFigures(say, throughputPhase, throughput.ingestedBytes);
    // Two bounds from the CPU each GiB took. The broker's JavaScript thread is one thread: at one
    // CPU-second per second it cannot go faster than its ceiling, however many cores the machine
    // has. And the machine (client, broker, kernel) has only its cores: at the work per GiB of this
    // run, it cannot go faster than its ceiling, however the work is spread over threads.
    const gib = throughput.ingestedBytes / 2 ** 30;
    const ceilings = [
      { name: 'ceiling of the broker JavaScript thread', cpuSeconds: throughputPhase.cpu.mainThread, cores: 1, how: '1 / its CPU-seconds per GiB' },
      { name: 'ceiling of the machine', cpuSeconds: throughputPhase.cpu.machine, cores: availableParallelism(), how: `its ${availableParallelism()} cores / its CPU-seconds per GiB` },
    ];
    for (const { name, cpuSeconds, cores, how } of ceilings) {
      if (cpuSeconds <= 0 || gib <= 0) continue;
      const ceilingMiB = (1024 * cores * gib) / cpuSeconds;
      say(`${name.padEnd(44)} ${ceilingMiB.toFixed(0)} MiB/s = ${((100 * ceilingMiB) / floorBandwidth).toFixed(0)}% of the floor (${how})`);
    }
    say('');

    // The device moves during a run on a shared machine: measure the floor again and judge against both.
    say('## Machine floor again, after the brokers');
    const floorAtRateAfter = await measureFixedRateFloor();
    say(line(fixedRateFloorLabel, floorAtRateAfter));
    const floorBandwidthAfter = await measureBandwidthFloor();
    say(`${bandwidthFloorLabel.padEnd(44)} ${floorBandwidthAfter.toFixed(0)} MiB/s`);
    say('');

    say('## Targets (issue 4), against the floor before and after the brokers');
    const ms = (value: number) => `${value.toFixed(3)} ms`;
    const percent = (share: number) => `${(100 * share).toFixed(0)}%`;
    const latencyVerdict = latencyTarget(latency.produce.p99, { before: floorAtRate.p99, after: floorAtRateAfter.p99 });
    say(`${'floor p99 (fixed rate)'.padEnd(44)} before ${ms(floorAtRate.p99)}, after ${ms(floorAtRateAfter.p99)}`);
    say(
      `${'produce p99 minus floor p99'.padEnd(44)} before ${ms(latencyVerdict.gapsMs.before)}, after ${ms(latencyVerdict.gapsMs.after)} (target: at most ${LATENCY_GAP_TARGET_MS} ms): ${latencyVerdict.verdict}`,
    );
    const throughputVerdict = throughputTarget(throughput.mibPerSecond, { before: floorBandwidth, after: floorBandwidthAfter });
    say(`${'floor bandwidth'.padEnd(44)} before ${floorBandwidth.toFixed(0)} MiB/s, after ${floorBandwidthAfter.toFixed(0)} MiB/s`);
    say(
      `${'throughput as a share of the floor'.padEnd(44)} before ${percent(throughputVerdict.shares.before)}, after ${percent(throughputVerdict.shares.after)} (target: at least ${percent(THROUGHPUT_SHARE_TARGET)}): ${throughputVerdict.verdict}`,
    );
    if (least) {
      // The same judgement of the least broker: a target it misses is out of this machine's reach.
      const leastLatency = latencyTarget(least.produceP99Ms, { before: floorAtRate.p99, after: floorAtRateAfter.p99 });
      say(
        `${'the least broker: produce p99 minus floor p99'.padEnd(44)} before ${ms(leastLatency.gapsMs.before)}, after ${ms(leastLatency.gapsMs.after)}: ${reachOnThisMachine(leastLatency.verdict)}`,
      );
      const leastThroughput = throughputTarget(least.mibPerSecond, { before: floorBandwidth, after: floorBandwidthAfter });
      say(
        `${'the least broker: share of the floor'.padEnd(44)} before ${percent(leastThroughput.shares.before)}, after ${percent(leastThroughput.shares.after)}: ${reachOnThisMachine(leastThroughput.verdict)}`,
      );
    }
    say('');
    say(`Caches: log cache ${flags['log-cache-mib']} MiB, read cache ${flags['read-cache-mib']} MiB.`);
    say(`Retention: ${retentionMiB > 0 ? `${retentionMiB} MiB per partition, applied every ${RETENTION_CHECK_MS} ms` : 'none'}.`);
    if (flags.markdown) writeFileSync(flags.markdown, `${report.join('\n')}\n`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    if (shm) rmSync(shm, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
