/**
 * Produce (key 0), versions 0-8 (non-flexible), carrying record batch v2 only.
 *
 * Why 0-8 and not only 3-8 (the versions made for record batch v2): librdkafka 2.0.2 (kcat,
 * confluent-kafka) compresses with gzip, snappy or lz4 only if the broker's Produce range includes
 * version 0 (it checks the range [0, 0] for these codecs; later librdkafka releases fixed this).
 * Kafka 3.x advertises 0-9, so clients expect it. Like Kafka, the request version does not decide
 * the batch format; any version may carry magic 2 batches, and older formats (magic 0 and 1) are
 * refused with UNSUPPORTED_FOR_MESSAGE_FORMAT instead of being converted.
 *
 * Each partition's record set is validated as Kafka's broker does (validateProducedRecords: magic
 * 2, CRC-32C, record count, size limit, no control batches, base offset 0) and handed to
 * Storage.append, which resolves once the batches are durable in the WAL (acks=1 and acks=-1
 * alike: there are no followers to wait for). The batches are stored opaque: never decompressed,
 * never recompressed; storage assigns offsets by patching the base offset.
 *
 * - acks must be -1, 0 or 1, else INVALID_REQUIRED_ACKS for every partition.
 * - acks=0 gets no response. If a partition fails, the connection is closed instead, as Kafka
 *   does, so that the client notices (it refreshes metadata and reconnects).
 * - The size limit is the topic's max.message.bytes when set, else --message-max-bytes.
 * - Internal topics (__consumer_offsets) are written only by the broker itself: clients get
 *   INVALID_TOPIC_EXCEPTION, as from Kafka, so a stray record cannot corrupt group state.
 * - Idempotence checks (sequence numbers, duplicates answered with their original offsets) are
 *   done by Storage.append; their errors come back as KafkaError codes.
 * - Appends are issued before the first await, in request order (see api.ts), so pipelined
 *   produces to one partition are appended in the order the client sent them.
 */
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode, KafkaError } from '../protocol/error-codes';
import { ProduceRequest, ProduceResponse } from '../protocol/messages/produce';
import type { Encodable } from '../protocol/schema';
import { validateProducedRecords } from '../protocol/record-batch';
import type { TopicDescription } from '../storage/storage';
import { CloseConnectionError, defineApi, NO_RESPONSE, type RequestContext } from './api';
import { errorCodeOf, errorMessageOf, partitionAccessError } from './errors';

type PartitionResponse = Encodable<typeof ProduceResponse>['responses'][number]['partitionResponses'][number];

const VALID_ACKS = new Set([-1, 0, 1]);

function failed(index: number, errorCode: ErrorCode, errorMessage: string | null = null): PartitionResponse {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, errorMessage };
}

function maxBatchBytes(topic: TopicDescription, context: RequestContext): number {
  const topicLimit = Number(topic.configs['max.message.bytes']);
  return Number.isInteger(topicLimit) && topicLimit > 0 ? topicLimit : context.services.settings.messageMaxBytes;
}

/** Validates and appends one partition's records; starts the append synchronously. */
function producePartition(
  topic: TopicDescription | undefined,
  topicName: string,
  index: number,
  records: Buffer | null,
  timeoutMs: number,
  context: RequestContext,
): Promise<PartitionResponse> {
  const { storage } = context.services;
  const accessError = partitionAccessError(context.services, topic, index);
  if (accessError !== ErrorCode.NONE || !topic) return Promise.resolve(failed(index, accessError));
  if (topic.internal) {
    return Promise.resolve(failed(index, ErrorCode.INVALID_TOPIC_EXCEPTION, `${topicName} is an internal topic`));
  }
  let headers;
  try {
    headers = validateProducedRecords(records ?? Buffer.alloc(0), maxBatchBytes(topic, context));
  } catch (error) {
    if (!(error instanceof KafkaError)) throw error;
    context.log.debug({ topic: topicName, partition: index, reason: error.message }, 'produce: invalid record set');
    return Promise.resolve(failed(index, error.code, error.message));
  }
  return storage.append({ topic: topicName, partition: index }, records!, headers, { timeoutMs }).then(
    (result): PartitionResponse => ({
      index,
      errorCode: ErrorCode.NONE,
      baseOffset: result.baseOffset,
      logAppendTimeMs: result.logAppendTimeMs,
      logStartOffset: result.logStartOffset,
    }),
    (error: unknown) =>
      failed(index, errorCodeOf(error, context.log, { topic: topicName, partition: index }), errorMessageOf(error)),
  );
}

export const produceApi = defineApi({
  key: ApiKey.Produce,
  name: 'Produce',
  minVersion: 0,
  maxVersion: 8,
  request: ProduceRequest,
  response: ProduceResponse,
  async handle(request, context) {
    const { storage } = context.services;
    const validAcks = VALID_ACKS.has(request.acks);
    const timeoutMs = Math.max(0, request.timeoutMs);
    const pending = request.topicData.map((topicData) => {
      const topic = storage.describeTopic(topicData.name);
      const partitions = topicData.partitionData.map((partitionData) =>
        validAcks
          ? producePartition(topic, topicData.name, partitionData.index, partitionData.records, timeoutMs, context)
          : Promise.resolve(failed(partitionData.index, ErrorCode.INVALID_REQUIRED_ACKS)),
      );
      return { name: topicData.name, partitions };
    });
    const responses = await Promise.all(
      pending.map(async ({ name, partitions }) => ({ name, partitionResponses: await Promise.all(partitions) })),
    );
    if (request.acks === 0) {
      const failure = responses.flatMap((r) => r.partitionResponses).find((p) => p.errorCode !== (ErrorCode.NONE as number));
      if (failure) throw new CloseConnectionError(`acks=0 produce failed with error ${ErrorCode[failure.errorCode]}`);
      return NO_RESPONSE;
    }
    return { responses, throttleTimeMs: 0 };
  },
});
