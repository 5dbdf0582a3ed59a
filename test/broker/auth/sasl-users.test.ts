import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSaslExchange } from '../../../broker/auth/sasl';
import {
  DEFAULT_SCRAM_ITERATIONS,
  SaslUsers,
  deriveScramCredential,
  withUser,
  type ScramMechanism,
} from '../../../broker/auth/sasl-users';

const REPO_ROOT = path.join(__dirname, '..', '..', '..');
const b64 = (length: number): string => Buffer.alloc(length, 7).toString('base64');
const credential = (overrides: Record<string, unknown> = {}, keyLength = 32): Record<string, unknown> => ({
  salt: b64(16),
  iterations: 4096,
  storedKey: b64(keyLength),
  serverKey: b64(keyLength),
  ...overrides,
});
const fileWith = (alice: unknown): string => JSON.stringify({ users: { alice } });

describe('SaslUsers.parse', () => {
  test('a valid file: both mechanisms, one mechanism, names in file order', () => {
    const users = SaslUsers.parse(
      JSON.stringify({
        users: {
          alice: { 'SCRAM-SHA-256': credential(), 'SCRAM-SHA-512': credential({ iterations: 16384 }, 64) },
          bob: { 'SCRAM-SHA-512': credential({}, 64) },
        },
      }),
      'users.json',
    );
    expect(users.userNames).toEqual(['alice', 'bob']);
    expect(users.credential('alice', 'SCRAM-SHA-256')).toEqual({
      salt: Buffer.alloc(16, 7),
      iterations: 4096,
      storedKey: Buffer.alloc(32, 7),
      serverKey: Buffer.alloc(32, 7),
    });
    expect(users.credential('alice', 'SCRAM-SHA-512')?.iterations).toBe(16384);
    expect(users.credential('bob', 'SCRAM-SHA-256')).toBeUndefined();
    expect(users.credential('nobody', 'SCRAM-SHA-256')).toBeUndefined();
    expect(users.credential('toString', 'SCRAM-SHA-256')).toBeUndefined();
  });

  test('a user named "__proto__" is a user like any other', () => {
    const users = SaslUsers.parse(`{"users":{"__proto__":{"SCRAM-SHA-256":${JSON.stringify(credential())}}}}`, 'users.json');
    expect(users.userNames).toEqual(['__proto__']);
    expect(users.credential('__proto__', 'SCRAM-SHA-256')?.iterations).toBe(4096);
  });

  test('an empty users object is valid', () => {
    expect(SaslUsers.parse('{"users":{}}', 'users.json').userNames).toEqual([]);
  });

  const where = 'users.json: user "alice", SCRAM-SHA-256';
  const invalid: [string, string, string][] = [
    ['not JSON', '{"users":', 'users.json is not valid JSON: '],
    ['not an object', '[]', 'users.json: must be a JSON object with a "users" object; got an array'],
    ['no users', '{}', 'users.json: "users" must be an object of user names to credentials; got nothing'],
    ['users not an object', '{"users":[1]}', 'users.json: "users" must be an object of user names to credentials; got an array'],
    ['an unknown top-level field', '{"users":{},"admins":{}}', 'users.json: unknown top-level field "admins"; allowed: "users"'],
    ['an empty user name', `{"users":{"":{"SCRAM-SHA-256":${JSON.stringify(credential())}}}}`, 'users.json: user names must not be empty'],
    ['a user that is not an object', fileWith('secret'), 'users.json: user "alice" must be an object with SCRAM-SHA-256, SCRAM-SHA-512 credentials; got "secret"'],
    ['a user without credentials', fileWith({}), 'users.json: user "alice" has no credentials; give one or more of SCRAM-SHA-256, SCRAM-SHA-512'],
    ['an unknown mechanism', fileWith({ 'SCRAM-SHA-1': credential() }), 'users.json: user "alice" has unknown mechanism "SCRAM-SHA-1"; allowed: SCRAM-SHA-256, SCRAM-SHA-512'],
    ['a plaintext password', fileWith({ PLAIN: 'secret' }), 'users.json: user "alice" has unknown mechanism "PLAIN"; allowed: SCRAM-SHA-256, SCRAM-SHA-512'],
    ['a credential that is not an object', fileWith({ 'SCRAM-SHA-256': null }), `${where} must be an object with salt, iterations, storedKey, serverKey; got null`],
    ['an unknown credential field', fileWith({ 'SCRAM-SHA-256': credential({ password: 'x' }) }), `${where} has unknown field "password"; allowed: salt, iterations, storedKey, serverKey`],
    ['an empty salt', fileWith({ 'SCRAM-SHA-256': credential({ salt: '' }) }), `${where}.salt must be non-empty base64; got ""`],
    ['a salt not base64', fileWith({ 'SCRAM-SHA-256': credential({ salt: 'a!b=' }) }), `${where}.salt must be non-empty base64; got "a!b="`],
    ['a missing salt', fileWith({ 'SCRAM-SHA-256': credential({ salt: undefined }) }), `${where}.salt must be non-empty base64; got nothing`],
    ['too few iterations', fileWith({ 'SCRAM-SHA-256': credential({ iterations: 100 }) }), `${where}.iterations must be an integer from 4096 to 16384; got 100`],
    ['too many iterations', fileWith({ 'SCRAM-SHA-256': credential({ iterations: 16385 }) }), `${where}.iterations must be an integer from 4096 to 16384; got 16385`],
    ['fractional iterations', fileWith({ 'SCRAM-SHA-256': credential({ iterations: 4096.5 }) }), `${where}.iterations must be an integer from 4096 to 16384; got 4096.5`],
    ['iterations as text', fileWith({ 'SCRAM-SHA-256': credential({ iterations: '8192' }) }), `${where}.iterations must be an integer from 4096 to 16384; got "8192"`],
    ['a short storedKey', fileWith({ 'SCRAM-SHA-256': credential({ storedKey: b64(31) }) }), `${where}.storedKey must be base64 of 32 bytes; got 31 bytes`],
    ['a SHA-256-sized key for SCRAM-SHA-512', fileWith({ 'SCRAM-SHA-512': credential() }), 'users.json: user "alice", SCRAM-SHA-512.storedKey must be base64 of 64 bytes; got 32 bytes'],
    ['a serverKey not base64', fileWith({ 'SCRAM-SHA-256': credential({ serverKey: `${b64(32)}!` }) }), `${where}.serverKey must be base64 of 32 bytes; got text that is not base64`],
    ['a serverKey as a number', fileWith({ 'SCRAM-SHA-256': credential({ serverKey: 5 }) }), `${where}.serverKey must be base64 of 32 bytes; got 5`],
  ];
  test.each(invalid)('rejects %s', (_name, json, expected) => {
    let message = '';
    try {
      SaslUsers.parse(json, 'users.json');
    } catch (error) {
      message = (error as Error).message;
    }
    if (expected.endsWith(': ')) expect(message.startsWith(expected) && message.length > expected.length).toBe(true);
    else expect(message).toBe(expected);
  });
});

