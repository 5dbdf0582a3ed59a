/**
 * The broker hosts' bootstrap with TLS and SASL (lib/private/broker-bootstrap.sh), run for real in
 * bash: it turns the certificate secret and the SASL users secret into files only the broker's
 * user can read and into DK_TLS_* and DK_SASL_* lines, and a real broker started from those lines
 * serves kcat over mutual TLS, and over SASL_SSL.
 *
 * Only the AWS CLI's answer is stood in for (Secrets Manager cannot be reached here): a shell
 * function `aws` that prints a secret when called with exactly the arguments the bootstrap should
 * use, and fails otherwise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { BrokerProcess, makeTempDir } from '../support/broker-process';
import { withUser } from '../../broker/auth/sasl-users';
import { kcat, kcatConsume, run } from './clients';

const REPO_ROOT = path.resolve(__dirname, '../..');
const BOOTSTRAP = path.join(REPO_ROOT, 'lib', 'private', 'broker-bootstrap.sh');
const TLS_DIR = path.join(__dirname, 'tls');
const pem = (name: string): string => readFileSync(path.join(TLS_DIR, name), 'utf8');
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:kafka/tls-AbCdEf';
const USERS_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:kafka/users-GhIjKl';

interface Bootstrap {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface BootstrapOptions {
  readonly tlsSecretArn?: string;
  readonly clientCaPem?: string;
  /** The users secret's value; none: no SASL. */
  readonly saslUsers?: string;
  readonly metricsPort?: number;
}

/**
 * Sources the bootstrap with the settings the user data would give it, then writes the credentials
 * and broker.env into `dir` as main() does (advertising 127.0.0.1, which the test certificate names).
 */
