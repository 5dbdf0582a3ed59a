/**
 * Request and response headers (Kafka's RequestHeader.json and ResponseHeader.json).
 *
 * Request header v1 is used by every non-flexible request version, v2 by flexible ones (it adds
 * a tagged-field section, but the client id keeps its classic int16 length). Response header v0
 * goes with non-flexible responses, v1 (tagged fields) with flexible ones, except ApiVersions,
 * whose response header is always v0 so that a client can read it before it knows the versions.
 */
import { int16, int32, message, string } from '../schema';

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
