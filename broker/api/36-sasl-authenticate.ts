/**
 * SaslAuthenticate (key 36), versions 0-1 (2+ are flexible).
 *
 * Carries one message of the exchange that SaslHandshake v1 started, and the broker's reply. On
 * success the connection's session holds the user; sessions do not expire (session lifetime 0, no
 * re-authentication). A failed authentication is answered with SASL_AUTHENTICATION_FAILED and the
 * reason the client shows its user, then the connection closes, as in Kafka.
 */
import { SaslAuthenticationError } from '../auth/sasl';
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode } from '../protocol/error-codes';
import { SaslAuthenticateRequest, SaslAuthenticateResponse } from '../protocol/messages/sasl-authenticate';
import { defineApi } from './api';

const NO_BYTES = Buffer.alloc(0);

export const saslAuthenticateApi = defineApi({
  key: ApiKey.SaslAuthenticate,
  name: 'SaslAuthenticate',
  minVersion: 0,
  maxVersion: 1,
  request: SaslAuthenticateRequest,
  response: SaslAuthenticateResponse,
  async handle({ authBytes }, context) {
    const { session } = context;
    const exchange = session.saslExchange;
    if (exchange === undefined || session.rawSaslTokens) {
      const errorMessage = 'SaslAuthenticate without a SaslHandshake (v1) before it';
      context.closeAfterResponse(errorMessage);
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage, authBytes: NO_BYTES };
    }
    try {
      const { reply, user } = await exchange.step(authBytes);
      if (user !== undefined) session.authenticated(user);
      return { errorCode: ErrorCode.NONE, authBytes: reply };
    } catch (error) {
      if (!(error instanceof SaslAuthenticationError)) throw error;
      session.saslExchange = undefined;
      context.closeAfterResponse(`SASL authentication failed (${exchange.mechanism}): ${error.message}`);
      return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: error.message, authBytes: NO_BYTES };
    }
  },
});
