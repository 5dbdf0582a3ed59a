import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import {
  SASL_MECHANISMS,
  SaslAuthenticationError,
  isSaslMechanism,
  startSaslExchange,
  type SaslExchange,
  type SaslMechanism,
} from '../../../broker/auth/sasl';
import { SaslUsers, deriveScramCredential, withUser, type ScramCredential, type ScramMechanism } from '../../../broker/auth/sasl-users';

const invalidCredentials = (mechanism: SaslMechanism): string =>
  `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`;

/** A users file's JSON with the given credentials. */
function usersJson(users: Record<string, Partial<Record<ScramMechanism, ScramCredential>>>): string {
  const encode = (c: ScramCredential) => ({
    salt: c.salt.toString('base64'),
    iterations: c.iterations,
    storedKey: c.storedKey.toString('base64'),
    serverKey: c.serverKey.toString('base64'),
  });
  const document = Object.fromEntries(
    Object.entries(users).map(([user, credentials]) => [
      user,
      Object.fromEntries(Object.entries(credentials).map(([mechanism, credential]) => [mechanism, encode(credential)])),
    ]),
  );
  return JSON.stringify({ users: document });
}

const text = (buffer: Buffer): string => buffer.toString('utf8');
const bytes = (message: string): Buffer => Buffer.from(message, 'utf8');

/** Expects the step to fail with a SaslAuthenticationError carrying exactly this message. */
async function expectFailure(exchange: SaslExchange, message: string | Buffer, expected: string): Promise<void> {
  const step = exchange.step(typeof message === 'string' ? bytes(message) : message);
  await expect(step).rejects.toBeInstanceOf(SaslAuthenticationError);
  await expect(step).rejects.toThrow(expected);
  await step.catch((error: Error) => expect(error.message).toBe(expected));
}

// --- a SCRAM client, written from RFC 5802 independently of the server code ---

const HASH: Record<ScramMechanism, string> = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' };

class TestScramClient {
  readonly clientNonce = randomBytes(18).toString('base64');
  readonly clientFirstBare: string;
  private serverSignature: Buffer | undefined;

  constructor(
    private readonly mechanism: ScramMechanism,
    user: string,
    private readonly password: string,
    private readonly gs2Header = 'n,,',
  ) {
    this.clientFirstBare = `n=${user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${this.clientNonce}`;
  }

  clientFirst(): string {
    return this.gs2Header + this.clientFirstBare;
  }

