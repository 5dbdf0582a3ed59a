/**
 * The broker's configuration: command-line flags, each with an environment variable named DK_ +
 * the flag in upper snake case (--wal-dir <-> DK_WAL_DIR), for containers. A flag wins over its
 * variable, which wins over the default.
 *
 * Every option is one entry of OPTIONS (name, value name, description, default, parser), from
 * which parsing, the environment variable names and --help are derived. A bad value is a
 * ConfigError naming the flag or variable, the value given and what is allowed; the entry point
 * prints it and exits with code 2.
 */
import { accessSync, constants as fsConstants } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SaslUsers } from './auth/sasl-users';
import { LOG_LEVELS, type LogLevel } from './log';
import { DEFAULT_WAL_SYNC_MODE, WAL_SYNC_MODES, walSyncModeNamed, type WalSyncMode } from './storage/wal/wal';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface BrokerConfig {
  readonly host: string;
  readonly port: number;
  /** Where Prometheus scrapes the broker's metrics (GET /metrics on --host); undefined: not served. */
  readonly metricsPort: number | undefined;
  /** The host clients are told to connect to (Metadata). */
  readonly advertisedHost: string;
  readonly dataDir: string;
  /** The shared file system mount; this broker's WAL is <walDir>/<nodeId>/. */
  readonly walDir: string;
  /** file:///abs/path or s3://bucket/prefix. */
  readonly objectStore: string;
  readonly s3Endpoint: string | undefined;
  /** Send the data objects' PUTs from a worker thread (s3:// stores). */
  readonly s3PutThread: boolean;
  readonly nodeId: number;
  /** The availability zone, reported to clients as the rack. */
  readonly zone: string | undefined;
  readonly clusterId: string;
  readonly defaultPartitions: number;
  readonly autoCreateTopics: boolean;
  readonly walCapacityMiB: number;
  readonly walSync: WalSyncMode;
  readonly uploadSizeMiB: number;
  readonly uploadAgeMs: number;
  readonly uploadConcurrency: number;
  readonly readCacheMiB: number;
  readonly logCacheMiB: number;
  /** How often retention (retention.ms, retention.bytes) is applied: Kafka's log.retention.check.interval.ms. */
  readonly retentionCheckIntervalMs: number;
  /** How long an object nothing refers to any more is kept for readers still in it: Kafka's file.delete.delay.ms. */
  readonly objectDeleteDelayMs: number;
  readonly maxRequestBytes: number;
  readonly messageMaxBytes: number;
  /** PEM certificate chain and private key: with both, the listener speaks TLS (Kafka's SSL security protocol). */
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  /** PEM CA certificates: clients must present a certificate one of them signed (Kafka's ssl.client.auth=required). */
  readonly tlsClientCaFile: string | undefined;
  /** Users file (broker/auth/sasl-users.ts): with it, clients must authenticate with SASL. */
  readonly saslUsersFile: string | undefined;
  readonly logLevel: LogLevel;
  // --- the cluster (broker/cluster/, issue 6) ---
  /** Join a cluster: leases, partition ownership, failover and fencing through the object store. */
  readonly clusterMode: boolean;
  readonly leaseMs: number;
  readonly leaseRenewMs: number;
  /** How often the metadata log and the leases are read. */
  readonly clusterPollMs: number;
  /** The longest a drain (SIGTERM, Spot notice, lifecycle hook) may take before the broker exits anyway. */
  readonly drainDeadlineMs: number;
  /** How long a finished incarnation's WAL directory stays (for its node to take over) before it is deleted. */
  readonly walReclaimAfterMs: number;
  /** 'auto' (the EC2 instance metadata service, if it answers), 'off', or the service's URL. */
  readonly instanceMetadata: string;
  /** The Auto Scaling termination lifecycle hook the drain completes. */
  readonly lifecycleHookName: string | undefined;
  readonly autoScalingGroupName: string | undefined;
  // --- consumer groups (broker/coordinator/, issue 5) ---
  /** Partitions of __consumer_offsets when it is created; a group lives in one of them. */
  readonly offsetsTopicPartitions: number;
  /** How long an Empty group waits for more members before its first generation. */
  readonly groupInitialRebalanceDelayMs: number;
  readonly groupMinSessionTimeoutMs: number;
  readonly groupMaxSessionTimeoutMs: number;
  /** How long a group that became Empty keeps its committed offsets. */
  readonly offsetsRetentionMinutes: number;
  readonly offsetsRetentionCheckIntervalMs: number;
  /** Records appended to a __consumer_offsets partition before its live state is snapshotted again. */
  readonly offsetsSnapshotMinRecords: number;
}

