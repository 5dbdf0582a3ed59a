/**
 * AlterConfigs (key 33), versions 0-1 (2+ are flexible).
 *
 * Topics: the given configs replace the topic's, as in Kafka's non-incremental AlterConfigs: a
 * config left out returns to its default, and so does one given with a null value. The change is a
 * metadata log entry, so every broker applies it (retention, message size). Each resource
 * succeeds or fails on its own (alter-topic-configs.ts); validateOnly checks without changing.
 */
import { ApiKey } from '../protocol/api-keys';
import { AlterConfigsRequest, AlterConfigsResponse } from '../protocol/messages/alter-configs';
import { alterEachResource } from './alter-topic-configs';
import { defineApi } from './api';

export const alterConfigsApi = defineApi({
  key: ApiKey.AlterConfigs,
  name: 'AlterConfigs',
  minVersion: 0,
  maxVersion: 1,
  request: AlterConfigsRequest,
  response: AlterConfigsResponse,
  async handle(request, context) {
    const responses = await alterEachResource(request.resources, request.validateOnly, context, ({ configs }) =>
      Object.fromEntries(configs.flatMap(({ name, value }) => (value === null ? [] : [[name, value]]))),
    );
    return { throttleTimeMs: 0, responses };
  },
});
