/**
 * From a frame to a handler call and from a handler's answer to response bytes: header parsing,
 * dispatch through the registry, and what happens to requests the broker does not serve.
 *
 * Unknown API keys and unsupported versions, as Kafka does:
 * - ApiVersions of a version outside 0-3: answered with a v0 body carrying UNSUPPORTED_VERSION and
 *   the supported ranges, so the client retries with a version both sides know (librdkafka and
 *   the Java client rely on this).
 * - Any other unknown key or unsupported version: Kafka fails to parse the request and closes the
 *   connection, and so does this broker (UnsupportedRequestError, logged with the key, version
 *   and client id). Clients only send versions from the ApiVersions ranges, so this happens only
 *   to clients that skip ApiVersions, and a closed connection is what they get from Kafka too.
 * - A request whose body does not decode, or leaves bytes unread, is malformed: the connection is
 *   closed (MalformedDataError).
 */
import type { ApiDefinition } from '../api/api';
import type { ApiRegistry } from '../api/registry';
import { unsupportedApiVersionsResponse } from '../api/18-api-versions';
import { ApiKey } from '../protocol/api-keys';
import { sizePrefix } from '../protocol/framing';
import { RequestHeader, ResponseHeader } from '../protocol/messages/header';
import { MalformedDataError, Reader, Writer } from '../protocol/primitives';
import { type DecodedStruct, encodeMessage, decodeMessage, type EncodableStruct, type Fields, isFlexible } from '../protocol/schema';

export class UnsupportedRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedRequestError';
  }
}

export interface RequestHeaderFields {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

export type ParsedRequest =
  | { readonly kind: 'call'; readonly api: ApiDefinition; readonly header: RequestHeaderFields; readonly body: DecodedStruct<Fields> }
  /** ApiVersions of a version we do not know: answer with the v0 error body. */
  | { readonly kind: 'unsupported-api-versions'; readonly api: ApiDefinition; readonly header: RequestHeaderFields };

/** apiKey int16 + apiVersion int16 + correlationId int32. */
const FIXED_HEADER_BYTES = 8;

export function parseRequest(frame: Buffer, registry: ApiRegistry): ParsedRequest {
  if (frame.length < FIXED_HEADER_BYTES) {
    throw new MalformedDataError(`request of ${frame.length} bytes is shorter than a request header`);
  }
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const api = registry.find(apiKey);
  if (!api) throw new UnsupportedRequestError(`unknown API key ${apiKey} (version ${apiVersion})`);
  if (apiVersion < api.minVersion || apiVersion > api.maxVersion) {
    if (apiKey === (ApiKey.ApiVersions as number)) {
      // The body of an unknown version cannot be parsed; the correlation id is all we need.
      const header = { apiKey, apiVersion, correlationId: frame.readInt32BE(4), clientId: null };
      return { kind: 'unsupported-api-versions', api, header };
    }
    throw new UnsupportedRequestError(
      `${api.name} version ${apiVersion} is not supported (versions ${api.minVersion}-${api.maxVersion})`,
    );
  }
  const reader = new Reader(frame);
  const headerVersion = isFlexible(api.request, apiVersion) ? 2 : 1;
  const { correlationId, clientId } = decodeMessage(RequestHeader, headerVersion, reader);
  const header = { apiKey, apiVersion, correlationId, clientId };
  let body: DecodedStruct<Fields>;
  try {
    body = decodeMessage(api.request, apiVersion, reader);
  } catch (error) {
    if (error instanceof MalformedDataError) {
      throw new MalformedDataError(`${api.name} v${apiVersion} request (correlation id ${correlationId}): ${error.message}`);
    }
    throw error;
  }
  if (reader.remaining > 0) {
    throw new MalformedDataError(`${api.name} v${apiVersion} request has ${reader.remaining} bytes after its body`);
  }
  return { kind: 'call', api, header, body };
}

/** A whole response frame (size prefix, header, body) as chunks to write in order. */
export function encodeResponse(
  api: ApiDefinition,
  apiVersion: number,
  correlationId: number,
  body: EncodableStruct<Fields>,
): Buffer[] {
  const writer = new Writer();
  // ApiVersions always answers with header v0: the client cannot know yet whether we are flexible.
  const flexibleHeader = api.key !== ApiKey.ApiVersions && isFlexible(api.response, apiVersion);
  encodeMessage(ResponseHeader, flexibleHeader ? 1 : 0, { correlationId }, writer);
  encodeMessage(api.response, apiVersion, body, writer);
  return [sizePrefix(writer.length), ...writer.toChunks()];
}

/** The answer to an ApiVersions request of an unsupported version (a v0 body with error 35). */
export function encodeUnsupportedApiVersions(api: ApiDefinition, correlationId: number, registry: ApiRegistry): Buffer[] {
  return encodeResponse(api, 0, correlationId, unsupportedApiVersionsResponse(registry));
}
