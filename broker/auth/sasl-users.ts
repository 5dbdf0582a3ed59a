/**
 * The SASL users file and the SCRAM credentials in it (RFC 5802 section 3).
 *
 * The file holds no passwords, only what a SCRAM server needs: per user and mechanism the salt,
 * the iteration count, StoredKey and ServerKey. PLAIN logins are checked against the same
 * credentials by deriving StoredKey from the password given.
 *
 *   { "users": { "alice": { "SCRAM-SHA-256": { "salt": "<base64>", "iterations": 8192,
 *                                              "storedKey": "<base64>", "serverKey": "<base64>" },
 *                           "SCRAM-SHA-512": { ... } } } }
 *
 * Passwords are used as their UTF-8 bytes, without SASLprep, as Kafka's own SCRAM does, so that
 * credentials made here and by Kafka's tools agree.
 */
import { createHash, createHmac, pbkdf2, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** What a SCRAM server stores for one user and mechanism. */
export interface ScramCredential {
  readonly salt: Buffer;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

/** Kafka's bounds for SCRAM iterations (ScramMechanism.minIterations/maxIterations). */
export const MIN_SCRAM_ITERATIONS = 4096;
export const MAX_SCRAM_ITERATIONS = 16384;
export const DEFAULT_SCRAM_ITERATIONS = 8192;

const HASH_OF: Readonly<Record<ScramMechanism, { readonly algorithm: string; readonly length: number }>> = {
  'SCRAM-SHA-256': { algorithm: 'sha256', length: 32 },
  'SCRAM-SHA-512': { algorithm: 'sha512', length: 64 },
};

const CREDENTIAL_FIELDS = ['salt', 'iterations', 'storedKey', 'serverKey'] as const;

/** The byte length of the mechanism's hash: of StoredKey, ServerKey and a ClientProof. */
export function scramHashLength(mechanism: ScramMechanism): number {
  return HASH_OF[mechanism].length;
}

/** H(data) of RFC 5802, for the mechanism's hash. */
export function scramHash(mechanism: ScramMechanism, data: Buffer): Buffer {
  return createHash(HASH_OF[mechanism].algorithm).update(data).digest();
}

/** HMAC(key, data) of RFC 5802, for the mechanism's hash. */
export function scramHmac(mechanism: ScramMechanism, key: Buffer, data: Buffer | string): Buffer {
  return createHmac(HASH_OF[mechanism].algorithm, key).update(data).digest();
}

export function isScramMechanism(name: string): name is ScramMechanism {
  return (SCRAM_MECHANISMS as readonly string[]).includes(name);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The bytes of canonical, padded base64 text, or undefined if it is not that. Buffer.from(text,
 * 'base64') alone would silently skip stray characters, so a corrupt key would pass as a short one.
 */
export function decodeBase64(text: string): Buffer | undefined {
  return BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
}

/** PBKDF2 on the thread pool: the event loop keeps serving other connections meanwhile. */
function saltedPassword(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  const { algorithm, length } = HASH_OF[mechanism];
  return new Promise((resolve, reject) => {
    pbkdf2(Buffer.from(password, 'utf8'), salt, iterations, length, algorithm, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/**
 * Derives the stored credential from a password (RFC 5802: SaltedPassword = PBKDF2-HMAC(password,
 * salt, i); ClientKey = HMAC(SaltedPassword, "Client Key"); StoredKey = H(ClientKey); ServerKey =
 * HMAC(SaltedPassword, "Server Key")). A fresh random 32-byte salt and DEFAULT_SCRAM_ITERATIONS
 * unless given.
 */
export async function deriveScramCredential(
  mechanism: ScramMechanism,
  password: string,
  salt: Buffer = randomBytes(32),
  iterations: number = DEFAULT_SCRAM_ITERATIONS,
): Promise<ScramCredential> {
  if (!Number.isInteger(iterations) || iterations < MIN_SCRAM_ITERATIONS || iterations > MAX_SCRAM_ITERATIONS) {
    throw new Error(`SCRAM iterations must be an integer from ${MIN_SCRAM_ITERATIONS} to ${MAX_SCRAM_ITERATIONS}; got ${iterations}`);
  }
  if (salt.length === 0) throw new Error('SCRAM salt must not be empty');
  const salted = await saltedPassword(mechanism, password, salt, iterations);
  const clientKey = scramHmac(mechanism, salted, 'Client Key');
  return {
    salt,
    iterations,
    storedKey: scramHash(mechanism, clientKey),
    serverKey: scramHmac(mechanism, salted, 'Server Key'),
  };
}

type UserCredentials = ReadonlyMap<ScramMechanism, ScramCredential>;

/** The users who may authenticate, with their SCRAM credentials. Immutable once parsed. */
export class SaslUsers {
  // A Map rather than an object: user names such as "__proto__" or "constructor" stay plain keys.
  private constructor(private readonly users: ReadonlyMap<string, UserCredentials>) {}

  /** Reads and parses a users file; errors name the file and what is wrong. */
  static fromFile(file: string): SaslUsers {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(`${file}: cannot read the SASL users file: ${messageOf(error)}`);
    }
    return SaslUsers.parse(text, file);
  }

  /** Parses the JSON text of a users file; `source` names where it came from, for messages. */
  static parse(json: string, source: string): SaslUsers {
    let document: unknown;
    try {
      document = JSON.parse(json);
    } catch (error) {
      throw new Error(`${source} is not valid JSON: ${messageOf(error)}`);
    }
    if (!isPlainObject(document)) throw new Error(`${source}: must be a JSON object with a "users" object; got ${describe(document)}`);
    for (const key of Object.keys(document)) {
      if (key !== 'users') throw new Error(`${source}: unknown top-level field ${JSON.stringify(key)}; allowed: "users"`);
    }
    const users = document.users;
    if (!isPlainObject(users)) throw new Error(`${source}: "users" must be an object of user names to credentials; got ${describe(users)}`);
    const parsed = new Map<string, UserCredentials>();
    for (const [user, credentials] of Object.entries(users)) parsed.set(user, parseUser(source, user, credentials));
    return new SaslUsers(parsed);
  }

  /** The user's credential for the mechanism; undefined for an unknown user or one without it. */
  credential(user: string, mechanism: ScramMechanism): ScramCredential | undefined {
    return this.users.get(user)?.get(mechanism);
  }

  /** In the order of the file. */
  get userNames(): readonly string[] {
    return [...this.users.keys()];
  }
}

function parseUser(source: string, user: string, credentials: unknown): UserCredentials {
  if (user === '') throw new Error(`${source}: user names must not be empty`);
  const where = `${source}: user ${JSON.stringify(user)}`;
  const allowed = SCRAM_MECHANISMS.join(', ');
  if (!isPlainObject(credentials)) throw new Error(`${where} must be an object with ${allowed} credentials; got ${describe(credentials)}`);
  const parsed = new Map<ScramMechanism, ScramCredential>();
  for (const [mechanism, credential] of Object.entries(credentials)) {
    if (!isScramMechanism(mechanism)) throw new Error(`${where} has unknown mechanism ${JSON.stringify(mechanism)}; allowed: ${allowed}`);
    parsed.set(mechanism, parseCredential(`${where}, ${mechanism}`, mechanism, credential));
  }
  if (parsed.size === 0) throw new Error(`${where} has no credentials; give one or more of ${allowed}`);
  return parsed;
}

function parseCredential(where: string, mechanism: ScramMechanism, credential: unknown): ScramCredential {
  if (!isPlainObject(credential)) {
    throw new Error(`${where} must be an object with ${CREDENTIAL_FIELDS.join(', ')}; got ${describe(credential)}`);
  }
  for (const key of Object.keys(credential)) {
    if (!(CREDENTIAL_FIELDS as readonly string[]).includes(key)) {
      throw new Error(`${where} has unknown field ${JSON.stringify(key)}; allowed: ${CREDENTIAL_FIELDS.join(', ')}`);
    }
  }
  const { salt, iterations, storedKey, serverKey } = credential;
  const saltBytes = typeof salt === 'string' ? decodeBase64(salt) : undefined;
  if (saltBytes === undefined || saltBytes.length === 0) throw new Error(`${where}.salt must be non-empty base64; got ${describe(salt)}`);
  if (typeof iterations !== 'number' || !Number.isInteger(iterations) || iterations < MIN_SCRAM_ITERATIONS || iterations > MAX_SCRAM_ITERATIONS) {
    throw new Error(`${where}.iterations must be an integer from ${MIN_SCRAM_ITERATIONS} to ${MAX_SCRAM_ITERATIONS}; got ${describe(iterations)}`);
  }
  const length = scramHashLength(mechanism);
  return {
    salt: saltBytes,
    iterations,
    storedKey: parseKey(`${where}.storedKey`, storedKey, length),
    serverKey: parseKey(`${where}.serverKey`, serverKey, length),
  };
}

function parseKey(where: string, value: unknown, length: number): Buffer {
  const bytes = typeof value === 'string' ? decodeBase64(value) : undefined;
  // The key's bytes are not repeated in the message: only how many there were.
  if (bytes === undefined) throw new Error(`${where} must be base64 of ${length} bytes; got ${typeof value === 'string' ? 'text that is not base64' : describe(value)}`);
  if (bytes.length !== length) throw new Error(`${where} must be base64 of ${length} bytes; got ${bytes.length} bytes`);
  return bytes;
}

/** An error's message; not `instanceof Error`, which fails for errors from another realm (jest's sandboxes). */
function messageOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string' ? error.message : String(error);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON value as an error message shows it. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (isPlainObject(value)) return 'an object';
  return JSON.stringify(value);
}

function credentialJson(credential: ScramCredential): Record<(typeof CREDENTIAL_FIELDS)[number], string | number> {
  return {
    salt: credential.salt.toString('base64'),
    iterations: credential.iterations,
    storedKey: credential.storedKey.toString('base64'),
    serverKey: credential.serverKey.toString('base64'),
  };
}

/**
 * The JSON text of a users file with `user`'s credentials (both SCRAM mechanisms, fresh salts,
 * DEFAULT_SCRAM_ITERATIONS) added or replaced in `existing` (or a new file when undefined). Other
 * users are kept as they were, in their order; a replaced user keeps its place.
 */
export async function withUser(existing: string | undefined, user: string, password: string): Promise<string> {
  if (user === '') throw new Error('the user name must not be empty');
  if (password === '') throw new Error(`the password for user ${JSON.stringify(user)} must not be empty`);
  const entries = new Map<string, Record<string, ReturnType<typeof credentialJson>>>();
  if (existing !== undefined) {
    const users = SaslUsers.parse(existing, 'the existing users file');
    for (const name of users.userNames) {
      const credentials: Record<string, ReturnType<typeof credentialJson>> = {};
      for (const mechanism of SCRAM_MECHANISMS) {
        const credential = users.credential(name, mechanism);
        if (credential) credentials[mechanism] = credentialJson(credential);
      }
      entries.set(name, credentials);
    }
  }
  const fresh: Record<string, ReturnType<typeof credentialJson>> = {};
  for (const mechanism of SCRAM_MECHANISMS) fresh[mechanism] = credentialJson(await deriveScramCredential(mechanism, password));
  entries.set(user, fresh);
  // Object.fromEntries defines own properties, so even a user named "__proto__" is written as a user.
  return `${JSON.stringify({ users: Object.fromEntries(entries) }, null, 2)}\n`;
}
