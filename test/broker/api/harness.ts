/** Shared setup of the API tests: an in-process broker on MemoryStorage and a wire client. */
import type { BrokerEndpoint, ClusterView } from '../../../broker/cluster/cluster-view';
import { startInProcessBroker, type InProcessBroker } from '../../support/in-process-broker';
import { MemoryStorage } from '../../support/memory-storage';
import { WireClient } from '../../support/wire-client';
import type { BrokerSettings } from '../../../broker/api/api';

/** A cluster of brokers 1 (us), 2 and 3, where the test decides who owns which partition. */
export class TestCluster implements ClusterView {
  readonly clusterId = 'test-cluster';
  readonly localNodeId = 1;
  /** `topic/partition` -> owner; partitions not listed belong to us. */
  readonly owners = new Map<string, number | undefined>();

  constructor(private readonly port: number) {}

  brokers(): readonly BrokerEndpoint[] {
    return [1, 2, 3].map((nodeId) => ({ nodeId, host: '127.0.0.1', port: nodeId === 1 ? this.port : 0, rack: `zone-${nodeId}` }));
  }

  controllerId(): number {
    return 2;
  }

  ownerOfPartition(topic: string, partition: number): number | undefined {
    const key = `${topic}/${partition}`;
    return this.owners.has(key) ? this.owners.get(key) : this.localNodeId;
  }

  coordinatorOfGroup(): number {
    return this.localNodeId;
  }
}

export interface ApiTestContext {
  broker: InProcessBroker;
  storage: MemoryStorage;
  cluster: TestCluster;
  client: WireClient;
}

/** Starts a broker per test file and a fresh client per test; returns a live context object. */
export function useBroker(settings: Partial<BrokerSettings> = {}): ApiTestContext {
  const context = {} as ApiTestContext;
  beforeAll(async () => {
    context.storage = new MemoryStorage();
    context.broker = await startInProcessBroker({
      storage: context.storage,
      settings,
      cluster: (port) => (context.cluster = new TestCluster(port)),
    });
  });
  afterAll(() => context.broker.stop());
  beforeEach(async () => {
    context.client = await WireClient.connect(context.broker.port);
  });
  afterEach(() => context.client.close());
  return context;
}
