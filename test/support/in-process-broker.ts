/**
 * A broker server in the test process, on a free port, over any Storage (usually MemoryStorage):
 * for connection and handler tests that need real sockets but not a real storage engine.
 */
import type { BrokerSettings } from '../../broker/api/api';
import { ApiRegistry } from '../../broker/api/registry';
import type { SaslUsers } from '../../broker/auth/sasl-users';
import { SingleBrokerView, type ClusterView } from '../../broker/cluster/cluster-view';
import { silentLogger, type Logger } from '../../broker/log';
import { KafkaServer } from '../../broker/server/server';
import type { Storage } from '../../broker/storage/storage';
import { MemoryStorage } from './memory-storage';

export interface InProcessBroker {
  readonly port: number;
  readonly server: KafkaServer;
  readonly storage: Storage;
  stop(): Promise<void>;
}

export const TEST_SETTINGS: BrokerSettings = {
  messageMaxBytes: 1048588,
  maxRequestBytes: 104857600,
  defaultPartitions: 1,
  autoCreateTopics: true,
};

export async function startInProcessBroker(
  options: {
    storage?: Storage;
    registry?: ApiRegistry;
    settings?: Partial<BrokerSettings>;
    log?: Logger;
    maxInFlightRequests?: number;
    /** False: connections read their sockets piped, never straight into frames. */
    readIntoFrames?: boolean;
    /** The cluster as this broker sees it; by default a single broker, node 1, owning everything. */
    cluster?: (port: number) => ClusterView;
    /** SASL users: clients must then authenticate. */
    sasl?: SaslUsers;
  } = {},
): Promise<InProcessBroker> {
  const storage = options.storage ?? new MemoryStorage();
  const settings = { ...TEST_SETTINGS, ...options.settings };
  const registry = options.registry ?? new ApiRegistry();
  const server = new KafkaServer({
    registry,
    log: options.log ?? silentLogger(),
    maxRequestBytes: settings.maxRequestBytes,
    maxInFlightRequests: options.maxInFlightRequests,
    readIntoFrames: options.readIntoFrames,
  });
  const { port } = await server.listen('127.0.0.1', 0);
  const cluster =
    options.cluster?.(port) ?? new SingleBrokerView('test-cluster', { nodeId: 1, host: '127.0.0.1', port, rack: 'zone-a' });
  server.serve({ storage, cluster, settings, apis: registry, sasl: options.sasl });
  return { port, server, storage, stop: () => server.stop(5000) };
}
