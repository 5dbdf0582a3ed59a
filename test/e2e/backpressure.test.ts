/**
 * Backpressure: the object store stalls (a proxy in front of s3rver stops answering), uploads
 * cannot drain the WAL, and a small WAL fills. Producers are then refused with a retriable error
 * (REQUEST_TIMED_OUT after their timeout) or wait (kcat retries), nothing acknowledged is lost,
 * nothing refused is written, and writes resume by themselves when the store comes back.
 */
import { ProduceRequest, ProduceResponse } from '../../broker/protocol/messages/produce';
import { buildRecordBatch } from '../../broker/protocol/record-batch';
import { BrokerProcess } from '../support/broker-process';
import { startS3rver, type RunningS3rver } from '../support/s3rver';
import { startStallingProxy, type StallingProxy } from '../support/stalling-proxy';
import { WireClient } from '../support/wire-client';
import { kcat, run } from './clients';

const TOPIC = 'pressure';
const KiB = 1024;
const WAL_MIB = 4;
const BATCH_RECORDS = 4;
const RECORD_BYTES = 64 * KiB;

describe('backpressure', () => {
  let s3: RunningS3rver;
  let proxy: StallingProxy;
  let broker: BrokerProcess;
  let client: WireClient;
  let next = 0;

  beforeAll(async () => {
    s3 = await startS3rver();
    proxy = await startStallingProxy(Number(new URL(s3.endpoint).port));
    broker = await BrokerProcess.start({
      walCapacityMiB: WAL_MIB,
      args: ['--object-store', `s3://${s3.bucket}/pressure`, '--s3-endpoint', proxy.endpoint, '--upload-size-mib', '1', '--upload-age-ms', '50'],
      env: s3.brokerEnv,
    });
    client = await WireClient.connect(broker.port);
  });
  afterAll(async () => {
    client?.close();
    proxy?.resume();
    await broker?.stop();
    broker?.removeDataDir();
    await proxy?.stop();
    await s3?.stop();
  });

  /** Produces one batch of numbered records; returns its keys and the partition's answer. */
  async function produce(timeoutMs: number): Promise<{ keys: string[]; errorCode: number; baseOffset: bigint }> {
    const keys = Array.from({ length: BATCH_RECORDS }, () => `r${next++}`);
    const records = buildRecordBatch(keys.map((key) => ({ key, value: Buffer.alloc(RECORD_BYTES, key) })));
    const answer = await client.request(ProduceRequest, ProduceResponse, 8, {
      transactionalId: null,
      acks: -1,
      timeoutMs,
      topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }],
    });
    const { errorCode, baseOffset } = answer.responses[0].partitionResponses[0];
    return { keys, errorCode, baseOffset };
  }

  test('a stalled object store fills the WAL; producers are refused or wait; nothing is lost; writes resume', async () => {
    await kcat(broker.bootstrap, ['-P', '-t', TOPIC], { input: 'before the stall\n' });
    const acked = new Set<string>();
    const refused = new Set<string>();

    proxy.stall();
    let acceptedWhileStalled = 0;
    for (let attempt = 0; attempt < 60 && refused.size === 0; attempt++) {
      const { keys, errorCode } = await produce(1500);
      if (errorCode === 0) {
        keys.forEach((k) => acked.add(k));
        acceptedWhileStalled += BATCH_RECORDS * RECORD_BYTES;
      } else {
        expect(errorCode).toBe(7); // REQUEST_TIMED_OUT: retriable
        keys.forEach((k) => refused.add(k));
      }
    }
    expect(refused.size).toBeGreaterThan(0);
    expect(acceptedWhileStalled).toBeLessThanOrEqual(WAL_MIB * 1024 * KiB);

    // A real client meanwhile: kcat's delivery waits (librdkafka retries) until the store is back.
    const waiting = run('kcat', ['-b', broker.bootstrap, '-P', '-t', TOPIC, '-k', 'kcat', '-X', 'message.timeout.ms=120000'], {
      input: 'sent during the stall\n',
      timeoutMs: 150_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    proxy.resume();
    expect((await waiting).code).toBe(0);

    // Writes resume without any intervention.
    const { keys, errorCode } = await produce(60_000);
    expect(errorCode).toBe(0);
    keys.forEach((k) => acked.add(k));

    const { stdout } = await kcat(broker.bootstrap, ['-C', '-t', TOPIC, '-o', 'beginning', '-e', '-q', '-f', '%o %k %S\n'], { timeoutMs: 120_000 });
    const rows = stdout.trim().split('\n').map((line) => line.split(' '));
    expect(rows.map(([offset]) => Number(offset))).toEqual(rows.map((_, i) => i));
    const stored = rows.map(([, key]) => key);
    expect(new Set(stored).size).toBe(stored.length);
    expect([...acked].filter((k) => !stored.includes(k))).toEqual([]);
    expect([...refused].filter((k) => stored.includes(k))).toEqual([]);
    expect(stored).toContain('kcat');
  });
});
