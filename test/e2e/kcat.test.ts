/**
 * kcat (librdkafka 2.0.2) against a real broker process on the real storage engine: metadata,
 * keys, null values, headers, 1 MiB messages, every compression codec (stored as sent: the
 * batches fetched back carry the producer's codec).
 */
import { FetchRequest, FetchResponse } from '../../broker/protocol/messages/fetch';
import { batchesOf, BatchAttribute } from '../../broker/protocol/record-batch';
import { BrokerProcess } from '../support/broker-process';
import { WireClient } from '../support/wire-client';
import { kcat, kcatConsume, run } from './clients';

const MiB = 1024 * 1024;

describe('kcat', () => {
  let broker: BrokerProcess;

  beforeAll(async () => {
    broker = await BrokerProcess.start({ args: ['--message-max-bytes', String(2 * MiB), '--zone', 'test-zone-a'] });
  });
  afterAll(async () => {
    await broker?.stop();
    broker?.removeDataDir();
  });

  test('-L lists the broker and the topics with their leader', async () => {
    await kcat(broker.bootstrap, ['-P', '-t', 'listed'], { input: 'hello\n' });
    const { stdout } = await kcat(broker.bootstrap, ['-L', '-J']);
    const metadata = JSON.parse(stdout) as {
      brokers: { id: number; name: string }[];
      controllerid: number;
      topics: { topic: string; partitions: { partition: number; leader: number; replicas: { id: number }[] }[] }[];
    };
    expect(metadata.brokers).toEqual([{ id: 0, name: broker.bootstrap }]);
    expect(metadata.controllerid).toBe(0);
    expect(metadata.topics).toContainEqual({
      topic: 'listed',
      partitions: [{ partition: 0, leader: 0, replicas: [{ id: 0 }], isrs: [{ id: 0 }] }],
    });
  });

  test('keys, null values and headers survive the round trip', async () => {
    // -Z: an empty value is sent as NULL; -K: key delimiter; -H: headers on every message.
    await kcat(broker.bootstrap, ['-P', '-t', 'keyed', '-K', ':', '-Z', '-H', 'trace=abc', '-H', 'empty='], {
      input: 'k1:v1\nk2:\nk3:v3\n',
    });
    const messages = await kcatConsume(broker.bootstrap, 'keyed');
    expect(messages.map(({ offset, key, payload, headers }) => ({ offset, key, payload, headers }))).toEqual([
      { offset: 0, key: 'k1', payload: 'v1', headers: ['trace', 'abc', 'empty', ''] },
      { offset: 1, key: 'k2', payload: null, headers: ['trace', 'abc', 'empty', ''] },
      { offset: 2, key: 'k3', payload: 'v3', headers: ['trace', 'abc', 'empty', ''] },
    ]);
  });

  test('1 MiB messages go through; a message above --message-max-bytes is refused', async () => {
    const big = ['a', 'b'].map((c) => c.repeat(MiB)).join('\n') + '\n';
    await kcat(broker.bootstrap, ['-P', '-t', 'big', '-X', `message.max.bytes=${3 * MiB}`], { input: big });
    const { stdout } = await kcat(broker.bootstrap, ['-C', '-t', 'big', '-o', 'beginning', '-e', '-q', '-f', '%o %S %s\n'], {
      timeoutMs: 60_000,
    });
    const lines = stdout.trim().split('\n').map((line) => line.split(' '));
    expect(lines.map(([offset, size, value]) => [offset, size, value === 'a'.repeat(MiB) || value === 'b'.repeat(MiB)])).toEqual([
      ['0', String(MiB), true],
      ['1', String(MiB), true],
    ]);

    const tooBig = await run('kcat', ['-b', broker.bootstrap, '-P', '-t', 'big', '-X', `message.max.bytes=${4 * MiB}`], {
      input: 'c'.repeat(3 * MiB) + '\n',
    });
    expect(tooBig.code).not.toBe(0);
    expect(tooBig.stderr).toContain('Message size too large');
  });

  test.each([
    ['gzip', 1],
    ['snappy', 2],
    ['lz4', 3],
    ['zstd', 4],
  ])('%s batches are stored as sent and read back', async (codec, codecId) => {
    const topic = `codec-${codec}`;
    // Compressible enough that even a batch of one record shrinks: librdkafka sends a batch
    // uncompressed when compression would not make it smaller.
    const values = Array.from({ length: 200 }, (_, i) => `${codec} message ${i} ${'z'.repeat(300 + (i % 50))}`);
    await kcat(broker.bootstrap, ['-P', '-t', topic, '-z', codec, '-K', ':'], {
      input: values.map((v, i) => `key-${i}:${v}`).join('\n') + '\n',
    });
    const messages = await kcatConsume(broker.bootstrap, topic);
    expect(messages.map((m) => m.payload)).toEqual(values);
    expect(messages.map((m) => m.key)).toEqual(values.map((_, i) => `key-${i}`));
    expect(messages.map((m) => m.offset)).toEqual(values.map((_, i) => i));

    // The broker never recompressed: the batches it returns carry the producer's codec.
    const client = await WireClient.connect(broker.port);
    try {
      const fetched = await client.request(FetchRequest, FetchResponse, 11, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 10 * MiB,
        topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 10 * MiB }] }],
      });
      const batches = [...batchesOf(fetched.responses[0].partitions[0].records!)];
      expect(batches.length).toBeGreaterThan(0);
      for (const { header } of batches) expect(header.attributes & BatchAttribute.CompressionMask).toBe(codecId);
    } finally {
      client.close();
    }
  });
});
