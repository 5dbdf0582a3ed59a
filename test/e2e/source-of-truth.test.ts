/**
 * The object store is the source of truth: produce, stop the broker (SIGTERM uploads the WAL),
 * delete its WAL directory and its local data directory, start a new broker on the same object
 * store, and read everything back: records, topics, partition counts and topic configs.
 * Once with the local-directory store, once with S3 (s3rver, a real S3 protocol server).
 */
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerProcess, makeTempDir } from '../support/broker-process';
import { startS3rver, type RunningS3rver } from '../support/s3rver';
import { kcat, kcatConsume } from './clients';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

interface Store {
  readonly args: string[];
  readonly env: Record<string, string>;
}

const RECORDS = 600;

describe.each(['file', 's3'] as const)('%s object store', (kind) => {
  const root = makeTempDir('dk-truth-');
  let s3: RunningS3rver | undefined;
  let store: Store;
  let broker: BrokerProcess | undefined;

  beforeAll(async () => {
    if (kind === 's3') {
      s3 = await startS3rver();
      store = {
        args: ['--object-store', `s3://${s3.bucket}/cluster-1`, '--s3-endpoint', s3.endpoint],
        env: s3.brokerEnv,
      };
    } else {
      store = { args: ['--object-store', pathToFileURL(path.join(root, 'objects')).href], env: {} };
    }
  });
  afterAll(async () => {
    await broker?.stop();
    await s3?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  const start = (name: string) =>
    BrokerProcess.start({
      dataDir: path.join(root, `local-${name}`),
      args: ['--wal-dir', path.join(root, `wal-${name}`), '--default-partitions', '3', ...store.args],
      env: store.env,
    });

  test('everything comes back after the WAL and the local disk are gone', async () => {
    broker = await start('first');
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'configured', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '86400000' }] }] });
    await admin.disconnect();
    const lines = Array.from({ length: RECORDS }, (_, i) => `key-${i}:value-${i}`).join('\n') + '\n';
    await kcat(broker.bootstrap, ['-P', '-t', 'durable', '-K', ':', '-z', 'lz4'], { input: lines });
    await kcat(broker.bootstrap, ['-P', '-t', 'configured', '-p', '1'], { input: 'one\ntwo\n' });
    const before = await kcatConsume(broker.bootstrap, 'durable');
    expect(before).toHaveLength(RECORDS);

    expect(await broker.stop()).toEqual({ code: 0, signal: null });
    rmSync(path.join(root, 'wal-first'), { recursive: true, force: true });
    rmSync(path.join(root, 'local-first'), { recursive: true, force: true });

    broker = await start('second');
    const after = await kcatConsume(broker.bootstrap, 'durable');
    expect(after.map(({ partition, offset, key, payload }) => ({ partition, offset, key, payload }))).toEqual(
      before.map(({ partition, offset, key, payload }) => ({ partition, offset, key, payload })),
    );
    expect((await kcatConsume(broker.bootstrap, 'configured')).map((m) => [m.partition, m.offset, m.payload])).toEqual([
      [1, 0, 'one'],
      [1, 1, 'two'],
    ]);

    const admin2 = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin2.connect();
    const metadata = await admin2.fetchTopicMetadata({ topics: ['durable', 'configured'] });
    expect(metadata.topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual([
      ['configured', 2],
      ['durable', 3],
    ]);
    const configs = await admin2.describeConfigs({ resources: [{ type: 2, name: 'configured', configNames: ['retention.ms'] }], includeSynonyms: false });
    expect(configs.resources[0].configEntries[0]).toMatchObject({ configName: 'retention.ms', configValue: '86400000', isDefault: false });
    await admin2.disconnect();

    // New records continue the offsets.
    await kcat(broker.bootstrap, ['-P', '-t', 'configured', '-p', '1'], { input: 'three\n' });
    const last = await kcatConsume(broker.bootstrap, 'configured');
    expect(last[last.length - 1]).toMatchObject({ partition: 1, offset: 2, payload: 'three' });
  });
});
