/**
 * The connection over real sockets: pipelining with in-order answers, requests without answers,
 * inbound backpressure, 'drain', graceful stop, and bad input that closes only its connection.
 */
import { defineApi, NO_RESPONSE, type ApiDefinition, type ApiDescription } from '../../../broker/api/api';
import { ApiRegistry, BROKER_APIS } from '../../../broker/api/registry';
import { createLogger } from '../../../broker/log';
import type { ApiKey } from '../../../broker/protocol/api-keys';
import { sizePrefix } from '../../../broker/protocol/framing';
import { ApiVersionsRequest, ApiVersionsResponse } from '../../../broker/protocol/messages/api-versions';
import { MetadataRequest, MetadataResponse } from '../../../broker/protocol/messages/metadata';
import { ProduceRequest, ProduceResponse } from '../../../broker/protocol/messages/produce';
import { buildRecordBatch } from '../../../broker/protocol/record-batch';
import { bytes, int32, message, type MessageSchema } from '../../../broker/protocol/schema';
import { startInProcessBroker, type InProcessBroker } from '../../support/in-process-broker';
import { MemoryStorage } from '../../support/memory-storage';
import type { ProduceRequestMemory } from '../../../broker/storage/storage';
import { WireClient } from '../../support/wire-client';

/** A key no Kafka API uses, for a test-only API. */
const HOLD_API_KEY = 1000 as ApiKey;

/** A test API whose handler waits until the test releases it, then answers with `size` bytes. */
const HoldRequest = message({
  name: 'HoldRequest',
  apiKey: HOLD_API_KEY,
  validVersions: '0',
  flexibleVersions: 'none',
  fields: { tag: int32('0+'), size: int32('0+'), answer: int32('0+') },
});
const HoldResponse = message({
  name: 'HoldResponse',
  apiKey: HOLD_API_KEY,
  validVersions: '0',
  flexibleVersions: 'none',
  fields: { tag: int32('0+'), payload: bytes('0+') },
});

interface Held {
  tag: number;
  release(): void;
}

type FieldsOf<M> = M extends MessageSchema<infer S> ? S : never;
type HoldDescription = ApiDescription<FieldsOf<typeof HoldRequest>, FieldsOf<typeof HoldResponse>>;

/** The test-only Hold API (version 0) with the given handler. */
function testApi(handle: HoldDescription['handle']): ApiDefinition {
  return defineApi({ key: HOLD_API_KEY, name: 'Hold', minVersion: 0, maxVersion: 0, request: HoldRequest, response: HoldResponse, handle });
}

