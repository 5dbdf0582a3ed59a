/**
 * TLS (Kafka's SSL security protocol) against a real broker process started with
 * --tls-cert-file/--tls-key-file: kcat (librdkafka, OpenSSL) and kafkajs (Node.js) verify the
 * broker's certificate against the test CA and produce and consume through it; a client that does
 * not trust the CA is refused; a plaintext client and garbage close only their own connection.
 *
 * With --tls-client-ca-file (mutual TLS), clients must also present a certificate that CA signed.
 *
 * The certificates in tls/ are for these tests only: ca.pem (its key was thrown away) signed
 * broker.pem (CN localhost, SAN localhost and 127.0.0.1, valid until 2126), whose key is
 * broker-key.pem; client-ca.pem (its key thrown away too) signed client.pem (CN test-client, client
 * authentication), whose key is client-key.pem.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerProcess } from '../support/broker-process';
import { kcat, kcatConsume, run } from './clients';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const TLS_DIR = path.join(__dirname, 'tls');
const CA = path.join(TLS_DIR, 'ca.pem');
const KCAT_SSL = ['-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${CA}`];
const CLIENT_CERT = path.join(TLS_DIR, 'client.pem');
const CLIENT_KEY = path.join(TLS_DIR, 'client-key.pem');
const KCAT_MTLS = [...KCAT_SSL, '-X', `ssl.certificate.location=${CLIENT_CERT}`, '-X', `ssl.key.location=${CLIENT_KEY}`];
const BROKER_TLS_ARGS = ['--tls-cert-file', path.join(TLS_DIR, 'broker.pem'), '--tls-key-file', path.join(TLS_DIR, 'broker-key.pem')];

describe('TLS', () => {
  let broker: BrokerProcess;

  beforeAll(async () => {
    broker = await BrokerProcess.start({ args: BROKER_TLS_ARGS });
  });
  afterAll(async () => {
    await broker?.stop();
    broker?.removeDataDir();
  });

  test('kcat produces and consumes over TLS, verifying the broker against the CA', async () => {
    await kcat(broker.bootstrap, [...KCAT_SSL, '-P', '-t', 'secure', '-K', ':', '-Z'], { input: 'k1:hello\nk2:\nk3:world\n' });
    const messages = await kcatConsume(broker.bootstrap, 'secure', KCAT_SSL);
    expect(messages.map(({ offset, key, payload }) => ({ offset, key, payload }))).toEqual([
      { offset: 0, key: 'k1', payload: 'hello' },
      { offset: 1, key: 'k2', payload: null },
      { offset: 2, key: 'k3', payload: 'world' },
    ]);
    expect(broker.logs.find((line) => line.msg === 'broker started')?.config).toMatchObject({ tlsCertFile: path.join(TLS_DIR, 'broker.pem') });
  });

  test('kafkajs produces (idempotent) and reads back over TLS', async () => {
    const kafka = new Kafka({ clientId: 'tls', brokers: [broker.bootstrap], ssl: { ca: [readFileSync(CA)] }, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const [sent] = await producer.send({ topic: 'secure-js', acks: -1, messages: [{ key: 'a', value: 'over tls' }] });
    await producer.disconnect();
    expect(sent.errorCode).toBe(0);
    const messages = await kcatConsume(broker.bootstrap, 'secure-js', KCAT_SSL);
    expect(messages.map(({ key, payload }) => [key, payload])).toEqual([['a', 'over tls']]);
  });

  test('a client that does not trust the CA is refused; plaintext and garbage close only their own connection', async () => {
    // librdkafka with the system's CAs: the handshake fails on the client's side, nothing is produced.
    const untrusting = await run('kcat', ['-b', broker.bootstrap, '-X', 'security.protocol=ssl', '-P', '-t', 'never', '-m', '5'], {
      input: 'x\n',
      timeoutMs: 30_000,
    });
    expect(untrusting.code).not.toBe(0);
    expect(untrusting.stderr).toMatch(/certificate verify failed|SSL handshake failed/);

    // A plaintext Kafka request and random bytes on the TLS port: the broker closes those sockets.
    for (const bytes of [Buffer.from('0000000d00120003000000010004e2e2', 'hex'), randomBytes(2048)]) {
      const closed = await new Promise<boolean>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port: broker.port }, () => socket.write(bytes));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(true));
        setTimeout(() => resolve(false), 10_000).unref();
      });
      expect(closed).toBe(true);
    }
    expect(broker.running).toBe(true);
    // Each was a failed handshake, logged with the connection (the lines may still be on their way).
    const handshakeFailures = (): number =>
      broker.logs.filter((line) => line.msg === 'closing connection' && /socket error: ERR_SSL_/.test(String(line.reason))).length;
    for (const deadline = Date.now() + 10_000; handshakeFailures() < 3 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(handshakeFailures()).toBeGreaterThanOrEqual(3); // kcat may have tried more than once
    // The broker still serves TLS clients.
    await kcat(broker.bootstrap, [...KCAT_SSL, '-P', '-t', 'after-garbage'], { input: 'still here\n' });
    expect((await kcatConsume(broker.bootstrap, 'after-garbage', KCAT_SSL)).map((m) => m.payload)).toEqual(['still here']);
    // The refused client never got as far as a request: its topic was not even auto-created.
    const { stdout } = await kcat(broker.bootstrap, [...KCAT_SSL, '-L', '-J']);
    const topics = (JSON.parse(stdout) as { topics: { topic: string }[] }).topics.map((t) => t.topic);
    expect(topics).toContain('after-garbage');
    expect(topics).not.toContain('never');
  });
});

describe('mutual TLS', () => {
  let broker: BrokerProcess;

  beforeAll(async () => {
    broker = await BrokerProcess.start({ args: [...BROKER_TLS_ARGS, '--tls-client-ca-file', path.join(TLS_DIR, 'client-ca.pem')] });
  });
  afterAll(async () => {
    await broker?.stop();
    broker?.removeDataDir();
  });

  test('clients with a certificate the client CA signed produce and consume; kcat and kafkajs', async () => {
    await kcat(broker.bootstrap, [...KCAT_MTLS, '-P', '-t', 'mutual'], { input: 'from kcat\n' });
    const kafka = new Kafka({
      clientId: 'mtls',
      brokers: [broker.bootstrap],
      ssl: { ca: [readFileSync(CA)], cert: readFileSync(CLIENT_CERT), key: readFileSync(CLIENT_KEY) },
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'mutual', acks: -1, messages: [{ value: 'from kafkajs' }] });
    await producer.disconnect();
    expect((await kcatConsume(broker.bootstrap, 'mutual', KCAT_MTLS)).map((m) => m.payload)).toEqual(['from kcat', 'from kafkajs']);
  });

  test('a client without a certificate is refused before any request', async () => {
    const anonymous = await run('kcat', ['-b', broker.bootstrap, ...KCAT_SSL, '-P', '-t', 'anonymous', '-m', '5'], { input: 'x\n', timeoutMs: 30_000 });
    expect(anonymous.code).not.toBe(0);
    const { stdout } = await kcat(broker.bootstrap, [...KCAT_MTLS, '-L', '-J']);
    expect((JSON.parse(stdout) as { topics: { topic: string }[] }).topics.map((t) => t.topic)).not.toContain('anonymous');
    await broker.waitForLog((line) => line.msg === 'closing connection' && /socket error: ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE/.test(String(line.reason)), 10_000);
  });
});
