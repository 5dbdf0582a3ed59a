/**
 * Idempotent producers on one partition: the checks Kafka's broker makes on a batch's producer id,
 * epoch and sequence, and the last five batches of each producer, so that a retried batch is
 * answered with its original offsets instead of being written twice.
 *
 * Rules (Kafka's ProducerStateManager): a lower epoch than the known one is fenced
 * (INVALID_PRODUCER_EPOCH); a new epoch must start at sequence 0; within an epoch the sequence
 * must follow the last one (wrapping after 2^31 - 1) or the batch must be one of the last five
 * (a duplicate); a producer the partition does not know (new, or expired) may start anywhere.
 */
import { ErrorCode, KafkaError } from '../../protocol/error-codes';
import type { RecordBatchHeader } from '../../protocol/record-batch';
import { MAX_PRODUCER_BATCHES, type ProducerBatch, type ProducerRecord } from '../../metadata';

const INT32_MAX = 2 ** 31 - 1;

/** A batch an idempotent producer wrote, as recorded in the WAL chunk that holds it. */
export interface ProducerBatchWrite extends ProducerBatch {
  readonly producerId: string;
  readonly producerEpoch: number;
}

interface ProducerEntry {
  producerEpoch: number;
  batches: ProducerBatch[];
}

export interface DuplicateBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
}

export function isIdempotent(header: RecordBatchHeader): boolean {
  return header.producerId >= 0n;
}

export class PartitionProducers {
  private readonly producers = new Map<string, ProducerEntry>();

  /** Starts from the committed producer records of the partition (metadata). */
  constructor(committed: Iterable<Omit<ProducerRecord, 'lastTimeMs'>> = []) {
    for (const record of committed) {
      this.producers.set(record.producerId, { producerEpoch: record.producerEpoch, batches: [...record.batches] });
    }
  }

  /**
   * Checks the batches of one append in order. Returns the original offsets when the first batch is
   * a duplicate; throws KafkaError when a batch is out of order or fenced; else undefined.
   */
  check(headers: readonly RecordBatchHeader[]): DuplicateBatch | undefined {
    // Batches of one append may continue each other's sequences: check against a running view.
    const lastSequence = new Map<string, { epoch: number; sequence: number }>();
    for (const [index, header] of headers.entries()) {
      if (!isIdempotent(header)) continue;
      const producerId = header.producerId.toString();
      const known = this.producers.get(producerId);
      const lastSequenceOfBatch = lastSequenceOf(header);
      if (known && header.producerEpoch < known.producerEpoch) {
        throw new KafkaError(
          ErrorCode.INVALID_PRODUCER_EPOCH,
          `producer ${producerId} epoch ${header.producerEpoch} is older than ${known.producerEpoch}`,
        );
      }
      if (index === 0 && known && header.producerEpoch === known.producerEpoch) {
        const duplicate = known.batches.find(
          (batch) => batch.firstSequence === header.baseSequence && batch.lastSequence === lastSequenceOfBatch,
        );
        if (duplicate) return { baseOffset: duplicate.baseOffset, lastOffset: duplicate.lastOffset };
      }
      const running = lastSequence.get(producerId);
      const previous =
        running ??
        (known === undefined
          ? undefined
          : { epoch: known.producerEpoch, sequence: known.batches[known.batches.length - 1]?.lastSequence ?? -1 });
      if (previous !== undefined) {
        if (header.producerEpoch !== previous.epoch) {
          if (header.baseSequence !== 0) {
            throw new KafkaError(
              ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
              `producer ${producerId} new epoch ${header.producerEpoch} must start at sequence 0, got ${header.baseSequence}`,
            );
          }
        } else if (header.baseSequence !== nextSequence(previous.sequence)) {
          throw new KafkaError(
            ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
            `producer ${producerId} sent sequence ${header.baseSequence}, expected ${nextSequence(previous.sequence)}`,
          );
        }
      }
      lastSequence.set(producerId, { epoch: header.producerEpoch, sequence: lastSequenceOfBatch });
    }
    return undefined;
  }

  /** Records written batches (after offsets are assigned). */
  record(writes: readonly ProducerBatchWrite[]): void {
    for (const write of writes) {
      let entry = this.producers.get(write.producerId);
      if (entry === undefined || entry.producerEpoch !== write.producerEpoch) {
        entry = { producerEpoch: write.producerEpoch, batches: [] };
        this.producers.set(write.producerId, entry);
      }
      rememberBatch(entry.batches, write);
    }
  }
}

/** The producers' state after `writes`, starting from `committed`: what an object commit records. */
export function producerRecordsAfter(
  committed: ReadonlyMap<string, ProducerRecord>,
  writes: readonly ProducerBatchWrite[],
): Omit<ProducerRecord, 'lastTimeMs'>[] {
  const touched = new Map<string, { producerEpoch: number; batches: ProducerBatch[] }>();
  for (const write of writes) {
    let entry = touched.get(write.producerId);
    if (entry === undefined) {
      const known = committed.get(write.producerId);
      entry = { producerEpoch: known?.producerEpoch ?? write.producerEpoch, batches: [...(known?.batches ?? [])] };
      touched.set(write.producerId, entry);
    }
    if (entry.producerEpoch !== write.producerEpoch) {
      entry.producerEpoch = write.producerEpoch;
      entry.batches = [];
    }
    rememberBatch(entry.batches, write);
  }
  return [...touched].map(([producerId, entry]) => ({ producerId, ...entry }));
}

/** The writes of idempotent batches in stored (offset-assigned) batches. */
export function producerWritesOf(headers: Iterable<RecordBatchHeader>): ProducerBatchWrite[] {
  const writes: ProducerBatchWrite[] = [];
  for (const header of headers) {
    if (!isIdempotent(header)) continue;
    writes.push({
      producerId: header.producerId.toString(),
      producerEpoch: header.producerEpoch,
      firstSequence: header.baseSequence,
      lastSequence: lastSequenceOf(header),
      baseOffset: Number(header.baseOffset),
      lastOffset: Number(header.baseOffset) + header.lastOffsetDelta,
    });
  }
  return writes;
}

/** Keeps the write among the producer's last MAX_PRODUCER_BATCHES batches. */
function rememberBatch(batches: ProducerBatch[], write: ProducerBatchWrite): void {
  const { firstSequence, lastSequence, baseOffset, lastOffset } = write;
  batches.push({ firstSequence, lastSequence, baseOffset, lastOffset });
  if (batches.length > MAX_PRODUCER_BATCHES) batches.shift();
}

function lastSequenceOf(header: RecordBatchHeader): number {
  const last = header.baseSequence + header.lastOffsetDelta;
  return last > INT32_MAX ? last - INT32_MAX - 1 : last;
}

function nextSequence(sequence: number): number {
  return sequence === INT32_MAX ? 0 : sequence + 1;
}
