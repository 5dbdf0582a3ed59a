/**
 * Fetch (key 1), versions 4-11 (record batch v2, non-flexible).
 *
 * Long polling is Storage.fetch's job: it holds the request until `minBytes` are available or
 * `maxWaitMs` has passed. This handler checks each partition first (unknown, not owned here,
 * moving) and, as Kafka does, answers at once instead of waiting when any partition has an error.
 * Returned batches are whole batches with valid CRCs; the first one may start before the fetch
 * offset (clients skip the earlier records).
 *
 * Deviations from Kafka:
 * - Fetch sessions (KIP-227, v7+) are never created: the answer's session id is 0, which tells the
 *   client to keep sending full fetch requests. An incremental fetch (epoch > 0) therefore refers
 *   to a session we do not have: FETCH_SESSION_ID_NOT_FOUND, after which clients start over.
 * - Follower fetches (replica id >= 0) are served like consumer fetches: there are no followers.
 * - There are no transactions, so the last stable offset is the high watermark and aborted
 *   transactions are null; the preferred read replica is always -1.
 */
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode } from '../protocol/error-codes';
import { FetchRequest, FetchResponse } from '../protocol/messages/fetch';
import type { Decoded, Encodable } from '../protocol/schema';
import type { FetchedPartition, FetchPartition } from '../storage/storage';
import { defineApi, type RequestContext } from './api';
import { errorCodeOf, partitionAccessError } from './errors';

type Request = Decoded<typeof FetchRequest>;
type PartitionResponse = Encodable<typeof FetchResponse>['responses'][number]['partitions'][number];

const key = (topic: string, partition: number): string => `${partition}:${topic}`;

function failed(partitionIndex: number, errorCode: ErrorCode): PartitionResponse {
  // Empty, not null, as Kafka sends: librdkafka 2.0.2 reports a null record set (size -1) as a
  // protocol error ("invalid MessageSetSize -1"), e.g. for every NOT_LEADER answer during a failover.
  return { partitionIndex, errorCode, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: Buffer.alloc(0) };
}

function answered(fetched: FetchedPartition): PartitionResponse {
  return {
    partitionIndex: fetched.partition,
    errorCode: fetched.errorCode,
    highWatermark: fetched.highWatermark,
    lastStableOffset: fetched.lastStableOffset,
    logStartOffset: fetched.logStartOffset,
    abortedTransactions: null,
    records: fetched.records,
  };
}

/** Reads the partitions, waiting as asked unless `answerNow`; an abort ends the wait early. */
async function read(
  partitions: FetchPartition[],
  request: Request,
  answerNow: boolean,
  context: RequestContext,
): Promise<Map<string, PartitionResponse>> {
  const results = new Map<string, PartitionResponse>();
  if (partitions.length === 0) return results;
  const { storage } = context.services;
  const options = { maxWaitMs: answerNow ? 0 : Math.max(0, request.maxWaitMs), minBytes: request.minBytes, maxBytes: request.maxBytes };
  let fetched: FetchedPartition[];
  try {
    fetched = await storage.fetch(partitions, { ...options, signal: context.signal });
  } catch (error) {
    if (!context.signal.aborted) {
      const errorCode = errorCodeOf(error, context.log, { partitions: partitions.length });
      for (const p of partitions) results.set(key(p.topic, p.partition), failed(p.partition, errorCode));
      return results;
    }
    // The wait was cut short (the broker is stopping): answer with what is there now.
    fetched = await storage.fetch(partitions, { ...options, maxWaitMs: 0 });
  }
  for (const f of fetched) results.set(key(f.topic, f.partition), answered(f));
  return results;
}

export const fetchApi = defineApi({
  key: ApiKey.Fetch,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 11,
  request: FetchRequest,
  response: FetchResponse,
  async handle(request, context) {
    if (request.sessionEpoch > 0) {
      return { errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
    }
    const { storage } = context.services;
    const readable: FetchPartition[] = [];
    const refused = new Map<string, PartitionResponse>();
    for (const { topic: name, partitions } of request.topics) {
      const topic = storage.describeTopic(name);
      for (const p of partitions) {
        const accessError = partitionAccessError(context.services, topic, p.partition);
        if (accessError === ErrorCode.NONE) {
          readable.push({ topic: name, partition: p.partition, fetchOffset: p.fetchOffset, maxBytes: p.partitionMaxBytes });
        } else {
          refused.set(key(name, p.partition), failed(p.partition, accessError));
        }
      }
    }
    const results = await read(readable, request, refused.size > 0, context);
    return {
      errorCode: ErrorCode.NONE,
      sessionId: 0,
      responses: request.topics.map(({ topic, partitions }) => ({
        topic,
        partitions: partitions.map(
          (p) =>
            refused.get(key(topic, p.partition)) ??
            results.get(key(topic, p.partition)) ??
            failed(p.partition, ErrorCode.UNKNOWN_SERVER_ERROR),
        ),
      })),
    };
  },
});
