/**
 * InitProducerId (key 22), versions 0-1: hands an idempotent producer a new producer id (epoch 0)
 * from Storage.allocateProducerId, which makes it durable first, so ids are never reused even
 * across restarts. Any broker may answer (kafkajs asks the controller, librdkafka any broker).
 *
 * Transactions are not supported: a request with a transactional id gets INVALID_REQUEST, which
 * clients report as a non-retriable error instead of retrying forever.
 */
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode } from '../protocol/error-codes';
import { InitProducerIdRequest, InitProducerIdResponse } from '../protocol/messages/init-producer-id';
import { defineApi } from './api';
import { errorCodeOf } from './errors';

export const initProducerIdApi = defineApi({
  key: ApiKey.InitProducerId,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 1,
  request: InitProducerIdRequest,
  response: InitProducerIdResponse,
  async handle(request, context) {
    if (request.transactionalId !== null) {
      context.log.warn({ transactionalId: request.transactionalId }, 'InitProducerId: transactions are not supported');
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST };
    }
    try {
      const { producerId, producerEpoch } = await context.services.storage.allocateProducerId();
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch };
    } catch (error) {
      return { throttleTimeMs: 0, errorCode: errorCodeOf(error, context.log, { api: 'InitProducerId' }) };
    }
  },
});