type Raw = Readonly<Record<string, string | undefined>>;

interface OptionSpec<K extends keyof BrokerConfig> {
  readonly key: K;
  readonly valueName: string;
  readonly description: string;
  /** Shown in --help. */
  readonly defaultText: string;
  /** `value` is undefined when neither the flag nor its variable is set. */
  parse(value: string | undefined, given: Raw): BrokerConfig[K];
}

// --- value parsers: each returns the value or throws a bare "what is allowed" message ---------

function integer(min: number, max: number = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new Error(max === Number.MAX_SAFE_INTEGER ? `an integer of at least ${min}` : `an integer from ${min} to ${max}`);
    }
    return n;
  };
}

function boolean(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new Error('true or false');
}

function nonEmpty(value: string): string {
  if (value.trim() === '') throw new Error('a non-empty string');
  return value;
}

function httpUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // reported below
  }
  throw new Error('an http:// or https:// URL');
}

function objectStoreUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('file:///absolute/path or s3://bucket/prefix');
  }
  if (url.protocol === 'file:' && url.host === '' && url.pathname.length > 1) return value;
  if (url.protocol === 's3:' && url.hostname.length >= 3) return value;
  throw new Error('file:///absolute/path or s3://bucket/prefix (bucket names have at least 3 characters)');
}

function walSyncMode(value: string): WalSyncMode {
  const mode = walSyncModeNamed(value);
  if (mode === undefined) throw new Error(WAL_SYNC_MODES.join(' or '));
  return mode;
}

