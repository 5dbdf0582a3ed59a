/**
 * What the benchmark asks of the broker: a fixed-rate produce stream with a consumer measuring
 * end-to-end latency, and a throughput run with large batches and many requests in flight.
 */
import { randomBytes } from 'node:crypto';
import { CreateTopicsRequest, CreateTopicsResponse } from '../broker/protocol/messages/create-topics';
import { FetchRequest, FetchResponse } from '../broker/protocol/messages/fetch';
import { ProduceRequest, ProduceResponse } from '../broker/protocol/messages/produce';
import { BATCH_HEADER_BYTES, batchesOf, buildRecordBatch, readRecords, setCreateTime } from '../broker/protocol/record-batch';
import { decodeMessage } from '../broker/protocol/schema';
import { BenchConnection } from './connection';
import { runAtFixedRate, type FixedRateLoad } from './fixed-rate';
import { Samples, nowMs, type LatencySummary } from './stats';

const PRODUCE_VERSION = 8;
const FETCH_VERSION = 11;

export interface TopicConfig {
  readonly name: string;
  readonly value: string;
}

export async function createTopic(port: number, name: string, partitions: number, configs: readonly TopicConfig[] = []): Promise<void> {
  const connection = await BenchConnection.open(port);
  try {
    const response = await connection.request(CreateTopicsRequest, CreateTopicsResponse, 4, {
      topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [...configs] }],
      timeoutMs: 30_000,
    });
    const code = response.topics[0]?.errorCode;
    if (code !== 0 && code !== 36) throw new Error(`CreateTopics ${name} failed with error code ${code}`);
  } finally {
    connection.close();
  }
}

function produceFrame(topic: string, partition: number, batch: Buffer): Buffer {
  return BenchConnection.frame(ProduceRequest, PRODUCE_VERSION, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
  });
}

/**
 * The latency run's produce requests, one template per record count, built once: each request is
 * a copy of its template with the send time in the first record's key (the only record the
 * consumer reads) and as the batch's create time, and the batch's CRC set again. Encoding every
 * request from scratch (each record, then the batch, then the request, each copied into the next)
 * cost the client about as much CPU as the broker it measures, on the cores they share.
 */
export class StampedProduceRequests {
  /** Per record count: the request, where its batch starts, and where the first record's key lies. */
  private readonly templates = new Map<number, { readonly frame: Buffer; readonly batchAt: number; readonly keyAt: number }>();

  constructor(
    private readonly topic: string,
    private readonly value: Buffer,
  ) {}

  /** A whole request frame carrying `records` records sent at `sentAtMs` (epoch milliseconds, fractional). */
  frame(records: number, sentAtMs: number): Buffer {
    const template = this.templateFor(records);
    const frame = Buffer.from(template.frame);
    frame.writeDoubleBE(sentAtMs, template.keyAt);
    setCreateTime(frame, BigInt(Math.floor(sentAtMs)), template.batchAt);
    return frame;
  }

  /** The size of the record batch in a request of `records` records. */
  batchBytes(records: number): number {
    const template = this.templateFor(records);
    return template.frame.length - template.batchAt;
  }

  private templateFor(records: number) {
    let template = this.templates.get(records);
    if (template === undefined) {
      const marker = randomBytes(8);
      const otherKey = Buffer.alloc(8);
      const batch = buildRecordBatch(Array.from({ length: records }, (_, i) => ({ key: i === 0 ? marker : otherKey, value: this.value })));
      const frame = produceFrame(this.topic, 0, batch);
      // The records are the request's last field.
      const batchAt = frame.length - batch.length;
      if (!frame.subarray(batchAt).equals(batch)) throw new Error('the produce request does not end with its batch');
      template = { frame, batchAt, keyAt: markerAt(frame, marker, "the first record's key", batchAt + BATCH_HEADER_BYTES) };
      this.templates.set(records, template);
    }
    return template;
  }
}

