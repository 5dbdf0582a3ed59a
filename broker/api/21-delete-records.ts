/**
 * DeleteRecords (key 21), versions 0-1 (2+ are flexible and not advertised, like every API but
 * ApiVersions here). Moves each partition's log start forward (Storage.advanceLogStart), so that
 * consumers starting from the beginning start there and ListOffsets earliest returns it.
 *
 * As in Kafka, per partition: offset -1 means the high watermark; an offset above the high
 * watermark (or another negative one) is OFFSET_OUT_OF_RANGE; an offset at or below the log start
 * changes nothing; lowWatermark is the log start after the call (-1 with an error). The usual
 * ownership checks come first (UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER,
 * LEADER_NOT_AVAILABLE).
 *
 * Deviation: Kafka accepts any offset up to the high watermark, but storage can only cut what is
 * committed (uploaded to the object store); records acknowledged from the WAL but not uploaded yet
 * are refused with OFFSET_OUT_OF_RANGE. The uploader commits them within about --upload-age-ms, so
 * the handler retries until they are committed or timeoutMs (Kafka's "wait for the deletion")
 * runs out, and then answers REQUEST_TIMED_OUT, which clients retry. The Storage interface has no
 * flush to hurry the upload along, and forcing one here would upload small objects for every
 * partition of the WAL; polling costs one synchronous check per attempt.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode, KafkaError } from '../protocol/error-codes';
import { DeleteRecordsRequest, DeleteRecordsResponse } from '../protocol/messages/delete-records';
import type { Encodable } from '../protocol/schema';
import { LATEST_TIMESTAMP, type Storage, type TopicPartition } from '../storage/storage';
import { defineApi } from './api';
import { errorCodeOf, partitionAccessError } from './errors';

type PartitionResponse = Encodable<typeof DeleteRecordsResponse>['topics'][number]['partitions'][number];

/** How often a request waiting for an upload tries again. */
const RETRY_INTERVAL_MS = 50;

/**
 * Advances the log start to `offset` (at most the high watermark), waiting for the upload of
 * records not committed yet until `deadline`. Resolves with the new log start.
 */
async function advanceWhenCommitted(storage: Storage, partition: TopicPartition, offset: bigint, deadline: number, signal: AbortSignal): Promise<bigint> {
  for (;;) {
    try {
      return await storage.advanceLogStart(partition, offset);
    } catch (error) {
      // OFFSET_OUT_OF_RANGE here means "beyond the committed end": the offset was checked against
      // the high watermark, which never goes back, so it becomes possible once the upload is done.
      if (!(error instanceof KafkaError && error.code === ErrorCode.OFFSET_OUT_OF_RANGE)) throw error;
      const left = deadline - Date.now();
      if (left <= 0 || signal.aborted) {
        throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `offset ${offset} was not uploaded yet when the request timed out`);
      }
      await sleep(Math.min(RETRY_INTERVAL_MS, left), undefined, { signal }).catch(() => undefined);
    }
  }
}

export const deleteRecordsApi = defineApi({
  key: ApiKey.DeleteRecords,
  name: 'DeleteRecords',
  minVersion: 0,
  maxVersion: 1,
  request: DeleteRecordsRequest,
  response: DeleteRecordsResponse,
  async handle(request, context) {
    const { storage } = context.services;
    const deadline = Date.now() + Math.max(0, request.timeoutMs);
    const topics = request.topics.map(async ({ name, partitions }) => {
      const topic = storage.describeTopic(name);
      const answers = partitions.map(async ({ partitionIndex, offset }): Promise<PartitionResponse> => {
        const where = { topic: name, partition: partitionIndex };
        const accessError = partitionAccessError(context.services, topic, partitionIndex);
        if (accessError !== ErrorCode.NONE) return { partitionIndex, lowWatermark: -1n, errorCode: accessError };
        try {
          const highWatermark = (await storage.offsetForTimestamp(where, LATEST_TIMESTAMP)).offset;
          const target = offset === -1n ? highWatermark : offset;
          if (target < 0n || target > highWatermark) {
            throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${offset} is outside [0, high watermark ${highWatermark}]`);
          }
          const lowWatermark = await advanceWhenCommitted(storage, where, target, deadline, context.signal);
          context.log.info({ ...where, offset: target, lowWatermark }, 'records deleted');
          return { partitionIndex, lowWatermark, errorCode: ErrorCode.NONE };
        } catch (error) {
          if (error instanceof KafkaError) context.log.info({ ...where, offset, reason: error.message }, 'records not deleted');
          return { partitionIndex, lowWatermark: -1n, errorCode: errorCodeOf(error, context.log, where) };
        }
      });
      return { name, partitions: await Promise.all(answers) };
    });
    return { throttleTimeMs: 0, topics: await Promise.all(topics) };
  },
});