function holdApi(held: Held[], autoRelease = false): ApiDefinition {
  return testApi(async (request) => {
    if (!autoRelease) await new Promise<void>((release) => held.push({ tag: request.tag, release }));
    else held.push({ tag: request.tag, release: () => undefined });
    if (request.answer === 0) return NO_RESPONSE;
    return { tag: request.tag, payload: Buffer.alloc(request.size, request.tag) };
  });
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** Log lines written by the broker, parsed. */
function capturedLog(): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('info', { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { lines, logger };
}

const produceBody = (topic: string, value: string, acks = -1) => ({
  transactionalId: null,
  acks,
  timeoutMs: 5000,
  topicData: [{ name: topic, partitionData: [{ index: 0, records: buildRecordBatch([{ value }]) }] }],
});

/** Read straight into the frames (direct-reads.ts), and piped: where a socket cannot be read directly. */
const READ_MODES: [string, boolean][] = [
  ['read straight into frames', true],
  ['piped', false],
];

describe('pipelining', () => {
  const held: Held[] = [];
  let broker: InProcessBroker;
  let client: WireClient;

  beforeAll(async () => {
    broker = await startInProcessBroker({ registry: new ApiRegistry([...BROKER_APIS, holdApi(held)]) });
    await broker.storage.createTopic('silent', 1, {});
  });
  afterAll(() => broker.stop());
  beforeEach(async () => {
    held.length = 0;
    client = await WireClient.connect(broker.port);
  });
  afterEach(() => client.close());

  test('answers strictly in request order when later requests finish first', async () => {
    const sent = [1, 2, 3].map((tag) => client.send(HoldRequest, 0, { tag, size: 1, answer: 1 }));
    await until(() => held.length === 3);
    const received: number[] = [];
    const reading = (async () => {
      for (let i = 0; i < 3; i++) received.push((await client.receive(HoldResponse, 0)).correlationId);
    })();
    // Finish the last request first, then the second, then the first.
    for (const tag of [3, 2, 1]) {
      held.find((h) => h.tag === tag)!.release();
      await new Promise((resolve) => setImmediate(resolve));
      if (tag !== 1) expect(received).toEqual([]);
    }
    await reading;
    expect(received).toEqual(sent);
  });

  test('a request without an answer keeps its place and writes nothing', async () => {
    client.send(HoldRequest, 0, { tag: 1, size: 1, answer: 0 });
    const second = client.send(HoldRequest, 0, { tag: 2, size: 1, answer: 1 });
    await until(() => held.length === 2);
    held[1].release();
    held[0].release();
    const answer = await client.receive(HoldResponse, 0);
    expect(answer.correlationId).toBe(second);
    expect(answer.body.tag).toBe(2);
  });

  test('produce with acks=0 is stored and not answered', async () => {
    // (A failing acks=0 produce closes the connection instead: see the api tests.)
    client.send(ProduceRequest, 7, produceBody('silent', 'v', 0));
    const metadata = await client.request(MetadataRequest, MetadataResponse, 1, { topics: [{ name: 'silent' }] });
    expect(metadata.topics[0].name).toBe('silent');
    await until(() => (broker.storage as MemoryStorage).appendCalls.some((c) => c.topic === 'silent'));
  });
});

describe.each(READ_MODES)('backpressure, %s', (_mode, readIntoFrames) => {
  /** Runs `use` with a broker that holds Hold requests, two in flight at most, and a client of it. */
  async function withTwoInFlight(use: (held: Held[], broker: InProcessBroker, client: WireClient) => Promise<void>): Promise<void> {
    const held: Held[] = [];
    const broker = await startInProcessBroker({
      registry: new ApiRegistry([...BROKER_APIS, holdApi(held)]),
      readIntoFrames,
      maxInFlightRequests: 2,
    });
    const client = await WireClient.connect(broker.port);
    try {
      await use(held, broker, client);
    } finally {
      client.close();
      await broker.stop();
    }
  }

  test('stops reading requests beyond the in-flight limit, and resumes', () =>
    withTwoInFlight(async (held, _broker, client) => {
      const sent = [1, 2, 3, 4, 5].map((tag) => client.send(HoldRequest, 0, { tag, size: 1, answer: 1 }));
      await until(() => held.length === 2);
      // Give the connection every chance to read more: it must not.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(held.map((h) => h.tag)).toEqual([1, 2]);
      const received: number[] = [];
      while (received.length < 5) {
        await until(() => held.length > 0);
        held.shift()!.release();
        received.push((await client.receive(HoldResponse, 0)).correlationId);
      }
      expect(received).toEqual(sent);
    }));

  // Read directly, the socket itself is paused. Piped, the decoder still reads on until it holds a
  // few whole frames and the one in progress (each at most the maximum request size).
  (readIntoFrames ? test : test.skip)('at the in-flight limit it stops reading the socket itself, not only parsing', () =>
    withTwoInFlight(async (held, broker, client) => {
      client.send(HoldRequest, 0, { tag: 1, size: 1, answer: 1 });
      client.send(HoldRequest, 0, { tag: 2, size: 1, answer: 1 });
      await until(() => held.length === 2);
      const before = broker.server.readStatistics.bytesReceived;
      // 8 MiB more: the kernel's buffers take some of it, the broker must not read it.
      client.sendRaw(Buffer.concat([sizePrefix(8 << 20), Buffer.alloc(8 << 20)]));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(broker.server.readStatistics.bytesReceived - before).toBeLessThan(256 * 1024);
      for (const h of held.splice(0)) h.release();
      // Reading resumes: the rest arrives (and, not being a request, closes the connection).
      await until(() => broker.server.readStatistics.bytesReceived - before >= 8 << 20);
    }));

  test("stops reading while responses wait for 'drain' from a client that does not read", async () => {
    const calls: Held[] = [];
    const broker = await startInProcessBroker({ registry: new ApiRegistry([...BROKER_APIS, holdApi(calls, true)]), readIntoFrames });
    const client = await WireClient.connect(broker.port);
    try {
      client.socket.pause();
      const count = 200;
      const size = 1024 * 1024;
      for (let tag = 1; tag <= count; tag++) client.send(HoldRequest, 0, { tag, size, answer: 1 });
      // Wait until the broker stops handling requests (socket buffers are full).
      let seen = -1;
      while (seen !== calls.length) {
        seen = calls.length;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(calls.length).toBeLessThan(count);
      client.socket.resume();
      for (let tag = 1; tag <= count; tag++) {
        const { body } = await client.receive(HoldResponse, 0);
        expect([body.tag, body.payload.length, body.payload[size - 1]]).toEqual([tag, size, tag % 256]);
      }
    } finally {
      client.close();
      await broker.stop();
    }
  });
});

// Read directly, the connection reuses its read buffer while the decoder keeps none of it; a frame
// still arriving keeps its bytes there, so that buffer must then be left to it.
describe.each(READ_MODES)('frames cut anywhere by the network, %s', (_mode, readIntoFrames) => {
  let broker: InProcessBroker;

  beforeAll(async () => {
    broker = await startInProcessBroker({ registry: new ApiRegistry([...BROKER_APIS, holdApi([], true)]), readIntoFrames });
  });
  afterAll(() => broker.stop());

  test('every request is read intact when its bytes come in pieces of every size, one read each', async () => {
    const client = await WireClient.connect(broker.port);
    try {
      const tags = Array.from({ length: 60 }, (_, i) => i + 1);
      // Pieces of 1 to 96 bytes cut these 30-byte requests anywhere: most reads end inside a frame.
      // A frame read from reused memory breaks the parse, the tag or the answer's size.
      const stream = Buffer.concat(tags.map((tag) => client.encode(HoldRequest, 0, { tag, size: tag, answer: 1 })));
      let sent = 0;
      for (let piece = 1; sent < stream.length; piece = (piece * 7 + 3) % 97) {
        client.sendRaw(stream.subarray(sent, sent + piece));
        sent += piece;
        // Let the broker read this piece on its own before the next arrives.
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      for (const tag of tags) {
        const answer = await client.receive(HoldResponse, 0);
        expect(answer.body.tag).toBe(tag);
        expect(answer.body.payload).toEqual(Buffer.alloc(tag, tag));
      }
    } finally {
      client.close();
    }
  });
});

describe('graceful stop', () => {
  test('answers in-flight requests, then closes, and refuses new connections', async () => {
    const held: Held[] = [];
    const broker = await startInProcessBroker({ registry: new ApiRegistry([...BROKER_APIS, holdApi(held)]) });
    const client = await WireClient.connect(broker.port);
    const idle = await WireClient.connect(broker.port);
    const correlationId = client.send(HoldRequest, 0, { tag: 9, size: 4, answer: 1 });
    await until(() => held.length === 1);
    const stopped = broker.stop();
    await idle.closed;
    await expect(WireClient.connect(broker.port)).rejects.toThrow('ECONNREFUSED');
    held[0].release();
    const answer = await client.receive(HoldResponse, 0);
    expect(answer.correlationId).toBe(correlationId);
    await client.closed;
    await stopped;
  });
});

describe("a handler's log", () => {
  test('names the request in every line, with one child logger per request', async () => {
    const log = capturedLog();
    const loggers: unknown[] = [];
    const loggingApi = testApi((request, context) => {
      context.log.info({ tag: request.tag }, 'first');
      context.log.info('second');
      loggers.push(context.log);
      return { tag: request.tag, payload: Buffer.alloc(0) };
    });
    const broker = await startInProcessBroker({ log: log.logger, registry: new ApiRegistry([...BROKER_APIS, loggingApi]) });
    const client = await WireClient.connect(broker.port);
    try {
      const first = client.send(HoldRequest, 0, { tag: 1, size: 0, answer: 1 });
      const second = client.send(HoldRequest, 0, { tag: 2, size: 0, answer: 1 });
      await client.receive(HoldResponse, 0);
      await client.receive(HoldResponse, 0);
      const lines = log.lines.filter((line) => line.msg === 'first' || line.msg === 'second');
      expect(lines).toEqual([
        expect.objectContaining({ msg: 'first', tag: 1, api: 'Hold', version: 0, correlationId: first, clientId: 'wire-client', component: 'connection' }),
        expect.objectContaining({ msg: 'second', api: 'Hold', version: 0, correlationId: first, clientId: 'wire-client' }),
        expect.objectContaining({ msg: 'first', tag: 2, api: 'Hold', correlationId: second }),
        expect.objectContaining({ msg: 'second', api: 'Hold', correlationId: second }),
      ]);
      expect(lines[0].remote).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(loggers[0]).not.toBe(loggers[1]);
    } finally {
      client.close();
      await broker.stop();
    }
  });
});

/** Request memory that gives a fresh buffer each time and counts what comes back. */
class CountingRequestMemory implements ProduceRequestMemory {
  readonly given = new Set<Buffer>();
  readonly outstanding = new Set<Buffer>();
  releasedTwice = 0;

  allocate(bytes: number): Buffer {
    const frame = Buffer.alloc(bytes);
    this.given.add(frame);
    this.outstanding.add(frame);
    return frame;
  }

  release(frame: Buffer): void {
    if (!this.outstanding.delete(frame) && this.given.has(frame)) this.releasedTwice++;
  }
}

class StorageWithRequestMemory extends MemoryStorage {
  readonly produceRequestMemory = new CountingRequestMemory();
}

describe.each(READ_MODES)('produce requests read into storage memory, %s', (_mode, readIntoFrames) => {
  let storage: StorageWithRequestMemory;
  let broker: InProcessBroker;

  beforeEach(async () => {
    storage = new StorageWithRequestMemory();
    broker = await startInProcessBroker({ storage, maxInFlightRequests: 2, readIntoFrames });
    await storage.createTopic('held', 1, {});
  });
  afterEach(() => broker.stop());

  test('each produce frame, and only those, is released once its request is done, answered or not', async () => {
    const client = await WireClient.connect(broker.port);
    try {
      await client.request(MetadataRequest, MetadataResponse, 1, { topics: [{ name: 'held' }] });
      for (let i = 0; i < 3; i++) client.send(ProduceRequest, 7, produceBody('held', `v${i}`));
      client.send(ProduceRequest, 7, produceBody('held', 'silent', 0));
      for (let i = 0; i < 3; i++) expect((await client.receive(ProduceResponse, 7)).body.responses[0].partitionResponses[0].errorCode).toBe(0);
      await until(() => storage.appendCalls.length === 4);
      await until(() => storage.produceRequestMemory.outstanding.size === 0);
      expect(storage.produceRequestMemory.given.size).toBe(4);
      expect(storage.produceRequestMemory.releasedTwice).toBe(0);
    } finally {
      client.close();
    }
  });

  test('a large produce request is read straight into its frame when the socket allows it', async () => {
    const client = await WireClient.connect(broker.port);
    try {
      const value = 'x'.repeat(512 * 1024);
      const answer = await client.request(ProduceRequest, ProduceResponse, 7, produceBody('held', value));
      expect(answer.responses[0].partitionResponses[0].errorCode).toBe(0);
      const { bytesReceived, bytesReadIntoFrames } = broker.server.readStatistics;
      expect(bytesReceived).toBeGreaterThan(512 * 1024);
      if (readIntoFrames) expect(bytesReadIntoFrames).toBeGreaterThan(256 * 1024);
      else expect(bytesReadIntoFrames).toBe(0);
    } finally {
      client.close();
    }
  });

  test('a connection that goes away releases every frame: running, waiting to be read, behind a broken frame, and not parsing', async () => {
    let resume: () => void = () => {};
    storage.stalled = new Promise((resolve) => (resume = resolve));
    const client = await WireClient.connect(broker.port);
    for (let i = 0; i < 30; i++) client.send(ProduceRequest, 7, produceBody('held', `v${i}`));
    // Two requests run (stalled), a few more frames wait in the decoder; then the client vanishes.
    await until(() => storage.appendCalls.length === 2 && storage.produceRequestMemory.given.size > 2);
    client.close();
    resume();
    await until(() => storage.produceRequestMemory.outstanding.size === 0);
    await until(() => broker.server.connectionCount === 0);
    expect(storage.produceRequestMemory.releasedTwice).toBe(0);

    // A frame that breaks the stream while frames wait in the decoder: the decoder fails, and the
    // waiting frames are released all the same.
    storage.stalled = new Promise((resolve) => (resume = resolve));
    const breaking = await WireClient.connect(broker.port);
    const before = storage.produceRequestMemory.given.size;
    for (let i = 0; i < 10; i++) breaking.send(ProduceRequest, 7, produceBody('held', `w${i}`));
    await until(() => storage.produceRequestMemory.given.size >= before + 4);
    breaking.sendRaw(sizePrefix(-1));
    await breaking.closed;
    resume();
    await until(() => storage.produceRequestMemory.outstanding.size === 0);
    expect(storage.produceRequestMemory.releasedTwice).toBe(0);

    const bad = await WireClient.connect(broker.port);
    bad.sendRaw(Buffer.concat([sizePrefix(12), Buffer.from('0000' + '0008' + '00000001' + 'ffff' + 'ffff', 'hex')]));
    await bad.closed;
    const given = storage.produceRequestMemory.given.size;
    expect(storage.produceRequestMemory.outstanding.size).toBe(0);
    expect(given).toBeGreaterThan(3);
  });
});

describe('bad input closes only its connection', () => {
  let broker: InProcessBroker;
  let log: ReturnType<typeof capturedLog>;

  beforeAll(async () => {
    log = capturedLog();
    broker = await startInProcessBroker({ log: log.logger, settings: { maxRequestBytes: 64 * 1024 } });
    await broker.storage.createTopic('steady', 1, {});
  });
  afterAll(() => broker.stop());

  const frame = (hex: string): Buffer => Buffer.concat([sizePrefix(hex.length / 2), Buffer.from(hex, 'hex')]);
  const cases: [string, (c: WireClient) => void, string][] = [
    ['a frame above the maximum size', (c) => c.sendRaw(sizePrefix(64 * 1024 + 1)), 'frame of 65537 bytes exceeds the maximum request size of 65536 bytes'],
    ['a negative frame size', (c) => c.sendRaw(Buffer.from('80000000', 'hex')), 'frame size prefix is negative'],
    ['a truncated frame', (c) => {
      c.sendRaw(Buffer.concat([sizePrefix(100), Buffer.alloc(10)]));
      c.socket.end();
    }, 'stream ended inside a frame: got 10 bytes, expected 100 bytes'],
    ['an unknown API key', (c) => c.sendRaw(frame('03e7' + '0000' + '00000001' + 'ffff')), 'unknown API key 999 (version 0)'],
    ['an unsupported version', (c) => c.sendRaw(frame('0000' + '0009' + '00000001' + 'ffff')), 'Produce version 9 is not supported (versions 0-8)'],
    ['a header shorter than 8 bytes', (c) => c.sendRaw(frame('0003')), 'malformed request: request of 2 bytes is shorter than a request header'],
    ['a body cut short', (c) => c.sendRaw(frame('0003' + '0001' + '00000001' + 'ffff' + '00000001' + '0005' + '6162')), 'malformed request: Metadata v1 request (correlation id 1): topics.name: string of 5 bytes needs 5 bytes at byte 16, but only 2 remain'],
    ['bytes after the body', (c) => c.sendRaw(frame('0003' + '0001' + '00000001' + 'ffff' + 'ffffffff' + 'aa')), 'Metadata v1 request has 1 bytes after its body'],
    ['random bytes', (c) => c.sendRaw(Buffer.from('474554202f20485454502f312e310d0a0d0a', 'hex')), 'exceeds the maximum request size'],
  ];

  test.each(cases)('%s', async (_name, misbehave, reason) => {
    const good = await WireClient.connect(broker.port);
    const bad = await WireClient.connect(broker.port);
    try {
      const before = await good.request(ProduceRequest, ProduceResponse, 7, produceBody('steady', 'before'));
      misbehave(bad);
      await bad.closed;
      expect(await bad.nextFrame()).toBeUndefined();
      const reasons = log.lines.filter((l) => l.msg === 'closing connection').map((l) => String(l.reason));
      expect(reasons).toContainEqual(expect.stringContaining(reason));
      const after = await good.request(ProduceRequest, ProduceResponse, 7, produceBody('steady', 'after'));
      expect(before.responses[0].partitionResponses[0].errorCode).toBe(0);
      expect(after.responses[0].partitionResponses[0].errorCode).toBe(0);
      expect(after.responses[0].partitionResponses[0].baseOffset).toBe(before.responses[0].partitionResponses[0].baseOffset + 1n);
    } finally {
      good.close();
      bad.close();
    }
  });

  test('a reset before any byte (a health check) is logged at debug level; a reset mid-frame at info', async () => {
    const debugLog: Record<string, unknown>[] = [];
    const logger = createLogger('debug', { write: (line: string) => debugLog.push(JSON.parse(line) as Record<string, unknown>) });
    const quiet = await startInProcessBroker({ log: logger });
    try {
      const resetAfter = async (bytes: Buffer): Promise<void> => {
        const client = await WireClient.connect(quiet.port);
        if (bytes.length > 0) client.sendRaw(bytes);
        await new Promise((resolve) => setTimeout(resolve, 50));
        client.socket.resetAndDestroy();
        await until(() => debugLog.filter((line) => line.msg === 'closing connection').length > (bytes.length > 0 ? 1 : 0));
      };
      await resetAfter(Buffer.alloc(0));
      await resetAfter(Buffer.concat([sizePrefix(100), Buffer.alloc(10)]));
      const closings = debugLog.filter((line) => line.msg === 'closing connection').map((line) => [line.level, line.reason]);
      expect(closings).toEqual([[20, 'socket error: ECONNRESET'], [30, 'socket error: ECONNRESET']]);
    } finally {
      await quiet.stop();
    }
  });

  test('an ApiVersions version we do not know gets a v0 answer with UNSUPPORTED_VERSION', async () => {
    const client = await WireClient.connect(broker.port);
    try {
      client.sendRaw(frame('0012' + '0063' + '0000002a' + '0001' + '78' + '00' + '0000'));
      const { correlationId, body } = await client.receive(ApiVersionsResponse, 0);
      expect(correlationId).toBe(42);
      expect(body.errorCode).toBe(35);
      expect(body.apiKeys).toContainEqual({ apiKey: 18, minVersion: 0, maxVersion: 3 });
      // The connection stays usable: the client retries with a version we know.
      const retry = await client.request(ApiVersionsRequest, ApiVersionsResponse, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
      expect(retry.errorCode).toBe(0);
    } finally {
      client.close();
    }
  });
});
