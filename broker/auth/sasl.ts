/**
 * The server side of SASL PLAIN (RFC 4616) and SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, RFC 7677),
 * as Kafka's SaslHandshake + SaslAuthenticate carry them: the connection starts an exchange for
 * the mechanism the client chose and feeds it each SaslAuthenticate auth_bytes in turn.
 *
 * Both check passwords against the SCRAM credentials of the users file (sasl-users.ts); no
 * password is stored. Every failure is a SaslAuthenticationError whose message may go to the
 * client: a wrong password and an unknown user fail with the same message, and an unknown user
 * costs the same work, so neither the message nor the timing tells which users exist.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  DEFAULT_SCRAM_ITERATIONS,
  decodeBase64,
  deriveScramCredential,
  scramHash,
  scramHashLength,
  scramHmac,
  type SaslUsers,
  type ScramCredential,
  type ScramMechanism,
} from './sasl-users';

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** In the order the broker lists them in SaslHandshake responses. */
export const SASL_MECHANISMS: readonly SaslMechanism[] = ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'];

export function isSaslMechanism(name: string): name is SaslMechanism {
  return (SASL_MECHANISMS as readonly string[]).includes(name);
}

/**
 * Thrown by SaslExchange.step when authentication fails. Its message is safe to send to the client
 * (it never says whether the user exists).
 */
export class SaslAuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SaslAuthenticationError';
  }
}

export interface SaslStep {
  /** The bytes to send back to the client (SaslAuthenticate auth_bytes); empty for PLAIN. */
  readonly reply: Buffer;
  /** Set on the last step, when the client is authenticated: the user name. */
  readonly user?: string;
}

/** One authentication on one connection: feed it each client message in turn. */
export interface SaslExchange {
  readonly mechanism: SaslMechanism;
  step(clientMessage: Buffer): Promise<SaslStep>;
}

/** For tests only: the broker calls startSaslExchange with two arguments. */
export interface SaslExchangeOptions {
  /**
   * The server's part of the SCRAM nonce instead of a random one, to replay a known exchange
   * (RFC 7677's test vector). Printable ASCII without ','.
   */
  readonly serverNonce?: string;
}

/** Starts one authentication with the mechanism the client chose in SaslHandshake. */
export function startSaslExchange(mechanism: SaslMechanism, users: SaslUsers, options: SaslExchangeOptions = {}): SaslExchange {
  if (options.serverNonce !== undefined && !isPrintableWithoutComma(options.serverNonce)) {
    throw new Error(`serverNonce must be non-empty printable ASCII without ','; got ${JSON.stringify(options.serverNonce)}`);
  }
  return mechanism === 'PLAIN' ? new PlainExchange(users) : new ScramExchange(mechanism, users, options.serverNonce ?? randomServerNonce());
}

