/**
 * The broker's entry point (`npm start`, `npm run broker -- [flags]`, the container).
 *
 * config -> listen -> storage (recovery) -> cluster view -> group coordinator -> serve. The port
 * is bound before storage starts so that the broker registers (and advertises) the port it really
 * has, also with --port 0; connections accepted while storage recovers wait until it is ready.
 *
 * With --cluster-mode true (what `npm run cluster` and the fleet use), the ClusterRuntime
 * (broker/cluster/cluster-runtime.ts) adds its storage gates, provides the live cluster view, and
 * turns SIGTERM into its drain (hand the partitions off, then the shutdown below, then exit).
 *
 * Shutdown (SIGTERM / SIGINT): the group coordinator answers the joins it holds, the server stops
 * accepting and finishes in-flight requests, storage closes (uploading everything still in the
 * WAL), exit 0. A second signal exits at once with code 1.
 * Exit codes: 0 stopped cleanly, 1 failed (at start, while running or while stopping),
 * 2 invalid configuration, 75 fenced (cluster mode; the supervisor starts it again).
 */
import { readFileSync } from 'node:fs';
import { ApiRegistry } from './api/registry';
import { SaslUsers } from './auth/sasl-users';
import type { BrokerSettings } from './api/api';
import { ClusterRuntime } from './cluster/cluster-runtime';
import { SingleBrokerView } from './cluster/cluster-view';
import { ConfigError, helpText, parseConfig, type BrokerConfig } from './config';
import { coordinatorConfigOf, startGroupCoordinator } from './coordinator';
import { OFFSETS_TOPIC } from './coordinator/offsets-topic';
import { createLogger, type Logger } from './log';
import { applyYoungGenerationSizing, missingBrokerNodeFlags, YOUNG_GENERATION_FLAG } from './runtime-flags';
import { MetricsServer, type MetricSources } from './metrics/metrics-server';
import { KafkaServer } from './server/server';
import { createStorage, openObjectStore } from './storage';

export interface RunningBroker {
  /** The port actually bound. */
  readonly port: number;
  /** Graceful stop (in cluster mode: the drain, which exits the process itself). */
  stop(signal: NodeJS.Signals): Promise<void>;
}

export function settingsOf(config: BrokerConfig): BrokerSettings {
  return {
    messageMaxBytes: config.messageMaxBytes,
    maxRequestBytes: config.maxRequestBytes,
    defaultPartitions: config.defaultPartitions,
    autoCreateTopics: config.autoCreateTopics,
  };
}