  /** The client-final-message for a server-first-message. */
  clientFinal(serverFirst: string, nonceOverride?: string): string {
    const attributes = Object.fromEntries(serverFirst.split(',').map((a) => [a[0], a.slice(2)]));
    expect(attributes.r.startsWith(this.clientNonce)).toBe(true);
    const algorithm = HASH[this.mechanism];
    const length = this.mechanism === 'SCRAM-SHA-256' ? 32 : 64;
    const salted = pbkdf2Sync(this.password, Buffer.from(attributes.s, 'base64'), Number(attributes.i), length, algorithm);
    const clientKey = createHmac(algorithm, salted).update('Client Key').digest();
    const storedKey = createHash(algorithm).update(clientKey).digest();
    const withoutProof = `c=${Buffer.from(this.gs2Header).toString('base64')},r=${nonceOverride ?? attributes.r}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = createHmac(algorithm, storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]));
    const serverKey = createHmac(algorithm, salted).update('Server Key').digest();
    this.serverSignature = createHmac(algorithm, serverKey).update(authMessage).digest();
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  verifyServerFinal(serverFinal: string): boolean {
    return this.serverSignature !== undefined && serverFinal === `v=${this.serverSignature.toString('base64')}`;
  }
}

describe('mechanism names', () => {
  test('SASL_MECHANISMS lists the strongest first; isSaslMechanism knows exactly those', () => {
    expect(SASL_MECHANISMS).toEqual(['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN']);
    for (const name of SASL_MECHANISMS) expect(isSaslMechanism(name)).toBe(true);
    expect(isSaslMechanism('GSSAPI')).toBe(false);
    expect(isSaslMechanism('scram-sha-256')).toBe(false);
  });
});

describe('SCRAM-SHA-256: RFC 7677 section 3 test vector', () => {
  const clientFirst = 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO';
  const serverNonce = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
  const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
  const clientFinal = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
  const serverFinal = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';

  test('the server answers exactly as the RFC does', async () => {
    const credential = await deriveScramCredential('SCRAM-SHA-256', 'pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), 4096);
    const users = SaslUsers.parse(usersJson({ user: { 'SCRAM-SHA-256': credential } }), 'test');
    const exchange = startSaslExchange('SCRAM-SHA-256', users, { serverNonce });
    expect(exchange.mechanism).toBe('SCRAM-SHA-256');
    const first = await exchange.step(bytes(clientFirst));
    expect(text(first.reply)).toBe(serverFirst);
    expect(first.user).toBeUndefined();
    const final = await exchange.step(bytes(clientFinal));
    expect(text(final.reply)).toBe(serverFinal);
    expect(final.user).toBe('user');
  });

  test('the serverNonce option must be printable ASCII without a comma', () => {
    const users = SaslUsers.parse('{"users":{}}', 'test');
    expect(() => startSaslExchange('SCRAM-SHA-256', users, { serverNonce: 'a,b' })).toThrow(`serverNonce must be non-empty printable ASCII without ','; got "a,b"`);
  });
});

describe('SCRAM with users made by withUser', () => {
  let users: SaslUsers;
  beforeAll(async () => {
    let file = await withUser(undefined, 'alice', 'correct horse');
    file = await withUser(file, 'bob,=x', 'päss wörd');
    users = SaslUsers.parse(file, 'users.json');
  });

  const start = (mechanism: ScramMechanism, user: string, password: string, gs2Header?: string) => ({
    exchange: startSaslExchange(mechanism, users),
    client: new TestScramClient(mechanism, user, password, gs2Header),
  });

  describe.each(['SCRAM-SHA-512', 'SCRAM-SHA-256'] as const)('%s', (mechanism) => {
    test('the right password authenticates, and the client verifies the server', async () => {
      const { exchange, client } = start(mechanism, 'alice', 'correct horse');
      const first = await exchange.step(bytes(client.clientFirst()));
      expect(text(first.reply)).toMatch(new RegExp(`^r=${client.clientNonce.replace(/[+/]/g, '\\$&')}[!-+--~]{32},s=[A-Za-z0-9+/]+=*,i=8192$`));
      const final = await exchange.step(bytes(client.clientFinal(text(first.reply))));
      expect(final.user).toBe('alice');
      expect(client.verifyServerFinal(text(final.reply))).toBe(true);
    });

    test('a user name with "," and "=" (sent escaped), a non-ASCII password and the "y" header', async () => {
      const { exchange, client } = start(mechanism, 'bob,=x', 'päss wörd', 'y,,');
      const first = await exchange.step(bytes(client.clientFirst()));
      const final = await exchange.step(bytes(client.clientFinal(text(first.reply))));
      expect(final.user).toBe('bob,=x');
      expect(client.verifyServerFinal(text(final.reply))).toBe(true);
    });

    test('an authorization id equal to the user is accepted', async () => {
      const { exchange, client } = start(mechanism, 'alice', 'correct horse', 'n,a=alice,');
      const first = await exchange.step(bytes(client.clientFirst()));
      const final = await exchange.step(bytes(client.clientFinal(text(first.reply))));
      expect(final.user).toBe('alice');
    });

    test('a wrong password fails with the credentials message', async () => {
      const { exchange, client } = start(mechanism, 'alice', 'wrong horse');
      const first = await exchange.step(bytes(client.clientFirst()));
      await expectFailure(exchange, client.clientFinal(text(first.reply)), invalidCredentials(mechanism));
    });

    test('an unknown user gets a salt like anyone else, always the same one, and the same failure as a wrong password', async () => {
      const { exchange, client } = start(mechanism, 'mallory', 'correct horse');
      const first = await exchange.step(bytes(client.clientFirst()));
      expect(text(first.reply)).toMatch(/,s=[A-Za-z0-9+/]+=*,i=8192$/);
      const again = await startSaslExchange(mechanism, users).step(bytes(new TestScramClient(mechanism, 'mallory', 'x').clientFirst()));
      expect(text(again.reply).split(',s=')[1]).toBe(text(first.reply).split(',s=')[1]);
      await expectFailure(exchange, client.clientFinal(text(first.reply)), invalidCredentials(mechanism));
    });

    test('a tampered nonce fails', async () => {
      const { exchange, client } = start(mechanism, 'alice', 'correct horse');
      const first = await exchange.step(bytes(client.clientFirst()));
      const nonce = text(first.reply).split(',')[0].slice(2);
      await expectFailure(exchange, client.clientFinal(text(first.reply), `${nonce}x`), 'SCRAM: the nonce (r=) does not match the server-first-message');
    });

    test('a nonce with the client nonce once more before the combined one (librdkafka 2.0) is accepted, as Kafka accepts it', async () => {
      const { exchange, client } = start(mechanism, 'alice', 'correct horse');
      const first = await exchange.step(bytes(client.clientFirst()));
      const nonce = text(first.reply).split(',')[0].slice(2);
      const final = await exchange.step(bytes(client.clientFinal(text(first.reply), `${client.clientNonce}${nonce}`)));
      expect(final.user).toBe('alice');
      expect(client.verifyServerFinal(text(final.reply))).toBe(true);
    });

    test('a nonce that only starts with the combined one fails', async () => {
      const { exchange, client } = start(mechanism, 'alice', 'correct horse');
      const first = await exchange.step(bytes(client.clientFirst()));
      const nonce = text(first.reply).split(',')[0].slice(2);
      await expectFailure(exchange, client.clientFinal(text(first.reply), `${nonce}${client.clientNonce}`), 'SCRAM: the nonce (r=) does not match the server-first-message');
    });

    test('a channel-binding header (c=) other than the one sent first fails', async () => {
      const { exchange, client } = start(mechanism, 'alice', 'correct horse');
      const first = await exchange.step(bytes(client.clientFirst()));
      const final = client.clientFinal(text(first.reply)).replace('c=biws', 'c=eSws');
      await expectFailure(exchange, final, 'SCRAM: the channel binding (c=) does not match the client-first-message');
    });

    test('a proof of the wrong length fails as invalid credentials', async () => {
      const { exchange, client } = start(mechanism, 'alice', 'correct horse');
      const first = await exchange.step(bytes(client.clientFirst()));
      const final = client.clientFinal(text(first.reply)).replace(/p=.*$/, 'p=AAAA');
      await expectFailure(exchange, final, invalidCredentials(mechanism));
    });

    test('a third step after success fails', async () => {
      const { exchange, client } = start(mechanism, 'alice', 'correct horse');
      const first = await exchange.step(bytes(client.clientFirst()));
      await exchange.step(bytes(client.clientFinal(text(first.reply))));
      await expectFailure(exchange, 'anything', `${mechanism}: the authentication exchange is already finished`);
    });

    test('no second try after a failure', async () => {
      const { exchange, client } = start(mechanism, 'alice', 'wrong');
      const first = await exchange.step(bytes(client.clientFirst()));
      const final = client.clientFinal(text(first.reply));
      await expectFailure(exchange, final, invalidCredentials(mechanism));
      await expectFailure(exchange, final, `${mechanism}: the authentication exchange is already finished`);
    });
  });

  describe('client-first-message rejections', () => {
    const cases: [string, string | Buffer, string][] = [
      ['channel binding (p=)', 'p=tls-unique,,n=alice,r=abc', 'SCRAM: channel binding is not supported'],
      ['tokenauth=true', 'n,,n=alice,r=abc,tokenauth=true', 'SCRAM: delegation tokens (tokenauth) are not supported'],
      ['tokenauth=TRUE', 'n,,n=alice,r=abc,tokenauth=TRUE', 'SCRAM: delegation tokens (tokenauth) are not supported'],
      ['an authorization id of another user', 'n,a=bob,n=alice,r=abc', 'SCRAM: the authorization id must be empty or the user name'],
      ['a mandatory extension', 'n,,m=x,n=alice,r=abc', 'SCRAM: mandatory extensions (m=) are not supported'],
      ['no gs2 header', 'n=alice,r=abc', 'SCRAM: malformed client-first-message'],
      ['an unknown cbind flag', 'x,,n=alice,r=abc', 'SCRAM: malformed client-first-message'],
      ['an authzid without a=', 'n,alice,n=alice,r=abc', 'SCRAM: malformed client-first-message'],
      ['no nonce', 'n,,n=alice', 'SCRAM: malformed client-first-message'],
      ['attributes in the wrong order', 'n,,r=abc,n=alice', 'SCRAM: malformed client-first-message'],
      ['an empty user', 'n,,n=,r=abc', 'SCRAM: malformed client-first-message'],
      ['an empty nonce', 'n,,n=alice,r=', 'SCRAM: malformed client-first-message'],
      ['a bad saslname escape', 'n,,n=al=41ice,r=abc', 'SCRAM: malformed client-first-message'],
      ['a malformed extension', 'n,,n=alice,r=abc,=x', 'SCRAM: malformed client-first-message'],
      ['invalid UTF-8', Buffer.from([0x6e, 0x2c, 0x2c, 0x6e, 0x3d, 0xff, 0x2c, 0x72, 0x3d, 0x61]), 'SCRAM: malformed client-first-message'],
      ['an empty message', '', 'SCRAM: malformed client-first-message'],
    ];
    test.each(cases)('%s', async (_name, message, expected) => {
      await expectFailure(startSaslExchange('SCRAM-SHA-256', users), message, expected);
    });

    test('other extensions (such as tokenauth=false) are ignored', async () => {
      const exchange = startSaslExchange('SCRAM-SHA-256', users);
      const first = await exchange.step(bytes('n,,n=alice,r=abc,tokenauth=false,foo=bar'));
      expect(text(first.reply)).toMatch(/^r=abc/);
    });
  });

  describe('client-final-message rejections', () => {
    const cases: [string, (nonce: string) => string, string][] = [
      ['no proof', (nonce) => `c=biws,r=${nonce}`, 'SCRAM: malformed client-final-message'],
      ['the proof not last', (nonce) => `c=biws,r=${nonce},p=AAAA,x=y`, 'SCRAM: malformed client-final-message'],
      ['no channel binding', (nonce) => `r=${nonce},p=AAAA`, 'SCRAM: malformed client-final-message'],
      ['channel binding not base64', (nonce) => `c=b!ws,r=${nonce},p=AAAA`, 'SCRAM: the channel binding (c=) does not match the client-first-message'],
      ['a proof that is not base64', (nonce) => `c=biws,r=${nonce},p=!!!!`, invalidCredentials('SCRAM-SHA-256')],
    ];
    test.each(cases)('%s', async (_name, final, expected) => {
      const exchange = startSaslExchange('SCRAM-SHA-256', users);
      const first = await exchange.step(bytes('n,,n=alice,r=abc'));
      await expectFailure(exchange, final(text(first.reply).split(',')[0].slice(2)), expected);
    });
  });
});

describe('PLAIN', () => {
  let users: SaslUsers;
  beforeAll(async () => {
    const sha256Only = await deriveScramCredential('SCRAM-SHA-256', 'carol-secret');
    const file = JSON.parse(await withUser(undefined, 'alice', 'correct horse'));
    file.users.carol = JSON.parse(usersJson({ carol: { 'SCRAM-SHA-256': sha256Only } })).users.carol;
    users = SaslUsers.parse(JSON.stringify(file), 'users.json');
  });

  const plain = (...parts: string[]): Buffer => bytes(parts.join('\0'));

  test('the right password authenticates in one step with an empty reply', async () => {
    const exchange = startSaslExchange('PLAIN', users);
    expect(exchange.mechanism).toBe('PLAIN');
    const step = await exchange.step(plain('', 'alice', 'correct horse'));
    expect(step.reply.length).toBe(0);
    expect(step.user).toBe('alice');
  });

  test('an authorization id equal to the user is accepted', async () => {
    expect((await startSaslExchange('PLAIN', users).step(plain('alice', 'alice', 'correct horse'))).user).toBe('alice');
  });

  test('a user with only SCRAM-SHA-256 credentials', async () => {
    expect((await startSaslExchange('PLAIN', users).step(plain('', 'carol', 'carol-secret'))).user).toBe('carol');
    await expectFailure(startSaslExchange('PLAIN', users), plain('', 'carol', 'correct horse'), invalidCredentials('PLAIN'));
  });

  test('a wrong password and an unknown user fail with the same message', async () => {
    await expectFailure(startSaslExchange('PLAIN', users), plain('', 'alice', 'wrong'), invalidCredentials('PLAIN'));
    await expectFailure(startSaslExchange('PLAIN', users), plain('', 'mallory', 'correct horse'), invalidCredentials('PLAIN'));
  });

  test('an authorization id other than the user fails', async () => {
    await expectFailure(startSaslExchange('PLAIN', users), plain('bob', 'alice', 'correct horse'), 'PLAIN: the authorization id must be empty or the user name');
  });

  test.each([
    ['no NULs', bytes('alice correct horse')],
    ['one NUL', plain('alice', 'correct horse')],
    ['too many NULs', plain('', 'alice', 'correct', 'horse')],
    ['an empty user', plain('', '', 'correct horse')],
    ['an empty password', plain('', 'alice', '')],
    ['invalid UTF-8', Buffer.from([0, 0x61, 0, 0xff])],
  ])('malformed: %s', async (_name, message) => {
    await expectFailure(startSaslExchange('PLAIN', users), message, 'PLAIN: malformed message; expected [authzid] NUL authcid NUL passwd');
  });

  test('one step only', async () => {
    const exchange = startSaslExchange('PLAIN', users);
    await exchange.step(plain('', 'alice', 'correct horse'));
    await expectFailure(exchange, plain('', 'alice', 'correct horse'), 'PLAIN: the authentication exchange is already finished');
  });
});
