/**
 * `npm run bench`: the broker's produce latency, end-to-end latency and throughput, next to the
 * machine floor measured in the same run, in the same WAL directory, with the same system calls.
 *
 *   npm run bench                      # about a minute and a half
 *   npm run bench -- --latency-s 120 --throughput-s 60 --markdown docs/performance-run.md
 *   npm run bench -- --help
 *
 * Targets (issue 4): produce p99 within 1 ms of the floor's write+fdatasync p99; maximum
 * throughput at least 70% of the floor's sequential append+fdatasync bandwidth; RSS bounded by the
 * configured caches. Nothing here asserts: the figures are printed (and optionally written).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BrokerUnderTest } from './broker-process';
import { measureSyncBandwidth, measureSyncLatency } from './floor';
import { formatMs, type LatencySummary } from './stats';
import { createTopic, latencyRun, throughputRun } from './workloads';

interface Flag {
  readonly name: string;
  readonly description: string;
  readonly fallback: string;
}

const FLAGS: readonly Flag[] = [
  { name: 'latency-s', description: 'seconds of the fixed-rate run (produce and end-to-end latency)', fallback: '30' },
  { name: 'throughput-s', description: 'seconds of the maximum-throughput run', fallback: '15' },
  { name: 'rate-mib', description: 'produce rate of the latency run, MiB/s', fallback: '10' },
  { name: 'record-bytes', description: 'record size', fallback: '1024' },
  { name: 'tick-ms', description: 'the latency run sends the records due every this many ms', fallback: '1' },
  { name: 'batch-kib', description: 'batch size of the throughput run', fallback: '1024' },
  { name: 'partitions', description: 'partitions of the throughput run', fallback: '4' },
  { name: 'in-flight', description: 'requests in flight per connection in the throughput run', fallback: '8' },
  { name: 'connections', description: 'connections of the throughput run', fallback: '1' },
  { name: 'floor-samples', description: 'write+fdatasync samples per size for the floor', fallback: '3000' },
  { name: 'floor-block-kib', description: 'block size of the floor bandwidth (append+fdatasync)', fallback: '1024' },
  { name: 'wal-dir', description: 'the WAL directory (the shared file system); default a temporary directory', fallback: '' },
  {
    name: 'object-store',
    description: 'object store URL; default a temporary directory in /dev/shm, standing in for S3 off the WAL device',
    fallback: '',
  },
  { name: 's3-endpoint', description: 'S3-compatible endpoint for s3:// object stores', fallback: '' },
  { name: 'wal-capacity-mib', description: 'the broker WAL capacity', fallback: '1024' },
  { name: 'read-cache-mib', description: 'the broker block cache', fallback: '128' },
  { name: 'markdown', description: 'also write the report as Markdown to this file', fallback: '' },
  { name: 'profile-dir', description: 'write a V8 CPU profile of the broker into this directory', fallback: '' },
];

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

function positive(values: Record<string, string>, name: string): number {
  const value = Number(values[name]);
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`bench: --${name} must be a positive number, got ${JSON.stringify(values[name])}\n`);
    process.exit(2);
  }
  return value;
}

const line = (label: string, s: LatencySummary) =>
  `${label.padEnd(44)} p50 ${formatMs(s.p50).padStart(7)}  p99 ${formatMs(s.p99).padStart(7)}  p999 ${formatMs(s.p999).padStart(7)}  max ${formatMs(s.max).padStart(7)} ms  (${s.count} samples)`;

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const recordBytes = positive(flags, 'record-bytes');
  const rateMiB = positive(flags, 'rate-mib');
  const tickMs = positive(flags, 'tick-ms');
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
    const recordsPerRequest = Math.max(1, Math.round((rateMiB * (1 << 20) * tickMs) / 1000 / recordBytes));
    const typicalWrite = recordsPerRequest * recordBytes + 61 + 64;
    say(`# diskless-kafka benchmark (${new Date().toISOString()})`);
    say(`command: npm run bench -- ${process.argv.slice(2).join(' ')}`.trimEnd());
    say(`WAL directory: ${walDir}; object store: ${objectStore}`);
    say('');
    say('## Machine floor (same directory, same calls as the WAL: FileHandle.write + datasync)');
    const floorSamples = positive(flags, 'floor-samples');
    const floorTypical = await measureSyncLatency(walDir, typicalWrite, floorSamples);
    say(line(`write+fdatasync ${typicalWrite} B`, floorTypical));
    const floorRecord = await measureSyncLatency(walDir, recordBytes + 61 + 64, floorSamples);
    say(line(`write+fdatasync ${recordBytes + 61 + 64} B`, floorRecord));
    const blockKiB = positive(flags, 'floor-block-kib');
    const floorBandwidth = await measureSyncBandwidth(walDir, blockKiB * 1024, 3000);
    say(`${`append+fdatasync ${blockKiB} KiB blocks`.padEnd(44)} ${floorBandwidth.toFixed(0)} MiB/s`);
    say('');

    const broker = await BrokerUnderTest.start([
      '--data-dir', path.join(scratch, 'data'),
      '--wal-dir', walDir,
      '--object-store', objectStore,
      ...(flags['s3-endpoint'] ? ['--s3-endpoint', flags['s3-endpoint']] : []),
      '--wal-capacity-mib', flags['wal-capacity-mib'],
      '--read-cache-mib', flags['read-cache-mib'],
      '--auto-create-topics', 'false',
    ], flags['profile-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(flags['profile-dir'])}`] : []);
    let peakRss = 0;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, broker.memory().rssMiB);
    }, 250);
    try {
      await createTopic(broker.port, 'bench-latency', 1);
      const latencyS = positive(flags, 'latency-s');
      say(`## Broker: acks=all, ${recordBytes} B records at ${rateMiB} MiB/s, 1 partition, a request every ${tickMs} ms, ${latencyS} s`);
      const latency = await latencyRun(broker.port, {
        topic: 'bench-latency',
        bytesPerSecond: rateMiB * (1 << 20),
        recordBytes,
        durationMs: latencyS * 1000,
        tickMs,
      });
      say(line('produce latency', latency.produce));
      say(line('end-to-end latency (produce to consume)', latency.endToEnd));
      say(`${'requests'.padEnd(44)} ${latency.requests}, mean ${latency.meanRequestBytes.toFixed(0)} B, ${latency.achievedMiBps.toFixed(1)} MiB/s`);
      say(
        `${'produce p99 minus floor p99'.padEnd(44)} ${(latency.produce.p99 - floorTypical.p99).toFixed(3)} ms (target: at most 1 ms)`,
      );
      say('');

      const partitions = positive(flags, 'partitions');
      await createTopic(broker.port, 'bench-throughput', partitions);
      const throughputS = positive(flags, 'throughput-s');
      const batchKiB = positive(flags, 'batch-kib');
      const inFlight = positive(flags, 'in-flight');
      const connections = positive(flags, 'connections');
      say(`## Broker: maximum throughput, ${batchKiB} KiB batches, ${partitions} partitions, ${connections}x${inFlight} requests in flight, ${throughputS} s`);
      const throughput = await throughputRun(broker.port, {
        topic: 'bench-throughput',
        partitions,
        batchBytes: batchKiB * 1024,
        recordBytes,
        inFlight,
        connections,
        durationMs: throughputS * 1000,
      });
      say(`${'throughput'.padEnd(44)} ${throughput.mibPerSecond.toFixed(0)} MiB/s = ${((100 * throughput.mibPerSecond) / floorBandwidth).toFixed(0)}% of the floor (target: at least 70%)`);
      say(line('produce latency under that load', throughput.produce));
      say('');
    } finally {
      clearInterval(sampler);
      const memory = broker.memory();
      const exitCode = await broker.stop();
      const closed = broker.lastLog('storage closed');
      say('## Broker resources');
      say(`${'RSS'.padEnd(44)} max sampled ${Math.max(peakRss, memory.rssMiB).toFixed(0)} MiB, peak (VmHWM) ${memory.peakMiB.toFixed(0)} MiB; caches: log 128 MiB + read ${flags['read-cache-mib']} MiB`);
      if (closed) {
        const ingestedGiB = Number(closed.ingestedBytes) / 2 ** 30;
        say(
          `${'objects per GiB ingested'.padEnd(44)} ${Number(closed.objectsPerGiB).toFixed(1)} (${String(closed.objects)} objects, ${ingestedGiB.toFixed(2)} GiB, mean object ${(Number(closed.objectBytes) / Math.max(1, Number(closed.objects)) / (1 << 20)).toFixed(1)} MiB)`,
        );
      }
      say(`${'broker exit code after SIGTERM'.padEnd(44)} ${exitCode}`);
    }
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
