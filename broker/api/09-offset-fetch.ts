/**
 * OffsetFetch (key 9), versions 1-5 (v0 read ZooKeeper in Kafka). A partition without a committed
 * offset answers -1. From v2 a null topic list asks for every committed offset of the group, and
 * a group-level error (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, ...) is the top-level error
 * code; v1 has none, so the error is given for every partition asked for, as Kafka does.
 */
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode } from '../protocol/error-codes';
import { OffsetFetchRequest, OffsetFetchResponse } from '../protocol/messages/offset-fetch';
import type { FetchedOffset, OffsetFetchResult } from '../coordinator/operations';
import { NO_LEADER_EPOCH, NO_OFFSET } from '../coordinator/operations';
import { defineApi } from './api';
import { byTopic, coordinatorOf } from './groups';

const TOP_LEVEL_ERROR_VERSION = 2;

export const offsetFetchApi = defineApi({
  key: ApiKey.OffsetFetch,
  name: 'OffsetFetch',
  minVersion: 1,
  maxVersion: 5,
  request: OffsetFetchRequest,
  response: OffsetFetchResponse,
  handle(request, context) {
    const requested =
      request.topics?.flatMap((topic) => topic.partitionIndexes.map((partition) => ({ topic: topic.name, partition }))) ?? null;
    const coordinator = coordinatorOf(context);
    const result: OffsetFetchResult = coordinator
      ? coordinator.fetchOffsets(request.groupId, requested)
      : { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, offsets: [] };
    context.log.debug({ groupId: request.groupId, errorCode: result.errorCode, partitions: result.offsets.length }, 'offsets fetched');
    let offsets: readonly FetchedOffset[] = result.offsets;
    if (result.errorCode !== ErrorCode.NONE) {
      if (context.apiVersion >= TOP_LEVEL_ERROR_VERSION) return { errorCode: result.errorCode, topics: [] };
      offsets = (requested ?? []).map(({ topic, partition }) => ({
        topic,
        partition,
        offset: NO_OFFSET,
        leaderEpoch: NO_LEADER_EPOCH,
        metadata: '',
        errorCode: result.errorCode,
      }));
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: byTopic(offsets, (fetched) => ({
        partitionIndex: fetched.partition,
        committedOffset: fetched.offset,
        committedLeaderEpoch: fetched.leaderEpoch,
        metadata: fetched.metadata,
        errorCode: fetched.errorCode,
      })),
    };
  },
});