function bootstrap(dir: string, secretString: string, options: BootstrapOptions = {}): Bootstrap {
  const script = `
set -euo pipefail
readonly AWS_REGION_NAME=us-east-1 KAFKA_PORT=9092 CLUSTER_ID=tls-test WAL_MOUNT_POINT=/mnt/wal
readonly OBJECT_STORE_URL=s3://kafka-data/kafka LIFECYCLE_HOOK_NAME=diskless-kafka-drain
BROKER_UID=$(id -u); readonly BROKER_UID
readonly TLS_SECRET_ARN="$TEST_TLS_SECRET_ARN" CLIENT_CA_PEM="$TEST_CLIENT_CA_PEM" SASL_USERS_SECRET_ARN="$TEST_SASL_USERS_SECRET_ARN"
readonly METRICS_PORT="$TEST_METRICS_PORT"
source '${BOOTSTRAP}'
aws() {
  local expected="secretsmanager get-secret-value --region us-east-1 --secret-id"
  case "$*" in
    "$expected ${SECRET_ARN} --query SecretString --output text") printf '%s\\n' "$TEST_SECRET_STRING" ;;
    "$expected ${USERS_SECRET_ARN} --query SecretString --output text") printf '%s\\n' "$TEST_SASL_USERS" ;;
    *) return 1 ;;
  esac
}
if has_credentials; then write_credentials "$TEST_DIR/credentials"; fi
write_broker_env "$TEST_DIR" 127.0.0.1 10.0.1.5 us-east-1a brokers
`;
  const result = spawnSync('bash', ['-c', script], {
    encoding: 'utf8',
    env: {
      ...process.env,
      TEST_DIR: dir,
      TEST_SECRET_STRING: secretString,
      TEST_TLS_SECRET_ARN: options.tlsSecretArn ?? SECRET_ARN,
      TEST_CLIENT_CA_PEM: options.clientCaPem ?? '',
      TEST_SASL_USERS_SECRET_ARN: options.saslUsers === undefined ? '' : USERS_SECRET_ARN,
      TEST_SASL_USERS: options.saslUsers ?? '',
      TEST_METRICS_PORT: options.metricsPort === undefined ? '' : String(options.metricsPort),
    },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** broker.env as a map of its variables. */
function brokerEnv(dir: string): Map<string, string> {
  const lines = readFileSync(path.join(dir, 'broker.env'), 'utf8').trim().split('\n');
  return new Map(lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

const SECRET = JSON.stringify({ certificate: pem('broker.pem'), privateKey: pem('broker-key.pem') });

describe('the bootstrap with TLS and SASL', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = makeTempDir('dk-bootstrap-tls-');
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  describe('with client CAs (mutual TLS)', () => {
    const dir = tempDir();
    let result: Bootstrap;
    let broker: BrokerProcess | undefined;
    beforeAll(() => {
      result = bootstrap(dir, SECRET, { clientCaPem: pem('client-ca.pem').trimEnd() });
    });
    afterAll(async () => {
      await broker?.stop();
      broker?.removeDataDir();
    });

    test('writes the certificate, key and client CAs, readable by the broker user only, and nothing of them to the log', () => {
      expect(result).toMatchObject({ status: 0, stdout: '' });
      expect(readFileSync(path.join(dir, 'credentials', 'cert.pem'), 'utf8')).toBe(pem('broker.pem'));
      expect(readFileSync(path.join(dir, 'credentials', 'key.pem'), 'utf8')).toBe(pem('broker-key.pem'));
      expect(readFileSync(path.join(dir, 'credentials', 'client-ca.pem'), 'utf8')).toBe(pem('client-ca.pem'));
      expect(statSync(path.join(dir, 'credentials')).mode & 0o777).toBe(0o700);
      for (const file of ['cert.pem', 'key.pem', 'client-ca.pem']) {
        const stat = statSync(path.join(dir, 'credentials', file));
        expect({ file, mode: stat.mode & 0o777, uid: stat.uid }).toEqual({ file, mode: 0o400, uid: process.getuid!() });
      }
      expect(result.stderr).not.toContain('PRIVATE KEY');
    });

    test('broker.env points the broker at them', () => {
      const env = brokerEnv(dir);
      expect(env.get('DK_TLS_CERT_FILE')).toBe(path.join(dir, 'credentials', 'cert.pem'));
      expect(env.get('DK_TLS_KEY_FILE')).toBe(path.join(dir, 'credentials', 'key.pem'));
      expect(env.get('DK_TLS_CLIENT_CA_FILE')).toBe(path.join(dir, 'credentials', 'client-ca.pem'));
      expect(env.get('DK_ADVERTISED_HOST')).toBe('127.0.0.1');
      expect(env.get('DK_NODE_ID')).toBe('167772421');
    });

    test('a broker configured by those lines serves kcat with a client certificate and refuses one without', async () => {
      const env = brokerEnv(dir);
      const tlsEnv = Object.fromEntries([...env].filter(([name]) => name.startsWith('DK_TLS_') || name === 'DK_ADVERTISED_HOST'));
      broker = await BrokerProcess.start({ env: tlsEnv });
      const ssl = ['-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${path.join(TLS_DIR, 'ca.pem')}`];
      const mutual = [...ssl, '-X', `ssl.certificate.location=${path.join(TLS_DIR, 'client.pem')}`, '-X', `ssl.key.location=${path.join(TLS_DIR, 'client-key.pem')}`];
      await kcat(broker.bootstrap, [...mutual, '-P', '-t', 'from-bootstrap'], { input: 'hello\n' });
      expect((await kcatConsume(broker.bootstrap, 'from-bootstrap', mutual)).map((m) => m.payload)).toEqual(['hello']);
      const anonymous = await run('kcat', ['-b', broker.bootstrap, ...ssl, '-L'], { timeoutMs: 30_000 });
      expect(anonymous.code).not.toBe(0);
      await broker.waitForLog((line) => line.msg === 'closing connection' && /ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE/.test(String(line.reason)), 10_000);
    });
  });

  test('without client CAs: no client-ca.pem and no DK_TLS_CLIENT_CA_FILE', () => {
    const dir = tempDir();
    expect(bootstrap(dir, SECRET).status).toBe(0);
    expect(existsSync(path.join(dir, 'credentials', 'client-ca.pem'))).toBe(false);
    const env = brokerEnv(dir);
    expect(env.has('DK_TLS_CERT_FILE')).toBe(true);
    expect(env.has('DK_TLS_CLIENT_CA_FILE')).toBe(false);
  });

  describe('with SASL users as well (SASL_SSL)', () => {
    const dir = tempDir();
    let result: Bootstrap;
    let broker: BrokerProcess | undefined;
    let users: string;
    beforeAll(async () => {
      users = await withUser(undefined, 'alice', 'secret');
      result = bootstrap(dir, SECRET, { saslUsers: users });
    });
    afterAll(async () => {
      await broker?.stop();
      broker?.removeDataDir();
    });

    test('writes the users file beside the certificate, readable by the broker user only, and points broker.env at it', () => {
      expect(result).toMatchObject({ status: 0, stdout: '' });
      const file = path.join(dir, 'credentials', 'sasl-users.json');
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(users));
      expect(statSync(file).mode & 0o777).toBe(0o400);
      expect(brokerEnv(dir).get('DK_SASL_USERS_FILE')).toBe(file);
      expect(result.stderr).not.toContain('storedKey');
    });

    test('a broker configured by those lines serves kcat over SASL_SSL', async () => {
      const env = Object.fromEntries([...brokerEnv(dir)].filter(([name]) => name.startsWith('DK_TLS_') || name.startsWith('DK_SASL_')));
      broker = await BrokerProcess.start({ env });
      const settings = ['-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${path.join(TLS_DIR, 'ca.pem')}`,
        '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=alice', '-X', 'sasl.password=secret'];
      await kcat(broker.bootstrap, [...settings, '-P', '-t', 'sasl-from-bootstrap'], { input: 'hello\n' });
      expect((await kcatConsume(broker.bootstrap, 'sasl-from-bootstrap', settings)).map((m) => m.payload)).toEqual(['hello']);
    });
  });

  test('SASL without TLS: only the users file, and no DK_TLS_* line', async () => {
    const dir = tempDir();
    expect(bootstrap(dir, '', { tlsSecretArn: '', saslUsers: await withUser(undefined, 'bob', 'pw') }).status).toBe(0);
    expect(readdirSync(path.join(dir, 'credentials'))).toEqual(['sasl-users.json']);
    const names = [...brokerEnv(dir).keys()];
    expect(names).toContain('DK_SASL_USERS_FILE');
    expect(names.filter((name) => name.startsWith('DK_TLS_'))).toEqual([]);
  });

  test.each([
    ['that is not JSON', 'alice:secret', 'diskless-kafka bootstrap: the SASL users secret is not JSON'],
    ['with no user in it', '{"users": {}}', 'diskless-kafka bootstrap: the SASL users secret has no "users" object with a user in it'],
  ])('a SASL users secret %s fails the boot, saying why', (_name, saslUsers, message) => {
    const dir = tempDir();
    const result = bootstrap(dir, '', { tlsSecretArn: '', saslUsers });
    expect(result.status).not.toBe(0);
    expect(result.stderr.trim()).toBe(message);
    expect(existsSync(path.join(dir, 'broker.env'))).toBe(false);
  });

  test('a metrics port becomes DK_METRICS_PORT', () => {
    const dir = tempDir();
    expect(bootstrap(dir, '', { tlsSecretArn: '', metricsPort: 9404 }).status).toBe(0);
    expect(brokerEnv(dir).get('DK_METRICS_PORT')).toBe('9404');
  });

  test('without TLS, SASL or metrics: no credentials and no DK_TLS_*, DK_SASL_* or DK_METRICS_PORT line', () => {
    const dir = tempDir();
    expect(bootstrap(dir, '', { tlsSecretArn: '' }).status).toBe(0);
    expect([...brokerEnv(dir).keys()].filter((name) => name.startsWith('DK_TLS_') || name.startsWith('DK_SASL_') || name === 'DK_METRICS_PORT')).toEqual([]);
    expect(existsSync(path.join(dir, 'credentials'))).toBe(false);
  });

  test.each([
    ['not JSON', 'certificate=...', 'diskless-kafka bootstrap: the TLS secret is not JSON'],
    ['no private key', JSON.stringify({ certificate: pem('broker.pem') }), 'diskless-kafka bootstrap: the TLS secret has no unencrypted PEM key in its "privateKey" field'],
    ['an encrypted key', JSON.stringify({ certificate: pem('broker.pem'), privateKey: '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n' }),
      'diskless-kafka bootstrap: the TLS secret has no unencrypted PEM key in its "privateKey" field'],
    ['the key where the certificate belongs', JSON.stringify({ certificate: pem('broker-key.pem'), privateKey: pem('broker-key.pem') }),
      'diskless-kafka bootstrap: the TLS secret has no unencrypted PEM cert in its "certificate" field'],
  ])('a secret with %s fails the boot, saying why, and writes no broker.env', (_name, secretString, message) => {
    const dir = tempDir();
    const result = bootstrap(dir, secretString);
    expect(result.status).not.toBe(0);
    expect(result.stderr.trim()).toBe(message);
    expect(existsSync(path.join(dir, 'broker.env'))).toBe(false);
  });
});