/** A file this process can read (checked now, so that a wrong path is a usage error, not a failed start). */
function readableFile(value: string): string {
  const file = path.resolve(nonEmpty(value));
  try {
    accessSync(file, fsConstants.R_OK);
  } catch (error) {
    throw new Error(`a readable file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return file;
}

/** An optional TLS file that needs the flag `other` (the cert and key come as a pair; a client CA needs both). */
function tlsFile(other: string, needs = `together with --${other}`) {
  return (value: string | undefined, given: Raw): string | undefined => {
    if (value === undefined) return undefined;
    if (given[other] === undefined) throw new Error(`a readable file, given ${needs}`);
    return readableFile(value);
  };
}

/** A users file that loads: its own errors name the field that is wrong. */
function saslUsersFile(value: string): string {
  const file = readableFile(value);
  try {
    SaslUsers.fromFile(file);
  } catch (error) {
    throw new Error(`a valid users file (${(error as Error).message})`);
  }
  return file;
}

function logLevel(value: string): LogLevel {
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
  throw new Error(LOG_LEVELS.join(', '));
}

const MiB = 1024 * 1024;

/** A parser for an option with a fixed default. */
function withDefault<T>(fallback: T, parse: (value: string) => T) {
  return (value: string | undefined): T => (value === undefined ? fallback : parse(value));
}

function dataDirOf(given: Raw): string {
  return path.resolve(given['data-dir'] ?? 'data');
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

const OPTIONS: { [K in keyof BrokerConfig]: OptionSpec<K> } = {
  host: {
    key: 'host',
    valueName: 'HOST',
    description: 'address to listen on',
    defaultText: '127.0.0.1',
    parse: withDefault('127.0.0.1', nonEmpty),
  },
  port: {
    key: 'port',
    valueName: 'PORT',
    description: 'port to listen on (0 picks a free port)',
    defaultText: '9092',
    parse: withDefault(9092, integer(0, 65535)),
  },
  metricsPort: {
    key: 'metricsPort',
    valueName: 'PORT',
    description: 'serve Prometheus metrics at http://HOST:PORT/metrics (0 picks a free port)',
    defaultText: 'none (no metrics endpoint)',
    parse: (value) => (value === undefined ? undefined : integer(0, 65535)(value)),
  },
  advertisedHost: {
    key: 'advertisedHost',
    valueName: 'HOST',
    description: 'host name given to clients in metadata',
    defaultText: 'the --host, or the machine name when listening on all addresses',
    parse: (value, given) => {
      if (value !== undefined) return nonEmpty(value);
      const host = given.host ?? '127.0.0.1';
      return WILDCARD_HOSTS.has(host) ? os.hostname() : host;
    },
  },
  dataDir: {
    key: 'dataDir',
    valueName: 'DIR',
    description: 'local directory; the WAL and objects go under it unless given',
    defaultText: './data',
    parse: (value, given) => (value === undefined ? dataDirOf(given) : path.resolve(nonEmpty(value))),
  },
  walDir: {
    key: 'walDir',
    valueName: 'DIR',
    description: 'WAL directory (the shared file system); this broker uses DIR/<node-id>/',
    defaultText: 'DATA_DIR/wal',
    parse: (value, given) => (value === undefined ? path.join(dataDirOf(given), 'wal') : path.resolve(nonEmpty(value))),
  },
  objectStore: {
    key: 'objectStore',
    valueName: 'URL',
    description: 'object store: file:///absolute/path or s3://bucket/prefix',
    defaultText: 'file://DATA_DIR/objects',
    parse: (value, given) =>
      value === undefined ? pathToFileURL(path.join(dataDirOf(given), 'objects')).href : objectStoreUrl(value),
  },
  s3Endpoint: {
    key: 's3Endpoint',
    valueName: 'URL',
    description: 'endpoint of an S3-compatible server for s3:// object stores',
    defaultText: 'AWS S3',
    parse: (value) => (value === undefined ? undefined : httpUrl(value)),
  },
  s3PutThread: {
    key: 's3PutThread',
    valueName: 'true|false',
    description: 'send the data objects\' PUTs to S3 from a worker thread, keeping their TLS off the event loop',
    defaultText: 'true',
    parse: withDefault(true, boolean),
  },
  nodeId: {
    key: 'nodeId',
    valueName: 'N',
    description: 'this broker\'s node id',
    defaultText: '0',
    parse: withDefault(0, integer(0, 2147483647)),
  },
  zone: {
    key: 'zone',
    valueName: 'ZONE',
    description: 'availability zone, reported to clients as the rack',
    defaultText: 'none',
    parse: (value) => (value === undefined ? undefined : nonEmpty(value)),
  },
  clusterId: {
    key: 'clusterId',
    valueName: 'ID',
    description: 'cluster id reported to clients',
    defaultText: 'diskless-kafka',
    parse: withDefault('diskless-kafka', nonEmpty),
  },
  defaultPartitions: {
    key: 'defaultPartitions',
    valueName: 'N',
    description: 'partitions of auto-created topics and of CreateTopics with -1',
    defaultText: '1',
    parse: withDefault(1, integer(1, 100000)),
  },
  autoCreateTopics: {
    key: 'autoCreateTopics',
    valueName: 'true|false',
    description: 'create unknown topics asked for in metadata requests',
    defaultText: 'true',
    parse: withDefault(true, boolean),
  },
  walCapacityMiB: {
    key: 'walCapacityMiB',
    valueName: 'MIB',
    description: 'WAL capacity; produces wait (then fail, retriably) when it is full',
    defaultText: '2048',
    parse: withDefault(2048, integer(1, 1024 * 1024)),
  },
  walSync: {
    key: 'walSync',
    valueName: 'fdatasync|dsync',
    description: 'how a WAL flush is made durable: write then fdatasync, or writes on an O_DSYNC descriptor (one system call, one thread-pool round trip)',
    defaultText: DEFAULT_WAL_SYNC_MODE,
    parse: withDefault<WalSyncMode>(DEFAULT_WAL_SYNC_MODE, walSyncMode),
  },
  uploadSizeMiB: {
    key: 'uploadSizeMiB',
    valueName: 'MIB',
    description: 'upload an object once this much data is waiting',
    defaultText: '8',
    parse: withDefault(8, integer(1, 5 * 1024)),
  },
  uploadAgeMs: {
    key: 'uploadAgeMs',
    valueName: 'MS',
    description: 'upload an object once its oldest data is this old',
    defaultText: '250',
    parse: withDefault(250, integer(1, 3600_000)),
  },
  uploadConcurrency: {
    key: 'uploadConcurrency',
    valueName: 'N',
    description: 'object PUTs in flight at once (each holds one object body in memory); S3 answers an 8 MiB PUT in about 100-300 ms, so one broker uploads at most N x 8 MiB per such round trip',
    defaultText: '8',
    parse: withDefault(8, integer(1, 256)),
  },
  readCacheMiB: {
    key: 'readCacheMiB',
    valueName: 'MIB',
    description: 'cache of object-store reads',
    defaultText: '128',
    parse: withDefault(128, integer(0, 1024 * 1024)),
  },
  logCacheMiB: {
    key: 'logCacheMiB',
    valueName: 'MIB',
    description: 'in-memory cache of the most recently written data (the log tail); produce requests are read into it',
    defaultText: '128',
    parse: withDefault(128, integer(1, 1024 * 1024)),
  },
  retentionCheckIntervalMs: {
    key: 'retentionCheckIntervalMs',
    valueName: 'MS',
    description: "how often each partition's retention.ms and retention.bytes are applied (Kafka's log.retention.check.interval.ms)",
    defaultText: '60000',
    parse: withDefault(60_000, integer(100, 24 * 3_600_000)),
  },
  objectDeleteDelayMs: {
    key: 'objectDeleteDelayMs',
    valueName: 'MS',
    description: "how long an object retention no longer needs is kept for readers still in it before it is deleted (Kafka's file.delete.delay.ms)",
    defaultText: '60000',
    parse: withDefault(60_000, integer(0, 24 * 3_600_000)),
  },
  maxRequestBytes: {
    key: 'maxRequestBytes',
    valueName: 'BYTES',
    description: 'largest request accepted; larger frames close the connection',
    defaultText: '104857600',
    parse: withDefault(100 * MiB, integer(1024, 2147483647)),
  },
  messageMaxBytes: {
    key: 'messageMaxBytes',
    valueName: 'BYTES',
    description: 'largest record batch (topics may set max.message.bytes)',
    defaultText: '1048588',
    parse: withDefault(1048588, integer(1, 2147483647)),
  },
  tlsCertFile: {
    key: 'tlsCertFile',
    valueName: 'FILE',
    description: 'PEM certificate chain; with --tls-key-file the listener speaks TLS (clients: security.protocol=SSL)',
    defaultText: 'none (plaintext)',
    parse: tlsFile('tls-key-file'),
  },
  tlsKeyFile: {
    key: 'tlsKeyFile',
    valueName: 'FILE',
    description: "PEM private key of --tls-cert-file's certificate",
    defaultText: 'none',
    parse: tlsFile('tls-cert-file'),
  },
  tlsClientCaFile: {
    key: 'tlsClientCaFile',
    valueName: 'FILE',
    description: 'PEM CA certificates; clients must present a certificate they signed (mutual TLS; needs --tls-cert-file)',
    defaultText: 'none (no client certificates)',
    // The cert file needs the key file, so checking for the cert checks for both.
    parse: tlsFile('tls-cert-file', 'with --tls-cert-file and --tls-key-file'),
  },
  saslUsersFile: {
    key: 'saslUsersFile',
    valueName: 'FILE',
    description: 'SASL users (SCRAM credentials; add one with broker/auth/sasl-user-tool.ts); clients must then authenticate '
      + 'with SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN (security.protocol=SASL_PLAINTEXT, or SASL_SSL with TLS)',
    defaultText: 'none (no authentication)',
    parse: (value) => (value === undefined ? undefined : saslUsersFile(value)),
  },
  logLevel: {
    key: 'logLevel',
    valueName: 'LEVEL',
    description: LOG_LEVELS.join(', '),
    defaultText: 'info',
    parse: withDefault<LogLevel>('info', logLevel),
  },
  clusterMode: {
    key: 'clusterMode',
    valueName: 'true|false',
    description: 'join a cluster of brokers sharing the WAL root and object store (npm run cluster sets it)',
    defaultText: 'false',
    parse: withDefault(false, boolean),
  },
  leaseMs: {
    key: 'leaseMs',
    valueName: 'MS',
    description: 'cluster: how long a broker may acknowledge after a lease renewal; its partitions move about this long after it dies',
    defaultText: '10000',
    parse: withDefault(10_000, integer(100, 600_000)),
  },
  leaseRenewMs: {
    key: 'leaseRenewMs',
    valueName: 'MS',
    description: 'cluster: how often the lease is renewed (at most a third of --lease-ms)',
    defaultText: '2000',
    parse: (value, given) => {
      const renewMs = withDefault(2_000, integer(10, 200_000))(value);
      const leaseMs = Number(given['lease-ms'] ?? 10_000);
      if (Number.isFinite(leaseMs) && renewMs * 3 > leaseMs) throw new Error(`at most a third of --lease-ms (${leaseMs})`);
      return renewMs;
    },
  },
  clusterPollMs: {
    key: 'clusterPollMs',
    valueName: 'MS',
    description: 'cluster: how often the metadata log and the leases are read',
    defaultText: '500',
    parse: withDefault(500, integer(10, 60_000)),
  },
  drainDeadlineMs: {
    key: 'drainDeadlineMs',
    valueName: 'MS',
    description: 'cluster: a drain that takes longer exits without handing off (the WAL is replayed instead)',
    defaultText: '90000',
    parse: withDefault(90_000, integer(1_000, 3_600_000)),
  },
  walReclaimAfterMs: {
    key: 'walReclaimAfterMs',
    valueName: 'MS',
    description: 'cluster: the WAL directory of a crashed, fenced or left broker, once replayed, is deleted after this long unless its node id took it over',
    defaultText: '600000',
    parse: withDefault(600_000, integer(0, 7 * 24 * 3_600_000)),
  },
  instanceMetadata: {
    key: 'instanceMetadata',
    valueName: 'auto|off|URL',
    description: 'cluster: where to poll for Spot interruption and Auto Scaling termination notices',
    defaultText: 'auto (EC2 instance metadata, when it answers)',
    parse: (value) => (value === undefined || value === 'auto' || value === 'off' ? (value ?? 'auto') : httpUrl(value)),
  },
  lifecycleHookName: {
    key: 'lifecycleHookName',
    valueName: 'NAME',
    description: 'cluster: the termination lifecycle hook the drain completes',
    defaultText: 'none',
    parse: (value) => (value === undefined ? undefined : nonEmpty(value)),
  },
  autoScalingGroupName: {
    key: 'autoScalingGroupName',
    valueName: 'NAME',
    description: 'cluster: the Auto Scaling group of that hook',
    defaultText: 'none',
    parse: (value) => (value === undefined ? undefined : nonEmpty(value)),
  },
  offsetsTopicPartitions: {
    key: 'offsetsTopicPartitions',
    valueName: 'N',
    description: 'groups: partitions of __consumer_offsets when it is created (an existing topic keeps its count)',
    defaultText: '50',
    parse: withDefault(50, integer(1, 1000)),
  },
  groupInitialRebalanceDelayMs: {
    key: 'groupInitialRebalanceDelayMs',
    valueName: 'MS',
    description: 'groups: how long a new group waits for more members before its first rebalance',
    defaultText: '3000',
    parse: withDefault(3_000, integer(0, 300_000)),
  },
  groupMinSessionTimeoutMs: {
    key: 'groupMinSessionTimeoutMs',
    valueName: 'MS',
    description: 'groups: the shortest session timeout a member may ask for',
    defaultText: '6000',
    parse: withDefault(6_000, integer(1, 3_600_000)),
  },
  groupMaxSessionTimeoutMs: {
    key: 'groupMaxSessionTimeoutMs',
    valueName: 'MS',
    description: 'groups: the longest session timeout a member may ask for',
    defaultText: '1800000',
    parse: (value, given) => {
      const maxMs = withDefault(1_800_000, integer(1, 3_600_000))(value);
      const minMs = Number(given['group-min-session-timeout-ms'] ?? 6_000);
      if (Number.isFinite(minMs) && maxMs < minMs) throw new Error(`at least --group-min-session-timeout-ms (${minMs})`);
      return maxMs;
    },
  },
  offsetsRetentionMinutes: {
    key: 'offsetsRetentionMinutes',
    valueName: 'MINUTES',
    description: 'groups: how long a group that has become empty keeps its committed offsets',
    defaultText: '10080 (7 days)',
    parse: withDefault(10_080, integer(1, 10 * 365 * 24 * 60)),
  },
  offsetsRetentionCheckIntervalMs: {
    key: 'offsetsRetentionCheckIntervalMs',
    valueName: 'MS',
    description: 'groups: how often expired offsets are removed',
    defaultText: '600000',
    parse: withDefault(600_000, integer(1_000, 24 * 3_600_000)),
  },
  offsetsSnapshotMinRecords: {
    key: 'offsetsSnapshotMinRecords',
    valueName: 'N',
    description: 'groups: records appended to a __consumer_offsets partition before it is snapshotted (bounds loading time)',
    defaultText: '10000',
    parse: withDefault(10_000, integer(10, 100_000_000)),
  },
};

/** --wal-dir for walDir, walCapacityMiB -> --wal-capacity-mib. */
export function flagOf(key: string): string {
  return key
    .replace(/MiB$/, 'Mib')
    .replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** DK_WAL_DIR for walDir. */
export function envOf(key: string): string {
  return `DK_${flagOf(key).replace(/-/g, '_').toUpperCase()}`;
}

const KEYS = Object.keys(OPTIONS) as (keyof BrokerConfig)[];

export function helpText(program = 'npm run broker --'): string {
  const lines = KEYS.map((key) => {
    const { valueName, description, defaultText } = OPTIONS[key];
    const flag = `--${flagOf(key)} ${valueName}`;
    return `  ${flag.padEnd(34)} ${description}\n  ${''.padEnd(34)} env ${envOf(key)}, default ${defaultText}`;
  });
  return [
    `Usage: ${program} [flags]`,
    '',
    'Runs one diskless-kafka broker. Every flag can also be set with its environment variable.',
    '',
    ...lines,
    `  ${'--help'.padEnd(34)} print this help`,
    '',
  ].join('\n');
}

/** Reads flags (`--name value` or `--name=value`) into a map by flag name; rejects unknown ones. */
function readFlags(argv: readonly string[]): Map<string, string> {
  const known = new Set(KEYS.map(flagOf));
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const match = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    if (!match) throw new ConfigError(`unexpected argument ${JSON.stringify(arg)}: flags look like --name value (see --help)`);
    const [, name, inline] = match;
    if (!known.has(name)) throw new ConfigError(`unknown flag --${name} (see --help)`);
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new ConfigError(`flag --${name} needs a value`);
      value = argv[++i];
    }
    if (flags.has(name)) throw new ConfigError(`flag --${name} is given twice`);
    flags.set(name, value);
  }
  return flags;
}

/**
 * The configuration from command-line arguments (without node and the script) and the
 * environment, or 'help' when --help is asked for. Throws ConfigError.
 */
export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): BrokerConfig | 'help' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  const flags = readFlags(argv);
  // Raw values by flag name, flag first, then environment variable.
  const given: Record<string, string | undefined> = {};
  const sourceOf: Record<string, string> = {};
  for (const key of KEYS) {
    const flag = flagOf(key);
    const fromFlag = flags.get(flag);
    const fromEnv = env[envOf(key)];
    given[flag] = fromFlag ?? fromEnv;
    sourceOf[flag] = fromFlag !== undefined ? `--${flag}` : `${envOf(key)} (environment)`;
  }
  const config: Record<string, unknown> = {};
  for (const key of KEYS) {
    const flag = flagOf(key);
    const value = given[flag];
    try {
      config[key] = OPTIONS[key].parse(value, given);
    } catch (error) {
      const allowed = error instanceof Error ? error.message : String(error);
      throw new ConfigError(`invalid ${sourceOf[flag]}: ${JSON.stringify(value)}; expected ${allowed}`);
    }
  }
  return config as unknown as BrokerConfig;
}
