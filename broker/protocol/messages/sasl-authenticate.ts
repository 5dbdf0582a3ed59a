/** SaslAuthenticate (key 36), versions 0-1 (2+ are flexible). */
import { bytes, int16, int64, message, string } from '../schema';

export const SaslAuthenticateRequest = message({
  name: 'SaslAuthenticateRequest',
  apiKey: 36,
  validVersions: '0-1',
  flexibleVersions: '2+',
  fields: {
    authBytes: bytes('0+'),
  },
});

export const SaslAuthenticateResponse = message({
  name: 'SaslAuthenticateResponse',
  apiKey: 36,
  validVersions: '0-1',
  flexibleVersions: '2+',
  fields: {
    errorCode: int16('0+'),
    errorMessage: string('0+', { nullableVersions: '0+', default: null }),
    authBytes: bytes('0+'),
    /** How long the session may last before the client must authenticate again; 0: for ever. */
    sessionLifetimeMs: int64('1+', { default: 0n }),
  },
});