/** The consumer's long-polling fetch of partition 0, encoded once: each fetch is a copy with its offset written in. */
export function fetchRequests(topic: string): (fetchOffset: bigint) => Buffer {
  const marker = randomBytes(8);
  const template = BenchConnection.frame(FetchRequest, FETCH_VERSION, {
    replicaId: -1,
    maxWaitMs: 500,
    minBytes: 1,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset: marker.readBigInt64BE(0), partitionMaxBytes: 16 << 20 }] }],
  });
  const offsetAt = markerAt(template, marker, 'the fetch offset');
  return (fetchOffset) => {
    const frame = Buffer.from(template);
    frame.writeBigInt64BE(fetchOffset, offsetAt);
    return frame;
  };
}

/**
 * Where a field encoded with the random `marker` as its value lies in `request` (from `from`): 8
 * random bytes match nothing else in a request, so a template can be stamped there later.
 */
function markerAt(request: Buffer, marker: Buffer, field: string, from = 0): number {
  const at = request.indexOf(marker, from);
  if (at < 0) throw new Error(`cannot find ${field} in the encoded request`);
  return at;
}

async function checkedProduce(connection: BenchConnection, frame: Buffer): Promise<void> {
  const response = decodeMessage(ProduceResponse, PRODUCE_VERSION, await connection.sendFrame(frame));
  const code = response.responses[0]?.partitionResponses[0]?.errorCode;
  if (code !== 0) throw new Error(`produce failed with error code ${code}`);
}

export interface LatencyRunOptions extends FixedRateLoad {
  readonly topic: string;
  /** Whether a consumer long-polls the partition meanwhile, for end-to-end latency (default true). */
  readonly consume?: boolean;
  /** Called when the warm-up ends and measuring starts. */
  readonly onMeasuring?: () => void;
}

export interface LatencyRunResult {
  readonly produce: LatencySummary;
  readonly endToEnd: LatencySummary;
  /** Requests sent after the warm-up, their mean size and rate. */
  readonly requests: number;
  readonly meanRequestBytes: number;
  readonly achievedMiBps: number;
}

/**
 * Produces at a fixed rate (each request carries the records due since the last one, in one
 * batch) with acks=all, and (unless `consume` is false) consumes the partition with long polling
 * at the same time. The send time travels in the key of each batch's first record; end-to-end
 * latency is taken per batch at the consumer. Requests sent during the warm-up are not measured.
 */
export async function latencyRun(port: number, options: LatencyRunOptions): Promise<LatencyRunResult> {
  const producer = await BenchConnection.open(port);
  const consumer = options.consume === false ? undefined : await BenchConnection.open(port);
  const produceLatency = new Samples();
  const endToEnd = new Samples();
  const value = Buffer.alloc(options.recordBytes - 8 - 16, 0x61); // the key and record framing make up the rest
  const stamped = new StampedProduceRequests(options.topic, value);
  let sentRecords = 0;
  let requestBytes = 0;
  let requests = 0;
  const inFlight = new Set<Promise<void>>();
  // Epoch milliseconds, as the send times in the keys; nothing is measured before it is set.
  let measuredFromMs = Infinity;
  let measuredFrom = 0;
  let producing = true;

  const consumed = (async () => {
    if (!consumer) return;
    const fetchAt = fetchRequests(options.topic);
    let fetchOffset = 0n;
    while (producing || fetchOffset < BigInt(sentRecords)) {
      const reader = await consumer.sendFrame(fetchAt(fetchOffset));
      const received = nowMs();
      const response = decodeMessage(FetchResponse, FETCH_VERSION, reader);
      const partition = response.responses[0]?.partitions[0];
      if (partition === undefined || partition.errorCode !== 0) {
        throw new Error(`fetch at offset ${fetchOffset} failed with error code ${partition?.errorCode ?? 'none (no partition)'}`);
      }
      const records = partition.records;
      if (!records) continue;
      for (const { position, header } of batchesOf(records)) {
        // Only the first record: the measuring client should allocate (and collect) as little as it can.
        const [first] = readRecords(records, position, 1);
        if (first.offset >= fetchOffset && first.key) {
          const sentAt = first.key.readDoubleBE(0);
          if (sentAt >= measuredFromMs) endToEnd.add(received - sentAt);
        }
        fetchOffset = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
      }
    }
  })();

  await runAtFixedRate(
    options,
    (records, measured) => {
      const sentAt = nowMs();
      const frame = stamped.frame(records, sentAt);
      sentRecords += records;
      if (measured) {
        requestBytes += stamped.batchBytes(records);
        requests++;
      }
      const sending = checkedProduce(producer, frame).then(() => {
        if (measured) produceLatency.add(nowMs() - sentAt);
        inFlight.delete(sending);
      });
      inFlight.add(sending);
    },
    {
      // Batches well under the broker's message.max.bytes, however late a tick comes.
      maxRecordsPerRequest: Math.max(1, Math.floor((512 * 1024) / options.recordBytes)),
      onMeasuring: () => {
        measuredFromMs = nowMs();
        measuredFrom = performance.now();
        options.onMeasuring?.();
      },
    },
  );
  const measuredS = (performance.now() - measuredFrom) / 1000;
  await Promise.all(inFlight);
  producing = false;
  await consumed;
  producer.close();
  consumer?.close();
  return {
    produce: produceLatency.summary(),
    endToEnd: endToEnd.summary(),
    requests,
    meanRequestBytes: requests > 0 ? requestBytes / requests : 0,
    achievedMiBps: requestBytes / (1 << 20) / measuredS,
  };
}