describe('deriveScramCredential', () => {
  test('RFC 7677: StoredKey and ServerKey for "pencil" reproduce the test vector exchange (see sasl.test.ts); here, the shape', async () => {
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const first = await deriveScramCredential('SCRAM-SHA-256', 'pencil', salt, 4096);
    const second = await deriveScramCredential('SCRAM-SHA-256', 'pencil', salt, 4096);
    expect(first).toEqual(second);
    expect(first.salt).toBe(salt);
    expect(first.storedKey.length).toBe(32);
    expect(first.serverKey.length).toBe(32);
    expect((await deriveScramCredential('SCRAM-SHA-512', 'pencil', salt, 4096)).storedKey.length).toBe(64);
  });

  test('by default a fresh 32-byte salt and DEFAULT_SCRAM_ITERATIONS', async () => {
    const a = await deriveScramCredential('SCRAM-SHA-256', 'pw');
    const b = await deriveScramCredential('SCRAM-SHA-256', 'pw');
    expect(DEFAULT_SCRAM_ITERATIONS).toBe(8192);
    expect(a.iterations).toBe(8192);
    expect(a.salt.length).toBe(32);
    expect(a.salt.equals(b.salt)).toBe(false);
    expect(a.storedKey.equals(b.storedKey)).toBe(false);
  });

  test('iterations outside Kafka\'s bounds are refused', async () => {
    await expect(deriveScramCredential('SCRAM-SHA-256', 'pw', Buffer.alloc(16), 1000)).rejects.toThrow(
      'SCRAM iterations must be an integer from 4096 to 16384; got 1000',
    );
  });
});

