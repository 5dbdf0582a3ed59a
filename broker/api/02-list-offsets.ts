/**
 * ListOffsets (key 2), versions 0-5: the earliest offset (timestamp -2), the latest (-1, the high
 * watermark) or the first offset whose timestamp is at least the one given, from
 * Storage.offsetForTimestamp. v0 answers with a list of offsets; Kafka's v0 could list several
 * segment boundaries, here the list holds the one offset found (or nothing when none matches).
 * Without transactions, read_committed and read_uncommitted see the same latest offset.
 */
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode } from '../protocol/error-codes';
import { ListOffsetsRequest, ListOffsetsResponse } from '../protocol/messages/list-offsets';
import type { Encodable } from '../protocol/schema';
import { defineApi } from './api';
import { errorCodeOf, partitionAccessError } from './errors';

type PartitionResponse = Encodable<typeof ListOffsetsResponse>['topics'][number]['partitions'][number];

function failed(partitionIndex: number, errorCode: ErrorCode): PartitionResponse {
  return { partitionIndex, errorCode, oldStyleOffsets: [], timestamp: -1n, offset: -1n };
}

export const listOffsetsApi = defineApi({
  key: ApiKey.ListOffsets,
  name: 'ListOffsets',
  minVersion: 0,
  maxVersion: 5,
  request: ListOffsetsRequest,
  response: ListOffsetsResponse,
  async handle(request, context) {
    const { storage } = context.services;
    const topics = request.topics.map(async ({ name, partitions }) => {
      const topic = storage.describeTopic(name);
      const answers = partitions.map(async ({ partitionIndex, timestamp, maxNumOffsets }): Promise<PartitionResponse> => {
        const accessError = partitionAccessError(context.services, topic, partitionIndex);
        if (accessError !== ErrorCode.NONE) return failed(partitionIndex, accessError);
        try {
          const found = await storage.offsetForTimestamp({ topic: name, partition: partitionIndex }, timestamp);
          return {
            partitionIndex,
            errorCode: ErrorCode.NONE,
            oldStyleOffsets: found.offset >= 0n && maxNumOffsets > 0 ? [found.offset] : [],
            timestamp: found.timestamp,
            offset: found.offset,
          };
        } catch (error) {
          return failed(partitionIndex, errorCodeOf(error, context.log, { topic: name, partition: partitionIndex }));
        }
      });
      return { name, partitions: await Promise.all(answers) };
    });
    return { throttleTimeMs: 0, topics: await Promise.all(topics) };
  },
});
