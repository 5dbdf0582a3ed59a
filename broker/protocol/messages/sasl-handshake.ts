/** SaslHandshake (key 17), versions 0-1 (never flexible). */
import { array, int16, message, string, types } from '../schema';

export const SaslHandshakeRequest = message({
  name: 'SaslHandshakeRequest',
  apiKey: 17,
  validVersions: '0-1',
  flexibleVersions: 'none',
  fields: {
    mechanism: string('0+'),
  },
});

export const SaslHandshakeResponse = message({
  name: 'SaslHandshakeResponse',
  apiKey: 17,
  validVersions: '0-1',
  flexibleVersions: 'none',
  fields: {
    errorCode: int16('0+'),
    mechanisms: array('0+', types.string),
  },
});
