/**
 * A bare Kafka wire client for tests: sends requests encoded with the broker's own schemas (or raw
 * bytes) over a real socket and reads the response frames, so tests can check exactly what the
 * broker answers, in which order, and when it closes the connection.
 */
import { connect, type Socket } from 'node:net';
import { FrameDecoder } from '../../broker/protocol/framing';
import { encodeRequest, ResponseHeader } from '../../broker/protocol/messages/header';
import { Reader } from '../../broker/protocol/primitives';
import { decodeMessage, isFlexible, type Decoded, type Encodable, type MessageSchema } from '../../broker/protocol/schema';

export class WireClient {
  private readonly frames: Buffer[] = [];
  private readonly readers: ((frame: Buffer | undefined) => void)[] = [];
  private nextCorrelationId = 1;
  private ended = false;
  /** Resolves when the broker closes the connection (or it fails). */
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    const decoder = new FrameDecoder(1024 * 1024 * 1024);
    socket.pipe(decoder);
    decoder.on('data', (frame: Buffer) => {
      const reader = this.readers.shift();
      if (reader) reader(frame);
      else this.frames.push(frame);
    });
    this.closed = new Promise((resolve) => {
      const end = (): void => {
        this.ended = true;
        for (const reader of this.readers.splice(0)) reader(undefined);
        resolve();
      };
      socket.once('close', end);
      decoder.once('error', end);
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => resolve(new WireClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Encodes a request frame (header v1, or v2 for flexible versions) without sending it. */
  encode<M extends MessageSchema>(schema: M, version: number, body: Encodable<M>, correlationId = this.nextCorrelationId++): Buffer {
    return encodeRequest(schema, version, correlationId, 'wire-client', body);
  }

  /** Sends a request; returns its correlation id. */
  send<M extends MessageSchema>(schema: M, version: number, body: Encodable<M>): number {
    const correlationId = this.nextCorrelationId++;
    this.socket.write(this.encode(schema, version, body, correlationId));
    return correlationId;
  }

  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next response frame, or undefined once the connection is closed. */
  nextFrame(): Promise<Buffer | undefined> {
    const frame = this.frames.shift();
    if (frame) return Promise.resolve(frame);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.readers.push(resolve));
  }

  /** Reads the next response and decodes it (response header v0 unless flexible and not ApiVersions). */
  async receive<M extends MessageSchema>(schema: M, version: number): Promise<{ correlationId: number; body: Decoded<M> }> {
    const frame = await this.nextFrame();
    if (!frame) throw new Error(`connection closed before the ${schema.name} arrived`);
    const reader = new Reader(frame);
    const flexibleHeader = schema.apiKey !== 18 && isFlexible(schema, version);
    const { correlationId } = decodeMessage(ResponseHeader, flexibleHeader ? 1 : 0, reader);
    const body = decodeMessage(schema, version, reader) as Decoded<M>;
    if (reader.remaining !== 0) throw new Error(`${reader.remaining} bytes left after the ${schema.name}`);
    return { correlationId, body };
  }

  /** Sends one request and decodes its response. */
  async request<Req extends MessageSchema, Res extends MessageSchema>(
    request: Req,
    response: Res,
    version: number,
    body: Encodable<Req>,
  ): Promise<Decoded<Res>> {
    const correlationId = this.send(request, version, body);
    const answer = await this.receive(response, version);
    if (answer.correlationId !== correlationId) {
      throw new Error(`expected correlation id ${correlationId}, got ${answer.correlationId}`);
    }
    return answer.body;
  }

  close(): void {
    this.socket.destroy();
  }
}
