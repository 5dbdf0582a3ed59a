/**
 * ApiVersions (key 18), versions 0-3.
 *
 * Lists every API in the registry with its version range; nothing here is written by hand.
 * v3 (flexible, sent first by librdkafka) carries the client's software name and version, which
 * must match Kafka's pattern or the answer is INVALID_REQUEST, as in Kafka.
 *
 * A request of a version above 3 is answered by the connection, not by this handler: Kafka then
 * sends a v0 body with UNSUPPORTED_VERSION and its ranges, so the client can retry with a version
 * both sides know (see unsupportedApiVersionsResponse).
 */
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode } from '../protocol/error-codes';
import { ApiVersionsRequest, ApiVersionsResponse } from '../protocol/messages/api-versions';
import type { Encodable } from '../protocol/schema';
import { type ApiCatalog, defineApi } from './api';

/** Kafka's rule for client software names and versions (KIP-511). */
const SOFTWARE_NAME_OR_VERSION = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

type ApiVersionsBody = Encodable<typeof ApiVersionsResponse>;

function answer(apis: ApiCatalog, errorCode: ErrorCode): ApiVersionsBody {
  return { errorCode, apiKeys: apis.versionRanges().map((range) => ({ ...range })), throttleTimeMs: 0 };
}

/** The v0 body Kafka sends for an ApiVersions request of a version it does not support. */
export function unsupportedApiVersionsResponse(apis: ApiCatalog): ApiVersionsBody {
  return answer(apis, ErrorCode.UNSUPPORTED_VERSION);
}

export const apiVersionsApi = defineApi({
  key: ApiKey.ApiVersions,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: 3,
  request: ApiVersionsRequest,
  response: ApiVersionsResponse,
  handle(request, context) {
    if (context.apiVersion >= 3) {
      const { clientSoftwareName: name, clientSoftwareVersion: version } = request;
      if (!SOFTWARE_NAME_OR_VERSION.test(name) || !SOFTWARE_NAME_OR_VERSION.test(version)) {
        context.log.warn({ name, version }, 'ApiVersions: invalid client software name or version');
        return answer(context.services.apis, ErrorCode.INVALID_REQUEST);
      }
    }
    return answer(context.services.apis, ErrorCode.NONE);
  },
});
