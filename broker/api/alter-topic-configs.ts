/**
 * What AlterConfigs and IncrementalAlterConfigs share: each resource is altered on its own, with
 * its own error. Topics change through Storage.alterTopicConfigs; broker settings are flags, fixed
 * for the process (INVALID_CONFIG); other resource types are INVALID_REQUEST.
 */
import { ErrorCode, KafkaError } from '../protocol/error-codes';
import { ConfigResourceType } from '../protocol/messages/describe-configs';
import type { TopicConfigChange } from '../storage/storage';
import type { RequestContext } from './api';
import { errorCodeOf, errorMessageOf } from './errors';

export interface ConfigResource {
  readonly resourceType: number;
  readonly resourceName: string;
}

export interface AlterResult {
  readonly errorCode: ErrorCode;
  readonly errorMessage: string | null;
  readonly resourceType: number;
  readonly resourceName: string;
}

/** Alters each resource with the change `changeOf` makes for it; one result per resource, in order. */
export function alterEachResource<R extends ConfigResource>(
  resources: readonly R[],
  validateOnly: boolean,
  context: RequestContext,
  changeOf: (resource: R) => TopicConfigChange,
): Promise<AlterResult[]> {
  return Promise.all(
    resources.map(async (resource) => {
      const { resourceType, resourceName } = resource;
      try {
        if (resourceType === ConfigResourceType.Broker) {
          throw new KafkaError(ErrorCode.INVALID_CONFIG, 'broker settings are command-line flags (DK_* variables) and cannot be altered at run time');
        }
        if (resourceType !== ConfigResourceType.Topic) {
          throw new KafkaError(ErrorCode.INVALID_REQUEST, `resource type ${resourceType} is not supported (topics 2)`);
        }
        await context.services.storage.alterTopicConfigs(resourceName, changeOf(resource), { validateOnly });
        if (!validateOnly) context.log.info({ topic: resourceName, configs: context.services.storage.describeTopic(resourceName)?.configs }, 'topic configs altered');
        return { errorCode: ErrorCode.NONE, errorMessage: null, resourceType, resourceName };
      } catch (error) {
        const errorCode = errorCodeOf(error, context.log, { resourceType, resourceName });
        return { errorCode, errorMessage: errorMessageOf(error), resourceType, resourceName };
      }
    }),
  );
}
