import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withUser } from '../../broker/auth/sasl-users';
import { ConfigError, envOf, flagOf, helpText, parseConfig, type BrokerConfig } from '../../broker/config';

const TLS_CERT = path.join(__dirname, '..', 'e2e', 'tls', 'broker.pem');
const TLS_KEY = path.join(__dirname, '..', 'e2e', 'tls', 'broker-key.pem');

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}): BrokerConfig => {
  const config = parseConfig(argv, env);
  if (config === 'help') throw new Error('unexpected help');
  return config;
};

describe('parseConfig', () => {
  test('defaults: one broker on 127.0.0.1:9092, WAL and objects under ./data', () => {
    expect(parse([])).toMatchObject({
      host: '127.0.0.1',
      port: 9092,
      advertisedHost: '127.0.0.1',
      dataDir: path.resolve('data'),
      walDir: path.resolve('data/wal'),
      objectStore: `file://${path.resolve('data/objects')}`,
      nodeId: 0,
      defaultPartitions: 1,
      autoCreateTopics: true,
      walCapacityMiB: 2048,
      uploadSizeMiB: 8,
      uploadAgeMs: 250,
      uploadConcurrency: 8,
      walSync: 'dsync',
      maxRequestBytes: 104857600,
      messageMaxBytes: 1048588,
      readCacheMiB: 128,
      logCacheMiB: 128,
      retentionCheckIntervalMs: 60000,
      objectDeleteDelayMs: 60000,
      s3PutThread: true,
    });
  });

  test('--s3-put-thread false keeps the S3 PUTs on the event loop', () => {
    expect(parse(['--s3-put-thread', 'false']).s3PutThread).toBe(false);
    expect(parse([], { DK_S3_PUT_THREAD: 'false' }).s3PutThread).toBe(false);
    expect(() => parse(['--s3-put-thread', 'maybe'])).toThrow(ConfigError);
  });

  test('the caches that bound memory are set by flag or variable', () => {
    expect(parse(['--log-cache-mib', '32', '--read-cache-mib', '16'])).toMatchObject({ logCacheMiB: 32, readCacheMiB: 16 });
    expect(parse([], { DK_LOG_CACHE_MIB: '8' }).logCacheMiB).toBe(8);
    // Each PUT in flight holds one object body.
    expect(parse(['--upload-concurrency', '16']).uploadConcurrency).toBe(16);
  });

  test('--data-dir moves the WAL and the objects unless they are given', () => {
    expect(parse(['--data-dir', '/tmp/x'])).toMatchObject({ walDir: '/tmp/x/wal', objectStore: 'file:///tmp/x/objects' });
    expect(parse(['--data-dir', '/tmp/x', '--wal-dir', '/mnt/fsx'])).toMatchObject({ walDir: '/mnt/fsx', objectStore: 'file:///tmp/x/objects' });
  });

  test('flags take --name value and --name=value', () => {
    expect(parse(['--port', '1234', '--node-id=7', '--object-store', 's3://bucket/prefix'])).toMatchObject({
      port: 1234,
      nodeId: 7,
      objectStore: 's3://bucket/prefix',
    });
  });

  test('every flag has a DK_ variable; the flag wins over it', () => {
    const env = { DK_HOST: '0.0.0.0', DK_PORT: '9999', DK_ZONE: 'eu-west-1a', DK_WAL_CAPACITY_MIB: '64', DK_AUTO_CREATE_TOPICS: 'false' };
    expect(parse([], env)).toMatchObject({ host: '0.0.0.0', port: 9999, zone: 'eu-west-1a', walCapacityMiB: 64, autoCreateTopics: false });
    expect(parse(['--port', '1'], env).port).toBe(1);
  });

  test('listening on all addresses advertises the machine name', () => {
    expect(parse(['--host', '0.0.0.0']).advertisedHost).toBe(os.hostname());
    expect(parse(['--host', '0.0.0.0', '--advertised-host', 'b1.internal']).advertisedHost).toBe('b1.internal');
  });

  test.each([
    ['wal-dir', 'DK_WAL_DIR'],
    ['object-store', 'DK_OBJECT_STORE'],
    ['advertised-host', 'DK_ADVERTISED_HOST'],
    ['node-id', 'DK_NODE_ID'],
    ['wal-capacity-mib', 'DK_WAL_CAPACITY_MIB'],
    ['cluster-id', 'DK_CLUSTER_ID'],
  ])('--%s is set by %s', (flag, env) => {
    const key = Object.keys(parse([])).find((k) => flagOf(k) === flag)!;
    expect(envOf(key)).toBe(env);
  });

  test('TLS: the certificate and key files come together, resolved; without them the listener is plaintext', () => {
    expect(parse([])).toMatchObject({ tlsCertFile: undefined, tlsKeyFile: undefined });
    const relative = path.relative(process.cwd(), TLS_CERT);
    expect(parse(['--tls-cert-file', relative], { DK_TLS_KEY_FILE: TLS_KEY })).toMatchObject({ tlsCertFile: TLS_CERT, tlsKeyFile: TLS_KEY });
  });

  test('metrics: no endpoint unless a port is given', () => {
    expect(parse([])).toMatchObject({ metricsPort: undefined });
    expect(parse([], { DK_METRICS_PORT: '9404' })).toMatchObject({ metricsPort: 9404 });
  });

  test('SASL: a users file that loads; a file that is not one is refused with its own message', async () => {
    expect(parse([])).toMatchObject({ saslUsersFile: undefined });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dk-config-sasl-'));
    const users = path.join(dir, 'users.json');
    writeFileSync(users, await withUser(undefined, 'alice', 'secret'));
    expect(parse([], { DK_SASL_USERS_FILE: users })).toMatchObject({ saslUsersFile: users });
    expect(() => parseConfig(['--sasl-users-file', TLS_CERT], {})).toThrow(
      `invalid --sasl-users-file: "${TLS_CERT}"; expected a valid users file (${TLS_CERT} is not valid JSON: `,
    );
    rmSync(dir, { recursive: true });
  });

  test('--help', () => {
    expect(parseConfig(['--port', '1', '--help'], {})).toBe('help');
    expect(helpText()).toContain('--wal-capacity-mib MIB');
    expect(helpText()).toContain('env DK_WAL_CAPACITY_MIB, default 2048');
  });

  test.each<[string[], NodeJS.ProcessEnv, string]>([
    [['--port', 'abc'], {}, 'invalid --port: "abc"; expected an integer from 0 to 65535'],
    [['--port', '70000'], {}, 'invalid --port: "70000"; expected an integer from 0 to 65535'],
    [[], { DK_NODE_ID: '-1' }, 'invalid DK_NODE_ID (environment): "-1"; expected an integer from 0 to 2147483647'],
    [['--auto-create-topics', 'yes'], {}, 'invalid --auto-create-topics: "yes"; expected true or false'],
    [['--object-store', 'http://x'], {}, 'invalid --object-store: "http://x"; expected file:///absolute/path or s3://bucket/prefix'],
    [['--object-store', 's3://ab'], {}, 'bucket names have at least 3 characters'],
    [['--s3-endpoint', 'localhost:9000'], {}, 'invalid --s3-endpoint: "localhost:9000"; expected an http:// or https:// URL'],
    [['--default-partitions', '0'], {}, 'invalid --default-partitions: "0"; expected an integer from 1 to 100000'],
    [['--upload-concurrency', '0'], {}, 'invalid --upload-concurrency: "0"; expected an integer from 1 to 256'],
    [['--wal-sync', 'fsync'], {}, 'invalid --wal-sync: "fsync"; expected fdatasync or dsync'],
    [['--retention-check-interval-ms', '10'], {}, 'invalid --retention-check-interval-ms: "10"; expected an integer from 100 to 86400000'],
    [[], { DK_OBJECT_DELETE_DELAY_MS: '-1' }, 'invalid DK_OBJECT_DELETE_DELAY_MS (environment): "-1"; expected an integer from 0 to 86400000'],
    [['--log-level', 'loud'], {}, 'expected fatal, error, warn, info, debug, trace, silent'],
    [['--bogus', '1'], {}, 'unknown flag --bogus (see --help)'],
    [['--port'], {}, 'flag --port needs a value'],
    [['--port', '1', '--port', '2'], {}, 'flag --port is given twice'],
    [['9092'], {}, 'unexpected argument "9092": flags look like --name value (see --help)'],
    [['--tls-cert-file', TLS_CERT], {}, 'invalid --tls-cert-file: "' + TLS_CERT + '"; expected a readable file, given together with --tls-key-file'],
    [['--tls-cert-file', '/no/such.pem', '--tls-key-file', TLS_KEY], {}, 'invalid --tls-cert-file: "/no/such.pem"; expected a readable file (ENOENT)'],
    [['--tls-client-ca-file', TLS_CERT], {}, 'expected a readable file, given with --tls-cert-file and --tls-key-file'],
    [['--metrics-port', '70000'], {}, 'invalid --metrics-port: "70000"; expected an integer from 0 to 65535'],
  ])('%j %j is refused: %s', (argv, env, message) => {
    expect(() => parseConfig(argv, env)).toThrow(ConfigError);
    expect(() => parseConfig(argv, env)).toThrow(message);
  });
});
