/**
 * kafka-python (with check_crcs on) and confluent-kafka (idempotent producer, lz4) against a real
 * broker process: produce to every partition, consume by partition assignment, and get back every
 * record, at the offset the producer was told, with its key, value (null included) and headers.
 */
import { canDecompress, CompressionCodec } from '../../broker/protocol/compression';
import { BrokerProcess } from '../support/broker-process';
import { runPython } from './clients';

type Row = [number, number, string, string | null, ...unknown[]];

function byPartitionAndOffset(rows: Row[]): Row[] {
  return [...rows].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

describe('Python clients', () => {
  let broker: BrokerProcess;

  beforeAll(async () => {
    broker = await BrokerProcess.start({ args: ['--default-partitions', '3'] });
  });
  afterAll(async () => {
    await broker?.stop();
    broker?.removeDataDir();
  });

  test('kafka-python produces and consumes by assignment with CRC checks on', async () => {
    const count = 300;
    const { produced, consumed } = await runPython<{ produced: Row[]; consumed: Row[] }>('kafka_python_roundtrip.py', [
      broker.bootstrap,
      'kafka-python',
      String(count),
    ]);
    expect(produced).toHaveLength(count);
    expect(byPartitionAndOffset(consumed).map((row) => row.slice(0, 4))).toEqual(byPartitionAndOffset(produced));
    // Offsets per partition are dense from 0; headers came through.
    for (const partition of [0, 1, 2]) {
      const offsets = consumed.filter((row) => row[0] === partition).map((row) => row[1]).sort((a, b) => a - b);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
    expect(consumed.find((row) => row[2] === 'key-7')![4]).toEqual([['index', '7']]);
  });

  test('confluent-kafka produces idempotently and consumes by assignment', async () => {
    const count = 300;
    const { produced, consumed } = await runPython<{ produced: Row[]; consumed: Row[] }>('confluent_roundtrip.py', [
      broker.bootstrap,
      'confluent',
      String(count),
      '3',
    ]);
    expect(produced).toHaveLength(count);
    expect(byPartitionAndOffset(consumed)).toEqual(byPartitionAndOffset(produced));
    expect(consumed.filter((row) => row[3] === null)).toHaveLength(count / 10);
  });

  test('ListOffsets by timestamp finds the exact record inside batches librdkafka compressed, in each codec', async () => {
    const { offsets } = await runPython<{ offsets: Record<string, number> }>('timestamps_confluent.py', [broker.bootstrap, 'stamped', '1700000000000']);
    // Records at base + 10 ms * i: the first at or after base + 55 ms is offset 6.
    expect({ gzip: offsets.gzip, snappy: offsets.snappy, lz4: offsets.lz4 }).toEqual({ gzip: 6, snappy: 6, lz4: 6 });
    // zstd needs Node.js 22.15 or later; before, the answer is the first offset of the batch holding it.
    if (canDecompress(CompressionCodec.Zstd)) expect(offsets.zstd).toBe(6);
    else expect(offsets.zstd).toBeLessThanOrEqual(6);
  });
});
