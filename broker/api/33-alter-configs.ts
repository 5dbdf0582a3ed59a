/**
 * AlterConfigs (key 33), versions 0-1 (2+ are flexible).
 *
 * Topics: the given configs replace the topic's (Storage.alterTopicConfigs), as in Kafka's
 * non-incremental AlterConfigs: a config left out returns to its default, and so does one given
 * with a null value. The change is a metadata log entry, so every broker applies it (retention,
 * message size). Each resource succeeds or fails on its own; validateOnly checks without changing.
 * Brokers: their settings are flags, fixed for the process: INVALID_CONFIG. Other resource types
 * are INVALID_REQUEST.
 */
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode, KafkaError } from '../protocol/error-codes';
import { AlterConfigsRequest, AlterConfigsResponse } from '../protocol/messages/alter-configs';
import { ConfigResourceType } from '../protocol/messages/describe-configs';
import { defineApi } from './api';
import { errorCodeOf, errorMessageOf } from './errors';

export const alterConfigsApi = defineApi({
  key: ApiKey.AlterConfigs,
  name: 'AlterConfigs',
  minVersion: 0,
  maxVersion: 1,
  request: AlterConfigsRequest,
  response: AlterConfigsResponse,
  async handle(request, context) {
    const responses = await Promise.all(
      request.resources.map(async ({ resourceType, resourceName, configs }) => {
        try {
          if (resourceType === ConfigResourceType.Broker) {
            throw new KafkaError(ErrorCode.INVALID_CONFIG, 'broker settings are command-line flags (DK_* variables) and cannot be altered at run time');
          }
          if (resourceType !== ConfigResourceType.Topic) {
            throw new KafkaError(ErrorCode.INVALID_REQUEST, `resource type ${resourceType} is not supported (topics 2)`);
          }
          const values = Object.fromEntries(configs.flatMap(({ name, value }) => (value === null ? [] : [[name, value]])));
          await context.services.storage.alterTopicConfigs(resourceName, values, { validateOnly: request.validateOnly });
          if (!request.validateOnly) context.log.info({ topic: resourceName, configs: values }, 'topic configs altered');
          return { errorCode: ErrorCode.NONE, errorMessage: null, resourceType, resourceName };
        } catch (error) {
          const errorCode = errorCodeOf(error, context.log, { resourceType, resourceName });
          return { errorCode, errorMessage: errorMessageOf(error), resourceType, resourceName };
        }
      }),
    );
    return { throttleTimeMs: 0, responses };
  },
});