describe('withUser', () => {
  test('a new file, then another user added and the first replaced; other users kept as they were', async () => {
    const created = await withUser(undefined, 'alice', 'one');
    expect(created.endsWith('\n')).toBe(true);
    const first = SaslUsers.parse(created, 'created');
    expect(first.userNames).toEqual(['alice']);
    for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as ScramMechanism[]) {
      expect(first.credential('alice', mechanism)?.iterations).toBe(DEFAULT_SCRAM_ITERATIONS);
    }
    expect(created).not.toContain('one');

    const withBob = await withUser(created, 'bob', 'two');
    const replaced = SaslUsers.parse(await withUser(withBob, 'alice', 'three'), 'replaced');
    expect(replaced.userNames).toEqual(['alice', 'bob']);
    const second = SaslUsers.parse(withBob, 'withBob');
    expect(replaced.credential('bob', 'SCRAM-SHA-512')).toEqual(second.credential('bob', 'SCRAM-SHA-512'));
    expect(replaced.credential('alice', 'SCRAM-SHA-256')).not.toEqual(first.credential('alice', 'SCRAM-SHA-256'));

    const exchange = startSaslExchange('PLAIN', replaced);
    expect((await exchange.step(Buffer.from('\0alice\0three'))).user).toBe('alice');
  });

  test('a user with one mechanism only is kept with just that one', async () => {
    const only256 = fileWith({ 'SCRAM-SHA-256': credential() });
    const users = SaslUsers.parse(await withUser(only256, 'bob', 'pw'), 'test');
    expect(users.credential('alice', 'SCRAM-SHA-256')?.storedKey).toEqual(Buffer.alloc(32, 7));
    expect(users.credential('alice', 'SCRAM-SHA-512')).toBeUndefined();
  });

  test('refuses an empty user, an empty password and an invalid existing file', async () => {
    await expect(withUser(undefined, '', 'pw')).rejects.toThrow('the user name must not be empty');
    await expect(withUser(undefined, 'alice', '')).rejects.toThrow('the password for user "alice" must not be empty');
    await expect(withUser('{}', 'alice', 'pw')).rejects.toThrow('the existing users file: "users" must be an object');
  });
});

describe('SaslUsers.fromFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sasl-users-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('reads a real file', async () => {
    const file = path.join(dir, 'users.json');
    writeFileSync(file, await withUser(undefined, 'alice', 'pw'));
    expect(SaslUsers.fromFile(file).userNames).toEqual(['alice']);
  });

  test('a missing file: the message names it', () => {
    const file = path.join(dir, 'missing.json');
    expect(() => SaslUsers.fromFile(file)).toThrow(`${file}: cannot read the SASL users file: ENOENT`);
  });

  test('an invalid file: the message names it', () => {
    const file = path.join(dir, 'users.json');
    writeFileSync(file, '{"users": {"alice": {}}}');
    expect(() => SaslUsers.fromFile(file)).toThrow(`${file}: user "alice" has no credentials`);
  });
});

