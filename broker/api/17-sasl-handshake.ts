/**
 * SaslHandshake (key 17), versions 0-1.
 *
 * The client names a mechanism; the broker answers with the mechanisms it enables and starts the
 * exchange (broker/auth/sasl.ts). After v1 the exchange's messages come in SaslAuthenticate
 * requests; after v0 (kafka-python 2.0) they come as bare size-prefixed tokens, which the
 * connection reads as such (ClientSession.rawSaslTokens).
 *
 * As in Kafka: an unknown mechanism gets UNSUPPORTED_SASL_MECHANISM and the list; a handshake on
 * a listener without SASL, during an exchange or after authentication gets ILLEGAL_SASL_STATE.
 */
import { isSaslMechanism, SASL_MECHANISMS, startSaslExchange } from '../auth/sasl';
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode } from '../protocol/error-codes';
import { SaslHandshakeRequest, SaslHandshakeResponse } from '../protocol/messages/sasl-handshake';
import { defineApi } from './api';

export const saslHandshakeApi = defineApi({
  key: ApiKey.SaslHandshake,
  name: 'SaslHandshake',
  minVersion: 0,
  maxVersion: 1,
  request: SaslHandshakeRequest,
  response: SaslHandshakeResponse,
  handle({ mechanism }, context) {
    const users = context.services.sasl;
    const { session } = context;
    if (users === undefined || session.user !== undefined || session.saslExchange !== undefined) {
      context.log.warn({ mechanism, sasl: users !== undefined }, 'SaslHandshake: not expected now');
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: users === undefined ? [] : [...SASL_MECHANISMS] };
    }
    if (!isSaslMechanism(mechanism)) {
      context.log.info({ mechanism }, 'SaslHandshake: unsupported mechanism');
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: [...SASL_MECHANISMS] };
    }
    session.saslExchange = startSaslExchange(mechanism, users);
    session.rawSaslTokens = context.apiVersion === 0;
    return { errorCode: ErrorCode.NONE, mechanisms: [...SASL_MECHANISMS] };
  },
});
