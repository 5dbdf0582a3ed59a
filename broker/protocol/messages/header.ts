/**
 * Request and response headers (Kafka's RequestHeader.json and ResponseHeader.json).
 *
 * Request header v1 is used by every non-flexible request version, v2 by flexible ones (it adds
 * a tagged-field section, but the client id keeps its classic int16 length). Response header v0
 * goes with non-flexible responses, v1 (tagged fields) with flexible ones, except ApiVersions,
 * whose response header is always v0 so that a client can read it before it knows the versions.
 */
import { sizePrefix } from '../framing';
import { Writer } from '../primitives';
import { encodeMessage, int16, int32, isFlexible, message, string, type Encodable, type MessageSchema } from '../schema';

export const RequestHeader = message({
  name: 'RequestHeader',
  apiKey: -1,
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: {
    requestApiKey: int16('0+'),
    requestApiVersion: int16('0+'),
    correlationId: int32('0+'),
    clientId: string('1+', { nullableVersions: '1+', flexibleVersions: 'none', default: null }),
  },
});

export const ResponseHeader = message({
  name: 'ResponseHeader',
  apiKey: -1,
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: {
    correlationId: int32('0+'),
  },
});

/** Where an encoded request frame holds its correlation id: size (4) + api key (2) + api version (2), in every header version. */
export const REQUEST_FRAME_CORRELATION_ID_OFFSET = 8;

/**
 * A whole request frame as a client sends it, in one buffer of its own: the size prefix, the
 * request header (v1, or v2 for a flexible version) and the body. The client's side of the
 * broker's parseRequest (broker/server/requests.ts).
 */
export function encodeRequest<M extends MessageSchema>(
  schema: M,
  version: number,
  correlationId: number,
  clientId: string | null,
  body: Encodable<M>,
): Buffer {
  const writer = new Writer();
  const header = { requestApiKey: schema.apiKey, requestApiVersion: version, correlationId, clientId };
  encodeMessage(RequestHeader, isFlexible(schema, version) ? 2 : 1, header, writer);
  encodeMessage(schema, version, body as never, writer);
  const prefix = sizePrefix(writer.length);
  return Buffer.concat([prefix, ...writer.toChunks()], prefix.length + writer.length);
}