export interface ThroughputRunOptions {
  readonly topic: string;
  readonly partitions: number;
  readonly batchBytes: number;
  readonly recordBytes: number;
  readonly inFlight: number;
  readonly connections: number;
  /** At full speed first, not measured (see fixed-rate.ts on warming up). */
  readonly warmUpMs: number;
  /** Measured, after the warm-up. */
  readonly durationMs: number;
  /** Called when the warm-up ends and measuring starts. */
  readonly onMeasuring?: () => void;
}

export interface ThroughputRunResult {
  readonly mibPerSecond: number;
  readonly produce: LatencySummary;
  /** Acknowledged after the warm-up. */
  readonly ingestedBytes: number;
}

/**
 * As fast as the broker acknowledges: requests of one large batch each (built once and sent
 * again and again: the broker assigns offsets by patching, so identical bytes are fine), spread
 * over the partitions, `inFlight` requests outstanding per connection. What is acknowledged during
 * the warm-up is not counted.
 */
export async function throughputRun(port: number, options: ThroughputRunOptions): Promise<ThroughputRunResult> {
  const value = Buffer.alloc(options.recordBytes - 16, 0x62);
  const batch = buildRecordBatch(
    Array.from({ length: Math.max(1, Math.floor(options.batchBytes / options.recordBytes)) }, () => ({ key: null, value })),
  );
  const connections = await Promise.all(Array.from({ length: options.connections }, () => BenchConnection.open(port)));
  const latency = new Samples();
  let bytes = 0;
  const end = performance.now() + options.warmUpMs + options.durationMs;
  let measuredFrom = Infinity;
  const startMeasuring = (): void => {
    measuredFrom = performance.now();
    options.onMeasuring?.();
  };
  const warmingUp = setTimeout(startMeasuring, options.warmUpMs);
  let slot = 0;
  await Promise.all(
    connections.flatMap((connection) =>
      Array.from({ length: options.inFlight }, async () => {
        // Each outstanding request has its own frame: a frame is rewritten (correlation id) when sent.
        const frame = produceFrame(options.topic, slot++ % options.partitions, batch);
        while (performance.now() < end) {
          const sentAt = performance.now();
          await checkedProduce(connection, frame);
          const answeredAt = performance.now();
          if (answeredAt < measuredFrom) continue;
          if (sentAt >= measuredFrom) latency.add(answeredAt - sentAt);
          bytes += batch.length;
        }
      }),
    ),
  );
  clearTimeout(warmingUp);
  const measuredS = (performance.now() - measuredFrom) / 1000;
  for (const connection of connections) connection.close();
  return { mibPerSecond: bytes / (1 << 20) / measuredS, produce: latency.summary(), ingestedBytes: bytes };
}
