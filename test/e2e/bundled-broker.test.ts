/**
 * The broker as the Docker image runs it: bundled by broker/bundle.ts (the Dockerfile's build
 * step) and run with node, against an S3 server over HTTPS (s3rver with the test-only
 * certificate). Its data objects go to S3 through the PUT thread that the bundle starts from its
 * own s3-put-worker.js; a second bundled broker on an empty data directory reads them back.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { S3ObjectStore } from '../../broker/storage/object-stores';
import { BrokerProcess, makeTempDir } from '../support/broker-process';
import { startS3rver, TEST_CA, type RunningS3rver } from '../support/s3rver';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const REPO_ROOT = path.resolve(__dirname, '../..');
const RECORDS = 300;

const bundleDir = makeTempDir('dk-bundle-');
let s3: RunningS3rver;
const brokers: BrokerProcess[] = [];

beforeAll(async () => {
  execFileSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'broker', 'bundle.ts'), bundleDir], { cwd: REPO_ROOT, stdio: 'pipe' });
  s3 = await startS3rver('bundled', { tls: true });
});

afterAll(async () => {
  for (const broker of brokers) {
    await broker.stop();
    broker.removeDataDir();
  }
  await s3?.stop();
  rmSync(bundleDir, { recursive: true, force: true });
});

function startBundled(): Promise<BrokerProcess> {
  return BrokerProcess.start({
    bundledEntry: path.join(bundleDir, 'broker.js'),
    args: ['--object-store', `s3://${s3.bucket}/cluster`, '--s3-endpoint', s3.endpoint],
    env: {
      ...s3.brokerEnv,
      // The image has node_modules beside dist/; here the bundle is elsewhere, so point at ours.
      NODE_PATH: path.join(REPO_ROOT, 'node_modules'),
    },
  }).then((broker) => {
    brokers.push(broker);
    return broker;
  });
}

test('the bundled broker uploads through its PUT thread to S3 over HTTPS, and another reads it all back', async () => {
  expect(existsSync(path.join(bundleDir, 's3-put-worker.js'))).toBe(true);
  const writer = await startBundled();
  const producerKafka = new Kafka({ clientId: 'bundled-producer', brokers: [writer.bootstrap], logLevel: logLevel.NOTHING });
  const producer = producerKafka.producer();
  await producer.connect();
  const values = Array.from({ length: RECORDS }, (_, i) => `bundled-${i}-${'x'.repeat(1000)}`);
  for (let i = 0; i < RECORDS; i += 50) {
    await producer.send({ topic: 'bundled', acks: -1, messages: values.slice(i, i + 50).map((value) => ({ value })) });
  }
  await producer.disconnect();
  // SIGTERM uploads everything in the WAL first.
  expect(await writer.stop()).toEqual({ code: 0, signal: null });
  // Had the thread failed to start from the bundle, the store would have said so and sent the PUTs itself.
  expect(writer.output.join('\n')).not.toContain('PUT thread');

  const store = new S3ObjectStore({ bucket: s3.bucket, prefix: 'cluster', endpoint: s3.endpoint, credentials: s3.credentials, ca: TEST_CA.toString(), putThread: false });
  const objects: string[] = [];
  for await (const object of store.list('data/')) objects.push(object.key);
  expect(objects.length).toBeGreaterThan(0);

  const reader = await startBundled();
  const consumerKafka = new Kafka({ clientId: 'bundled-consumer', brokers: [reader.bootstrap], logLevel: logLevel.NOTHING });
  const consumer = consumerKafka.consumer({ groupId: 'bundled-readers' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'bundled', fromBeginning: true });
  const read: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${read.length} of ${RECORDS} records`)), 60_000);
    void consumer.run({
      eachMessage: ({ message }) => {
        read.push(message.value!.toString());
        if (read.length === RECORDS) {
          clearTimeout(timer);
          resolve();
        }
        return Promise.resolve();
      },
    });
  });
  await consumer.disconnect();
  expect(read).toEqual(values);
});
