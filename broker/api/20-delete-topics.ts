/**
 * DeleteTopics (key 20), versions 0-3. Deletion is durable when Storage.deleteTopic resolves.
 * Internal topics cannot be deleted (INVALID_REQUEST, logged with the reason); a name given twice
 * is INVALID_REQUEST, as in Kafka.
 */
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode, KafkaError } from '../protocol/error-codes';
import { DeleteTopicsRequest, DeleteTopicsResponse } from '../protocol/messages/delete-topics';
import { defineApi } from './api';
import { errorCodeOf } from './errors';

export const deleteTopicsApi = defineApi({
  key: ApiKey.DeleteTopics,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 3,
  request: DeleteTopicsRequest,
  response: DeleteTopicsResponse,
  async handle(request, context) {
    const { storage } = context.services;
    const responses = request.topicNames.map(async (name) => {
      try {
        if (request.topicNames.indexOf(name) !== request.topicNames.lastIndexOf(name)) {
          throw new KafkaError(ErrorCode.INVALID_REQUEST, `topic ${name} appears more than once in the request`);
        }
        if (storage.describeTopic(name)?.internal) {
          throw new KafkaError(ErrorCode.INVALID_REQUEST, `topic ${name} is internal and cannot be deleted`);
        }
        await storage.deleteTopic(name);
        context.log.info({ topic: name }, 'topic deleted');
        return { name, errorCode: ErrorCode.NONE };
      } catch (error) {
        if (error instanceof KafkaError) context.log.info({ topic: name, reason: error.message }, 'topic not deleted');
        return { name, errorCode: errorCodeOf(error, context.log, { topic: name }) };
      }
    });
    return { throttleTimeMs: 0, responses: await Promise.all(responses) };
  },
});
