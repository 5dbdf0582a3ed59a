/**
 * IncrementalAlterConfigs (key 44), version 0 (1+ are flexible): what kafka-configs.sh and the
 * Java admin client's incrementalAlterConfigs send.
 *
 * Topics: each operation applies to the topic's configs as they are when the change is made
 * durable, so concurrent changes compose: SET sets a value, DELETE returns a config to its
 * default. APPEND and SUBTRACT are for list configs, which no topic config here is: INVALID_CONFIG.
 * Brokers and other resources as in AlterConfigs (alter-topic-configs.ts).
 */
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode, KafkaError } from '../protocol/error-codes';
import {
  ConfigOperation,
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse,
} from '../protocol/messages/incremental-alter-configs';
import { alterEachResource } from './alter-topic-configs';
import { defineApi } from './api';

interface Operation {
  readonly name: string;
  readonly configOperation: number;
  readonly value: string | null;
}

/** The topic's configs after `operations`, in order. */
function applyOperations(current: Readonly<Record<string, string>>, operations: readonly Operation[]): Record<string, string> {
  const next: Record<string, string> = { ...current };
  for (const { name, configOperation, value } of operations) {
    if (configOperation === ConfigOperation.Set) {
      if (value === null) throw new KafkaError(ErrorCode.INVALID_REQUEST, `SET ${name} needs a value`);
      next[name] = value;
    } else if (configOperation === ConfigOperation.Delete) {
      delete next[name];
    } else if (configOperation === ConfigOperation.Append || configOperation === ConfigOperation.Subtract) {
      throw new KafkaError(ErrorCode.INVALID_CONFIG, `${name} is not a list config: APPEND and SUBTRACT do not apply`);
    } else {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `unknown config operation ${configOperation} for ${name}`);
    }
  }
  return next;
}

export const incrementalAlterConfigsApi = defineApi({
  key: ApiKey.IncrementalAlterConfigs,
  name: 'IncrementalAlterConfigs',
  minVersion: 0,
  maxVersion: 0,
  request: IncrementalAlterConfigsRequest,
  response: IncrementalAlterConfigsResponse,
  async handle(request, context) {
    const responses = await alterEachResource(request.resources, request.validateOnly, context, ({ configs }) => (current) => applyOperations(current, configs));
    return { throttleTimeMs: 0, responses };
  },
});
