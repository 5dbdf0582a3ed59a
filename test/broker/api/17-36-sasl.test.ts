/**
 * SaslHandshake (17) and SaslAuthenticate (36) on the wire, and the connection's gate: an
 * in-process broker with a users file, a raw wire client, PLAIN (one round) so that each step is
 * visible. The SCRAM exchanges themselves are tested in test/broker/auth, and with real clients in
 * test/e2e/sasl.test.ts.
 */
import { SaslUsers, withUser } from '../../../broker/auth/sasl-users';
import { ApiVersionsRequest, ApiVersionsResponse } from '../../../broker/protocol/messages/api-versions';
import { MetadataRequest, MetadataResponse } from '../../../broker/protocol/messages/metadata';
import { SaslAuthenticateRequest, SaslAuthenticateResponse } from '../../../broker/protocol/messages/sasl-authenticate';
import { SaslHandshakeRequest, SaslHandshakeResponse } from '../../../broker/protocol/messages/sasl-handshake';
import { startInProcessBroker, type InProcessBroker } from '../../support/in-process-broker';
import { WireClient } from '../../support/wire-client';

const MECHANISMS = ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'];
const plain = (user: string, password: string): Buffer => Buffer.from(`\0${user}\0${password}`);

describe('without SASL', () => {
  let broker: InProcessBroker;
  beforeAll(async () => {
    broker = await startInProcessBroker();
  });
  afterAll(() => broker.stop());

  test('SaslHandshake is ILLEGAL_SASL_STATE with no mechanism, and requests need no authentication', async () => {
    const client = await WireClient.connect(broker.port);
    expect(await client.request(SaslHandshakeRequest, SaslHandshakeResponse, 1, { mechanism: 'PLAIN' })).toEqual({ errorCode: 34, mechanisms: [] });
    expect((await client.request(MetadataRequest, MetadataResponse, 1, { topics: [] })).brokers).toHaveLength(1);
    client.close();
  });
});

describe('with SASL', () => {
  let broker: InProcessBroker;
  let client: WireClient;
  beforeAll(async () => {
    broker = await startInProcessBroker({ sasl: SaslUsers.parse(await withUser(undefined, 'alice', 'secret'), 'test users') });
  });
  afterAll(() => broker.stop());
  beforeEach(async () => {
    client = await WireClient.connect(broker.port);
  });
  afterEach(() => client.close());

  test('ApiVersions lists SaslHandshake 0-1 and SaslAuthenticate 0-1, before authentication', async () => {
    const { apiKeys } = await client.request(ApiVersionsRequest, ApiVersionsResponse, 2, {});
    expect(apiKeys).toEqual(expect.arrayContaining([{ apiKey: 17, minVersion: 0, maxVersion: 1 }, { apiKey: 36, minVersion: 0, maxVersion: 1 }]));
  });

  test.each([0, 1])('PLAIN through SaslAuthenticate v%d; then the connection serves', async (version) => {
    expect(await client.request(SaslHandshakeRequest, SaslHandshakeResponse, 1, { mechanism: 'PLAIN' })).toEqual({ errorCode: 0, mechanisms: MECHANISMS });
    const answer = await client.request(SaslAuthenticateRequest, SaslAuthenticateResponse, version, { authBytes: plain('alice', 'secret') });
    expect(answer).toMatchObject({ errorCode: 0, errorMessage: null, authBytes: Buffer.alloc(0) });
    if (version >= 1) expect(answer.sessionLifetimeMs).toBe(0n);
    expect((await client.request(MetadataRequest, MetadataResponse, 1, { topics: [] })).brokers).toHaveLength(1);
    // Authenticated: a second handshake is out of place.
    expect((await client.request(SaslHandshakeRequest, SaslHandshakeResponse, 1, { mechanism: 'PLAIN' })).errorCode).toBe(34);
  });

  test('an unknown mechanism gets UNSUPPORTED_SASL_MECHANISM and the list; the client may try another', async () => {
    expect(await client.request(SaslHandshakeRequest, SaslHandshakeResponse, 1, { mechanism: 'GSSAPI' })).toEqual({ errorCode: 33, mechanisms: MECHANISMS });
    expect((await client.request(SaslHandshakeRequest, SaslHandshakeResponse, 1, { mechanism: 'PLAIN' })).errorCode).toBe(0);
  });

  test('a wrong password: SASL_AUTHENTICATION_FAILED with the reason, then the connection closes', async () => {
    await client.request(SaslHandshakeRequest, SaslHandshakeResponse, 1, { mechanism: 'PLAIN' });
    const answer = await client.request(SaslAuthenticateRequest, SaslAuthenticateResponse, 1, { authBytes: plain('alice', 'wrong') });
    expect(answer).toMatchObject({
      errorCode: 58,
      errorMessage: 'Authentication failed during authentication due to invalid credentials with SASL mechanism PLAIN',
    });
    expect(await client.nextFrame()).toBeUndefined();
  });

  test('SaslAuthenticate without a handshake: ILLEGAL_SASL_STATE, then the connection closes', async () => {
    const answer = await client.request(SaslAuthenticateRequest, SaslAuthenticateResponse, 1, { authBytes: plain('alice', 'secret') });
    expect(answer).toMatchObject({ errorCode: 34, errorMessage: 'SaslAuthenticate without a SaslHandshake (v1) before it' });
    expect(await client.nextFrame()).toBeUndefined();
  });

  test('a second handshake during the exchange is ILLEGAL_SASL_STATE', async () => {
    await client.request(SaslHandshakeRequest, SaslHandshakeResponse, 1, { mechanism: 'SCRAM-SHA-256' });
    expect((await client.request(SaslHandshakeRequest, SaslHandshakeResponse, 1, { mechanism: 'PLAIN' })).errorCode).toBe(34);
  });

  test('any other request before authentication closes the connection without an answer', async () => {
    client.send(MetadataRequest, 1, { topics: [] });
    expect(await client.nextFrame()).toBeUndefined();
  });

  test('after a v0 handshake the token goes bare, and so does the answer (size-prefixed, empty for PLAIN)', async () => {
    expect((await client.request(SaslHandshakeRequest, SaslHandshakeResponse, 0, { mechanism: 'PLAIN' })).errorCode).toBe(0);
    const token = plain('alice', 'secret');
    const frame = Buffer.alloc(4 + token.length);
    frame.writeInt32BE(token.length);
    token.copy(frame, 4);
    client.sendRaw(frame);
    expect(await client.nextFrame()).toEqual(Buffer.alloc(0));
    expect((await client.request(MetadataRequest, MetadataResponse, 1, { topics: [] })).brokers).toHaveLength(1);
  });

  test('after a v0 handshake a wrong password closes the connection without an answer', async () => {
    await client.request(SaslHandshakeRequest, SaslHandshakeResponse, 0, { mechanism: 'PLAIN' });
    const token = plain('alice', 'wrong');
    const frame = Buffer.alloc(4 + token.length);
    frame.writeInt32BE(token.length);
    token.copy(frame, 4);
    client.sendRaw(frame);
    expect(await client.nextFrame()).toBeUndefined();
  });
});
