/**
 * `npm run cluster -- --brokers 3 [broker flags]`: a local cluster on one machine, so anyone can
 * watch a failover. N broker processes on consecutive ports from --port (default 9092) with
 * consecutive node ids from --node-id (default 1), metrics ports from --metrics-port when given,
 * each in its own zone (local-a, local-b, ...),
 * sharing one WAL root and one object store (the single broker's flags, e.g. --data-dir,
 * --object-store, --s3-endpoint, apply to all). Ctrl-C or SIGTERM drains and stops them all.
 *
 * A broker that exits on its own (killed, or fenced) is started again after a second, as a
 * supervisor would; kill one with `kill -9 <pid>` to watch its partitions move and come back.
 */
import { ConfigError, helpText, parseConfig } from './config';
import { LocalBrokerProcess, PER_BROKER_FLAGS, localBrokerSpecs } from './cluster/local-cluster';

const USAGE = `Usage: npm run cluster -- [--brokers N] [broker flags]

Starts N brokers (default 3) as one cluster on this machine: ports PORT, PORT+1, ...; node ids
NODE_ID, NODE_ID+1, ... (default 1); metrics ports METRICS_PORT, METRICS_PORT+1, ... (if given);
zones ZONE-a, ZONE-b, ... (default local-a, local-b, ...);
one shared WAL root and one object store. Every broker flag below applies to all of them.
`;

const RESTART_DELAY_MS = 1_000;
/** A local demo preallocates a smaller WAL per broker than production's 2 GiB, unless told otherwise. */
const LOCAL_WAL_CAPACITY_MIB = '256';
const STOP_TIMEOUT_MS = 120_000;

interface ClusterArgs {
  readonly brokers: number;
  readonly perBroker: Partial<Record<(typeof PER_BROKER_FLAGS)[number], string>>;
  readonly common: string[];
}

/** Splits --brokers and the per-broker flags off; the rest are broker flags for every broker. */
function splitArgs(argv: readonly string[]): ClusterArgs {
  let brokers = 3;
  const perBroker: Record<string, string> = {};
  const common: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const match = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(argv[i]);
    const name = match?.[1];
    const takesValue = name === 'brokers' || (PER_BROKER_FLAGS as readonly string[]).includes(name ?? '');
    if (!match || !takesValue) {
      common.push(argv[i]);
      continue;
    }
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new ConfigError(`flag --${name} needs a value`);
    if (name === 'brokers') {
      brokers = Number(value);
      if (!/^\d+$/.test(value) || brokers < 1 || brokers > 26) {
        throw new ConfigError(`invalid --brokers: ${JSON.stringify(value)}; expected an integer from 1 to 26`);
      }
    } else {
      perBroker[name!] = value;
    }
  }
  return { brokers, perBroker, common };
}

function main(): void {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n${helpText('npm run cluster --')}`);
    return;
  }
  let args: ClusterArgs;
  let specs: ReturnType<typeof localBrokerSpecs>;
  try {
    args = splitArgs(argv);
    const walCapacityGiven = args.common.some((arg) => arg.startsWith('--wal-capacity-mib')) || process.env.DK_WAL_CAPACITY_MIB !== undefined;
    if (!walCapacityGiven) args.common.push('--wal-capacity-mib', LOCAL_WAL_CAPACITY_MIB);
    const perBrokerArgs = Object.entries(args.perBroker).flatMap(([flag, value]) => [`--${flag}`, value]);
    // Validate everything once, as the first broker would see it.
    const config = parseConfig([...args.common, ...perBrokerArgs, '--cluster-mode', 'true'], process.env);
    if (config === 'help') return;
    specs = localBrokerSpecs({
      count: args.brokers,
      basePort: config.port,
      baseNodeId: args.perBroker['node-id'] === undefined ? 1 : config.nodeId,
      zonePrefix: args.perBroker.zone ?? 'local',
      common: args.common,
      baseMetricsPort: config.metricsPort,
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 2;
    return;
  }

  const brokers = specs.map((spec) => new LocalBrokerProcess(spec, { stdio: 'inherit', detached: true }));
  let stopping = false;
  const supervise = (broker: LocalBrokerProcess): void => {
    broker.start();
    process.stderr.write(`cluster: broker ${broker.spec.nodeId} (pid ${broker.pid}) on port ${broker.spec.port}, zone ${broker.spec.zone}\n`);
    void broker.waitExit().then((code) => {
      if (stopping) return;
      process.stderr.write(`cluster: broker ${broker.spec.nodeId} exited (${code}); starting it again in ${RESTART_DELAY_MS} ms\n`);
      setTimeout(() => {
        if (!stopping) supervise(broker);
      }, RESTART_DELAY_MS);
    });
  };
  brokers.forEach(supervise);

  const stopAll = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`cluster: ${signal}: draining and stopping ${brokers.length} brokers\n`);
    for (const broker of brokers) broker.signal('SIGTERM');
    const killer = setTimeout(() => brokers.forEach((b) => b.signal('SIGKILL')), STOP_TIMEOUT_MS);
    killer.unref();
    void Promise.all(brokers.map((b) => b.waitExit())).then((codes) => {
      process.exitCode = codes.every((code) => code === 0 || code === null) ? 0 : 1;
    });
  };
  process.on('SIGINT', () => stopAll('SIGINT'));
  process.on('SIGTERM', () => stopAll('SIGTERM'));
}

main();
