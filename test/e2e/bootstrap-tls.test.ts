/**
 * The broker hosts' bootstrap with TLS (lib/private/broker-bootstrap.sh), run for real in bash: it
 * turns the certificate secret into files only the broker's user can read and into DK_TLS_*
 * lines, and a real broker started from those lines serves kcat over mutual TLS.
 *
 * Only the AWS CLI's answer is stood in for (Secrets Manager cannot be reached here): a shell
 * function `aws` that prints the secret when called with exactly the arguments the bootstrap
 * should use, and fails otherwise.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { BrokerProcess, makeTempDir } from '../support/broker-process';
import { kcat, kcatConsume, run } from './clients';

const REPO_ROOT = path.resolve(__dirname, '../..');
const BOOTSTRAP = path.join(REPO_ROOT, 'lib', 'private', 'broker-bootstrap.sh');
const TLS_DIR = path.join(__dirname, 'tls');
const pem = (name: string): string => readFileSync(path.join(TLS_DIR, name), 'utf8');
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:kafka/tls-AbCdEf';

interface Bootstrap {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Sources the bootstrap with the settings the user data would give it, then writes the TLS files
 * and broker.env into `dir` as main() does (advertising 127.0.0.1, which the test certificate names).
 */
function bootstrap(dir: string, secretString: string, options: { clientCaPem?: string; tlsSecretArn?: string } = {}): Bootstrap {
  const script = `
set -euo pipefail
readonly AWS_REGION_NAME=us-east-1 KAFKA_PORT=9092 CLUSTER_ID=tls-test WAL_MOUNT_POINT=/mnt/wal
readonly OBJECT_STORE_URL=s3://kafka-data/kafka LIFECYCLE_HOOK_NAME=diskless-kafka-drain
BROKER_UID=$(id -u); readonly BROKER_UID
readonly TLS_SECRET_ARN="$TEST_TLS_SECRET_ARN" CLIENT_CA_PEM="$TEST_CLIENT_CA_PEM"
source '${BOOTSTRAP}'
aws() {
  [[ "$*" == "secretsmanager get-secret-value --region us-east-1 --secret-id ${SECRET_ARN} --query SecretString --output text" ]] || return 1
  printf '%s\\n' "$TEST_SECRET_STRING"
}
if [[ -n "\${TLS_SECRET_ARN}" ]]; then write_tls_files "$TEST_DIR/tls"; fi
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

describe('the bootstrap with TLS', () => {
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
      expect(readFileSync(path.join(dir, 'tls', 'cert.pem'), 'utf8')).toBe(pem('broker.pem'));
      expect(readFileSync(path.join(dir, 'tls', 'key.pem'), 'utf8')).toBe(pem('broker-key.pem'));
      expect(readFileSync(path.join(dir, 'tls', 'client-ca.pem'), 'utf8')).toBe(pem('client-ca.pem'));
      expect(statSync(path.join(dir, 'tls')).mode & 0o777).toBe(0o700);
      for (const file of ['cert.pem', 'key.pem', 'client-ca.pem']) {
        const stat = statSync(path.join(dir, 'tls', file));
        expect({ file, mode: stat.mode & 0o777, uid: stat.uid }).toEqual({ file, mode: 0o400, uid: process.getuid!() });
      }
      expect(result.stderr).not.toContain('PRIVATE KEY');
    });

    test('broker.env points the broker at them', () => {
      const env = brokerEnv(dir);
      expect(env.get('DK_TLS_CERT_FILE')).toBe(path.join(dir, 'tls', 'cert.pem'));
      expect(env.get('DK_TLS_KEY_FILE')).toBe(path.join(dir, 'tls', 'key.pem'));
      expect(env.get('DK_TLS_CLIENT_CA_FILE')).toBe(path.join(dir, 'tls', 'client-ca.pem'));
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
    expect(existsSync(path.join(dir, 'tls', 'client-ca.pem'))).toBe(false);
    const env = brokerEnv(dir);
    expect(env.has('DK_TLS_CERT_FILE')).toBe(true);
    expect(env.has('DK_TLS_CLIENT_CA_FILE')).toBe(false);
  });

  test('without TLS: no DK_TLS_* line', () => {
    const dir = tempDir();
    expect(bootstrap(dir, '', { tlsSecretArn: '' }).status).toBe(0);
    expect([...brokerEnv(dir).keys()].filter((name) => name.startsWith('DK_TLS_'))).toEqual([]);
    expect(existsSync(path.join(dir, 'tls'))).toBe(false);
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