export async function startBroker(
  config: BrokerConfig,
  log: Logger,
  exit: (code: number) => void = (code) => process.exit(code),
): Promise<RunningBroker> {
  const registry = new ApiRegistry();
  const tls =
    config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined
      ? {
          cert: readFileSync(config.tlsCertFile),
          key: readFileSync(config.tlsKeyFile),
          ca: config.tlsClientCaFile === undefined ? undefined : readFileSync(config.tlsClientCaFile),
        }
      : undefined;
  const server = new KafkaServer({ registry, log, maxRequestBytes: config.maxRequestBytes, tls });
  const { port } = await server.listen(config.host, config.port);
  const zone = config.zone ?? null;
  const store = openObjectStore(config.objectStore, { s3Endpoint: config.s3Endpoint, s3PutThread: config.s3PutThread });
  const clusterRuntime = config.clusterMode ? new ClusterRuntime({ config, port, store, logger: log, exit }) : undefined;
  const storage = createStorage(
    {
      nodeId: config.nodeId,
      walDir: config.walDir,
      objectStore: store,
      walCapacityMiB: config.walCapacityMiB,
      walSyncMode: config.walSync,
      uploadSizeMiB: config.uploadSizeMiB,
      uploadAgeMs: config.uploadAgeMs,
      maxConcurrentUploads: config.uploadConcurrency,
      readCacheMiB: config.readCacheMiB,
      logCacheMiB: config.logCacheMiB,
      messageMaxBytes: config.messageMaxBytes,
      retentionCheckIntervalMs: config.retentionCheckIntervalMs,
      objectDeleteGraceMs: config.objectDeleteDelayMs,
      registration: { host: config.advertisedHost, port, zone },
      ...clusterRuntime?.storageOptions(),
    },
    log,
  );
  clusterRuntime?.attach(storage);
  try {
    await storage.start();
  } catch (error) {
    await server.stop(0);
    throw error;
  }
  clusterRuntime?.storageStarted();
  const cluster =
    clusterRuntime?.view ?? new SingleBrokerView(config.clusterId, { nodeId: config.nodeId, host: config.advertisedHost, port, rack: zone });
  const groups = await startGroupCoordinator(storage, cluster, coordinatorConfigOf(config), log);
  clusterRuntime?.onPartitionLeft(({ topic, partition }) => {
    if (topic === OFFSETS_TOPIC) groups.unloadPartition(partition);
  });
  const sasl = config.saslUsersFile === undefined ? undefined : SaslUsers.fromFile(config.saslUsersFile);
  server.serve({ storage, cluster, settings: settingsOf(config), apis: registry, groups, sasl });
  const metrics = await serveMetrics(config, { storage: () => storage.statistics, server }, log);

  const shutDown = async (): Promise<void> => {
    // Joins held for a rebalance would keep the server's stop waiting: answer them first.
    groups.close();
    await server.stop();
    await storage.close();
    await metrics?.server.close();
  };
  await clusterRuntime?.armDrain(shutDown);
  log.info({ config: { ...config, port, metricsPort: metrics?.port }, securityProtocol: securityProtocolOf(config) }, 'broker started');
  const missingFlags = missingBrokerNodeFlags();
  if (missingFlags.length > 0) {
    log.warn({ missingFlags }, 'started without the broker\'s Node.js flags (broker/runtime-flags.ts): expect a longer latency tail');
  }
  return {
    port,
    stop: (signal) => (clusterRuntime ? clusterRuntime.startDrain(signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM') : shutDown()),
  };
}

/** The metrics endpoint, when --metrics-port asks for one (port 0: the one bound). */
async function serveMetrics(config: BrokerConfig, sources: MetricSources, log: Logger): Promise<{ server: MetricsServer; port: number } | undefined> {
  if (config.metricsPort === undefined) return undefined;
  const server = new MetricsServer(sources, log);
  const { port } = await server.listen(config.host, config.metricsPort);
  return { server, port };
}

/** The Kafka `security.protocol` clients must use with this configuration. */
function securityProtocolOf(config: BrokerConfig): 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL' {
  const tls = config.tlsCertFile !== undefined;
  if (config.saslUsersFile === undefined) return tls ? 'SSL' : 'PLAINTEXT';
  return tls ? 'SASL_SSL' : 'SASL_PLAINTEXT';
}

async function main(): Promise<void> {
  // Before anything allocates: Node.js 24's young generation would leave request buffers to full collections.
  const youngGenerationSized = applyYoungGenerationSizing();
  let config: BrokerConfig | 'help';
  try {
    config = parseConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`diskless-kafka: ${error.message}\n`);
    process.exit(2);
  }
  if (config === 'help') {
    process.stdout.write(helpText());
    return;
  }
  const log = createLogger(config.logLevel);
  if (youngGenerationSized) log.debug({ v8Flag: YOUNG_GENERATION_FLAG, node: process.version }, 'young generation sized as before Node.js 24');
  const fail = (error: unknown, message: string): never => {
    log.fatal({ err: error }, message);
    process.exit(1);
  };
  process.on('uncaughtException', (error) => fail(error, 'uncaught exception'));
  process.on('unhandledRejection', (error) => fail(error, 'unhandled promise rejection'));

  let broker: RunningBroker;
  try {
    broker = await startBroker(config, log);
  } catch (error) {
    return fail(error, 'broker failed to start');
  }
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without finishing the stop');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'stopping: finishing in-flight requests, then uploading the WAL');
    broker.stop(signal).then(
      () => {
        log.info('broker stopped');
        process.exit(0);
      },
      (error: unknown) => fail(error, 'stopping failed'),
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

if (require.main === module) void main();