describe('sasl-user-tool', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sasl-user-tool-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const runTool = (args: string[], input: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'broker/auth/sasl-user-tool.ts', ...args], {
      cwd: REPO_ROOT,
      input,
      encoding: 'utf8',
      timeout: 60_000,
    });

  /** Runs a whole SCRAM exchange with a client written here; resolves to the authenticated user. */
  async function scramLogin(users: SaslUsers, mechanism: ScramMechanism, user: string, password: string): Promise<string | undefined> {
    const { createHash, createHmac, pbkdf2Sync } = await import('node:crypto');
    const algorithm = mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
    const exchange = startSaslExchange(mechanism, users);
    const bare = `n=${user},r=clientnonce`;
    const serverFirst = (await exchange.step(Buffer.from(`n,,${bare}`))).reply.toString();
    const attributes = Object.fromEntries(serverFirst.split(',').map((a) => [a[0], a.slice(2)]));
    const salted = pbkdf2Sync(password, Buffer.from(attributes.s, 'base64'), Number(attributes.i), algorithm === 'sha256' ? 32 : 64, algorithm);
    const clientKey = createHmac(algorithm, salted).update('Client Key').digest();
    const storedKey = createHash(algorithm).update(clientKey).digest();
    const withoutProof = `c=biws,r=${attributes.r}`;
    const signature = createHmac(algorithm, storedKey).update(`${bare},${serverFirst},${withoutProof}`).digest();
    const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]));
    return (await exchange.step(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`))).user;
  }

  test('creates the file with mode 0600; the password then authenticates; a second run adds a user', async () => {
    const file = path.join(dir, 'users.json');
    const first = runTool(['--file', file, '--user', 'alice'], 's3cret pass\nignored second line\n');
    expect(first.stderr).toBe(`${file}: alice has SCRAM-SHA-256 and SCRAM-SHA-512 credentials\n`);
    expect(first.status).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).not.toContain('s3cret');

    let users = SaslUsers.fromFile(file);
    expect(users.userNames).toEqual(['alice']);
    await expect(scramLogin(users, 'SCRAM-SHA-512', 'alice', 's3cret pass')).resolves.toBe('alice');
    await expect(scramLogin(users, 'SCRAM-SHA-256', 'alice', 's3cret pass')).resolves.toBe('alice');

    const second = runTool([`--file=${file}`, '--user=bob'], 'other\r\n');
    expect(second.status).toBe(0);
    users = SaslUsers.fromFile(file);
    expect(users.userNames).toEqual(['alice', 'bob']);
    await expect(scramLogin(users, 'SCRAM-SHA-256', 'bob', 'other')).resolves.toBe('bob');
    await expect(scramLogin(users, 'SCRAM-SHA-256', 'alice', 's3cret pass')).resolves.toBe('alice');
  });

  test('bad usage exits with 2 and a message', () => {
    const file = path.join(dir, 'users.json');
    const noUser = runTool(['--file', file], 'pw\n');
    expect(noUser.status).toBe(2);
    expect(noUser.stderr).toContain('sasl-user-tool: --user is required');
    expect(noUser.stderr).toContain('usage: sasl-user-tool');

    const unknownFlag = runTool(['--file', file, '--user', 'alice', '--password', 'pw'], '');
    expect(unknownFlag.status).toBe(2);
    expect(unknownFlag.stderr).toContain('sasl-user-tool: unexpected argument "--password"');

    const emptyPassword = runTool(['--file', file, '--user', 'alice'], '\n');
    expect(emptyPassword.status).toBe(2);
    expect(emptyPassword.stderr).toContain('the password (the first line of standard input) is empty');
    expect(() => statSync(file)).toThrow();
  });

  test('an invalid existing file is reported by name and left alone (exit 1)', () => {
    const file = path.join(dir, 'users.json');
    writeFileSync(file, '{"users": []}');
    const result = runTool(['--file', file, '--user', 'alice'], 'pw\n');
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`sasl-user-tool: ${file}: "users" must be an object of user names to credentials; got an array\n`);
    expect(readFileSync(file, 'utf8')).toBe('{"users": []}');
  });
});