/** What Kafka's own brokers say, and what Kafka's clients show their users. */
function invalidCredentials(mechanism: SaslMechanism): SaslAuthenticationError {
  return new SaslAuthenticationError(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`);
}

function alreadyFinished(mechanism: SaslMechanism): SaslAuthenticationError {
  return new SaslAuthenticationError(`${mechanism}: the authentication exchange is already finished`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The message as text, or undefined if it is not UTF-8. */
function decodeUtf8(message: Buffer): string | undefined {
  try {
    return utf8.decode(message);
  } catch {
    return undefined;
  }
}

// --- unknown users -----------------------------------------------------------------------------

// Keys the fake credentials of unknown users: fixed for the process, so that asking twice for the
// same unknown user gives the same salt, as it would for a real one.
const FAKE_CREDENTIAL_SECRET = randomBytes(32);

/** A credential for a user who does not exist, shaped like a real one; it never matches. */
function fakeCredential(mechanism: ScramMechanism, user: string): ScramCredential {
  const seed = (label: string): Buffer =>
    createHmac('sha512', FAKE_CREDENTIAL_SECRET).update(`${label}\0${mechanism}\0${user}`).digest().subarray(0, scramHashLength(mechanism));
  return { salt: seed('salt').subarray(0, 32), iterations: DEFAULT_SCRAM_ITERATIONS, storedKey: seed('storedKey'), serverKey: seed('serverKey') };
}

// --- PLAIN -------------------------------------------------------------------------------------

class PlainExchange implements SaslExchange {
  readonly mechanism = 'PLAIN';
  private finished = false;

  constructor(private readonly users: SaslUsers) {}

  async step(clientMessage: Buffer): Promise<SaslStep> {
    if (this.finished) throw alreadyFinished(this.mechanism);
    this.finished = true;
    const { authzid, authcid, password } = parsePlainMessage(clientMessage);
    if (authzid !== '' && authzid !== authcid) throw new SaslAuthenticationError('PLAIN: the authorization id must be empty or the user name');
    // SCRAM-SHA-512 when the user has it (or is unknown), else SCRAM-SHA-256.
    const mechanism: ScramMechanism = this.users.credential(authcid, 'SCRAM-SHA-256') && !this.users.credential(authcid, 'SCRAM-SHA-512') ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512';
    const stored = this.users.credential(authcid, mechanism);
    // An unknown user still costs one PBKDF2, so the time taken does not tell.
    const expected = stored ?? fakeCredential(mechanism, authcid);
    const derived = await deriveScramCredential(mechanism, password, expected.salt, expected.iterations);
    if (!timingSafeEqual(derived.storedKey, expected.storedKey) || stored === undefined) throw invalidCredentials(this.mechanism);
    return { reply: Buffer.alloc(0), user: authcid };
  }
}

/** RFC 4616: message = [authzid] NUL authcid NUL passwd, all UTF-8. */
function parsePlainMessage(message: Buffer): { authzid: string; authcid: string; password: string } {
  const text = decodeUtf8(message);
  const parts = text?.split('\0');
  if (parts?.length !== 3 || parts[1] === '' || parts[2] === '') {
    throw new SaslAuthenticationError('PLAIN: malformed message; expected [authzid] NUL authcid NUL passwd');
  }
  return { authzid: parts[0], authcid: parts[1], password: parts[2] };
}

// --- SCRAM -------------------------------------------------------------------------------------

/** 24 random bytes in base64: no padding (24 is a multiple of 3), so no '=' and never a ','. */
function randomServerNonce(): string {
  return randomBytes(24).toString('base64');
}

/** RFC 5802's printable: %x21-2B / %x2D-7E, the characters a nonce may use. */
function isPrintableWithoutComma(text: string): boolean {
  return /^[\x21-\x2b\x2d-\x7e]+$/.test(text);
}

/** What the server keeps between the client-first and client-final messages. */
interface ScramFirstState {
  readonly user: string;
  /** Absent for an unknown user: the exchange goes on with a fake credential and fails at the proof. */
  readonly credential: ScramCredential | undefined;
  readonly fake: ScramCredential;
  readonly gs2Header: string;
  readonly clientFirstBare: string;
  readonly serverFirst: string;
  readonly nonce: string;
}

class ScramExchange implements SaslExchange {
  private state: 'client-first' | ScramFirstState | 'finished' = 'client-first';

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly users: SaslUsers,
    private readonly serverNonce: string,
  ) {}

  // Not async work in itself, but the interface is a promise so that PLAIN can run PBKDF2.
  step(clientMessage: Buffer): Promise<SaslStep> {
    try {
      return Promise.resolve(this.advance(clientMessage));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private advance(clientMessage: Buffer): SaslStep {
    const state = this.state;
    // Any step ends the exchange unless it succeeds into the next one: no retries after a failure.
    this.state = 'finished';
    if (state === 'finished') throw alreadyFinished(this.mechanism);
    const text = decodeUtf8(clientMessage);
    if (state === 'client-first') {
      if (text === undefined) throw malformed('client-first-message');
      const next = this.receiveClientFirst(text);
      this.state = next;
      return { reply: Buffer.from(next.serverFirst, 'utf8') };
    }
    if (text === undefined) throw malformed('client-final-message');
    return this.receiveClientFinal(state, text);
  }

  private receiveClientFirst(message: string): ScramFirstState {
    const { gs2Header, authzid, bare } = parseGs2Header(message);
    const { user, clientNonce } = parseClientFirstBare(bare);
    if (authzid !== '' && authzid !== user) throw new SaslAuthenticationError('SCRAM: the authorization id must be empty or the user name');
    const credential = this.users.credential(user, this.mechanism);
    const fake = fakeCredential(this.mechanism, user);
    const { salt, iterations } = credential ?? fake;
    const nonce = clientNonce + this.serverNonce;
    const serverFirst = `r=${nonce},s=${salt.toString('base64')},i=${iterations}`;
    return { user, credential, fake, gs2Header, clientFirstBare: bare, serverFirst, nonce };
  }

  private receiveClientFinal(first: ScramFirstState, message: string): SaslStep {
    const { channelBinding, nonce, withoutProof, proof } = parseClientFinal(message);
    const boundHeader = decodeBase64(channelBinding);
    if (boundHeader === undefined || !boundHeader.equals(Buffer.from(first.gs2Header, 'utf8'))) {
      throw new SaslAuthenticationError('SCRAM: the channel binding (c=) does not match the client-first-message');
    }
    // RFC 5802 wants the combined nonce itself. librdkafka 2.0 sends its own nonce again before
    // it, and Kafka accepts a nonce that ends with the combined one: so does this broker. The
    // server's random part is still in it, so the proof still belongs to this exchange.
    if (!nonce.endsWith(first.nonce)) throw new SaslAuthenticationError('SCRAM: the nonce (r=) does not match the server-first-message');

    const credential = first.credential ?? first.fake;
    const authMessage = `${first.clientFirstBare},${first.serverFirst},${withoutProof}`;
    const proofBytes = decodeBase64(proof);
    if (proofBytes === undefined || proofBytes.length !== scramHashLength(this.mechanism)) throw invalidCredentials(this.mechanism);
    const clientSignature = scramHmac(this.mechanism, credential.storedKey, authMessage);
    const clientKey = xor(proofBytes, clientSignature);
    const matches = timingSafeEqual(scramHash(this.mechanism, clientKey), credential.storedKey);
    if (!matches || first.credential === undefined) throw invalidCredentials(this.mechanism);

    const serverSignature = scramHmac(this.mechanism, credential.serverKey, authMessage);
    return { reply: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'), user: first.user };
  }
}

function malformed(what: string): SaslAuthenticationError {
  return new SaslAuthenticationError(`SCRAM: malformed ${what}`);
}

/**
 * gs2-header = gs2-cbind-flag "," [ authzid ] ","; gs2-cbind-flag = "p=" name / "n" / "y".
 * "y" (the client supports channel binding but thinks the server does not) is right here: we don't.
 */
function parseGs2Header(message: string): { gs2Header: string; authzid: string; bare: string } {
  const firstComma = message.indexOf(',');
  const secondComma = firstComma < 0 ? -1 : message.indexOf(',', firstComma + 1);
  if (secondComma < 0) throw malformed('client-first-message');
  const flag = message.slice(0, firstComma);
  if (flag.startsWith('p=')) throw new SaslAuthenticationError('SCRAM: channel binding is not supported');
  if (flag !== 'n' && flag !== 'y') throw malformed('client-first-message');
  const authzidField = message.slice(firstComma + 1, secondComma);
  let authzid = '';
  if (authzidField !== '') {
    if (!authzidField.startsWith('a=')) throw malformed('client-first-message');
    authzid = decodeSaslName(authzidField.slice(2), 'client-first-message');
  }
  return { gs2Header: message.slice(0, secondComma + 1), authzid, bare: message.slice(secondComma + 1) };
}

/** client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]. */
function parseClientFirstBare(bare: string): { user: string; clientNonce: string } {
  const attributes = bare.split(',');
  if (attributes[0]?.startsWith('m=')) throw new SaslAuthenticationError('SCRAM: mandatory extensions (m=) are not supported');
  const [userAttribute, nonceAttribute, ...extensions] = attributes;
  if (!userAttribute?.startsWith('n=') || !nonceAttribute?.startsWith('r=')) throw malformed('client-first-message');
  const user = decodeSaslName(userAttribute.slice(2), 'client-first-message');
  const clientNonce = nonceAttribute.slice(2);
  if (user === '' || !isPrintableWithoutComma(clientNonce)) throw malformed('client-first-message');
  for (const extension of extensions) {
    const match = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/s.exec(extension);
    if (!match) throw malformed('client-first-message');
    // Kafka's delegation tokens ride on SCRAM as this extension; there are no tokens here.
    if (match[1] === 'tokenauth' && match[2].toLowerCase() === 'true') {
      throw new SaslAuthenticationError('SCRAM: delegation tokens (tokenauth) are not supported');
    }
  }
  return { user, clientNonce };
}

/** saslname: ',' and '=' are sent as "=2C" and "=3D"; any other '=' is an error. */
function decodeSaslName(encoded: string, what: string): string {
  if (/=(?!2C|3D)/.test(encoded)) throw malformed(what);
  return encoded.replace(/=2C|=3D/g, (escape) => (escape === '=2C' ? ',' : '='));
}

/** client-final-message = channel-binding "," nonce ["," extensions] "," proof; the proof is last. */
function parseClientFinal(message: string): { channelBinding: string; nonce: string; withoutProof: string; proof: string } {
  const proofAt = message.lastIndexOf(',p=');
  if (proofAt < 0) throw malformed('client-final-message');
  const withoutProof = message.slice(0, proofAt);
  const proof = message.slice(proofAt + 3);
  const [channelAttribute, nonceAttribute, ...extensions] = withoutProof.split(',');
  if (!channelAttribute?.startsWith('c=') || !nonceAttribute?.startsWith('r=') || proof.includes(',')) throw malformed('client-final-message');
  if (extensions.some((extension) => !/^[A-Za-z][A-Za-z0-9]*=/.test(extension))) throw malformed('client-final-message');
  return { channelBinding: channelAttribute.slice(2), nonce: nonceAttribute.slice(2), withoutProof, proof };
}

function xor(a: Buffer, b: Buffer): Buffer {
  const result = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) result[i] = a[i] ^ b[i];
  return result;
}
