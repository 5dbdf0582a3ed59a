/**
 * Bad input against a real broker process: oversized frames, truncated frames, malformed requests
 * and random bytes each close only their own connection, with a log line saying why, while a
 * kafkajs producer on another connection keeps producing successfully the whole time.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { sizePrefix } from '../../broker/protocol/framing';
import { BrokerProcess } from '../support/broker-process';
import { WireClient } from '../support/wire-client';
import { kcatConsume } from './clients';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const frame = (hex: string): Buffer => Buffer.concat([sizePrefix(hex.length / 2), Buffer.from(hex, 'hex')]);

const ATTACKS: [string, (client: WireClient) => void][] = [
  ['oversized frame', (c) => c.sendRaw(sizePrefix(64 * 1024 * 1024 + 1))],
  ['negative size', (c) => c.sendRaw(Buffer.from('fffffff0', 'hex'))],
  ['truncated frame', (c) => {
    c.sendRaw(Buffer.concat([sizePrefix(1000), randomBytes(100)]));
    c.socket.end();
  }],
  ['unknown API key', (c) => c.sendRaw(frame('7fff000000000001ffff'))],
  ['unsupported version', (c) => c.sendRaw(frame('000100630000000100017800'))],
  ['malformed Metadata body', (c) => c.sendRaw(frame('0003000100000001ffff' + '0000ffff'))],
  ['HTTP request', (c) => c.sendRaw(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))],
  // Random bytes may announce a frame longer than what follows: ending the stream makes that a
  // truncated frame instead of a connection that waits for more.
  ['random bytes', (c) => {
    c.sendRaw(randomBytes(4096));
    c.socket.end();
  }],
];

describe('bad input', () => {
  let broker: BrokerProcess;

  beforeAll(async () => {
    broker = await BrokerProcess.start({ args: ['--max-request-bytes', String(64 * 1024 * 1024)] });
  });
  afterAll(async () => {
    await broker?.stop();
    broker?.removeDataDir();
  });

  test('closes only the offending connections while another client keeps producing', async () => {
    const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    let sent = 0;
    let stop = false;
    const producing = (async () => {
      while (!stop) {
        await producer.send({ topic: 'steady', acks: -1, messages: [{ value: `m${sent}` }] });
        sent++;
      }
    })();

    for (const [name, attack] of ATTACKS) {
      for (let round = 0; round < 3; round++) {
        const client = await WireClient.connect(broker.port);
        attack(client);
        await client.closed;
        expect([name, await client.nextFrame()]).toEqual([name, undefined]);
      }
    }
    stop = true;
    await producing;
    await producer.disconnect();

    expect(broker.running).toBe(true);
    const closes = broker.logs.filter((line) => line.msg === 'closing connection').map((line) => String(line.reason));
    expect(closes.length).toBeGreaterThanOrEqual(ATTACKS.length * 3 - 3); // random bytes may look like anything
    expect(closes).toContainEqual(expect.stringContaining('exceeds the maximum request size of 67108864 bytes'));
    expect(closes).toContainEqual(expect.stringContaining('stream ended inside a frame'));
    expect(closes).toContainEqual(expect.stringContaining('unknown API key 32767'));
    expect(closes).toContainEqual(expect.stringContaining('Fetch version 99 is not supported'));
    expect(closes).toContainEqual(expect.stringContaining('malformed request: Metadata v1 request'));

    const stored = await kcatConsume(broker.bootstrap, 'steady');
    expect(stored.map((m) => m.payload)).toEqual(Array.from({ length: sent }, (_, i) => `m${i}`));
    expect(sent).toBeGreaterThan(0);
  });
});
