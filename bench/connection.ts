/**
 * A minimal pipelined Kafka connection for the benchmark, on the broker's own protocol codec:
 * requests go out as soon as they are made, responses come back in order (Kafka answers a
 * connection's requests in order), so many requests can be in flight with little client overhead.
 */
import { connect, type Socket } from 'node:net';
import { FrameDecoder } from '../broker/protocol/framing';
import { encodeRequest, REQUEST_FRAME_CORRELATION_ID_OFFSET, ResponseHeader } from '../broker/protocol/messages/header';
import { Reader } from '../broker/protocol/primitives';
import { decodeMessage, type Decoded, type Encodable, type MessageSchema } from '../broker/protocol/schema';

export class BenchConnection {
  private readonly waiting: ((frame: Buffer) => void)[] = [];
  private nextCorrelationId = 1;

  private constructor(private readonly socket: Socket) {
    const frames = new FrameDecoder(1 << 30);
    socket.pipe(frames);
    frames.on('data', (frame: Buffer) => this.waiting.shift()?.(frame));
    socket.on('error', (error) => {
      throw error;
    });
  }

  static open(port: number, host = '127.0.0.1'): Promise<BenchConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host, noDelay: true }, () => resolve(new BenchConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** A whole request frame (the bench sends non-flexible versions: header v1). Its correlation id is set when sent. */
  static frame<M extends MessageSchema>(schema: M, version: number, body: Encodable<M>): Buffer {
    return encodeRequest(schema, version, 0, 'bench', body);
  }

  /** Sends a prepared frame (stamping a fresh correlation id into it); resolves with the response body bytes. */
  sendFrame(frame: Buffer): Promise<Reader> {
    frame.writeInt32BE(this.nextCorrelationId++, REQUEST_FRAME_CORRELATION_ID_OFFSET);
    return new Promise((resolve) => {
      this.waiting.push((response) => {
        const reader = new Reader(response);
        decodeMessage(ResponseHeader, 0, reader);
        resolve(reader);
      });
      this.socket.write(frame);
    });
  }

  async request<Req extends MessageSchema, Res extends MessageSchema>(
    request: Req,
    response: Res,
    version: number,
    body: Encodable<Req>,
  ): Promise<Decoded<Res>> {
    const reader = await this.sendFrame(BenchConnection.frame(request, version, body));
    return decodeMessage(response, version, reader) as Decoded<Res>;
  }

  close(): void {
    this.socket.destroy();
  }
}
