/**
 * Kafka frames every request and response with an int32 size prefix (not counting itself).
 *
 * FrameDecoder is a stream stage: bytes in, whole frames out (one Buffer per frame, without the
 * prefix). It refuses a frame above the maximum size as soon as its prefix arrives, before
 * buffering anything, and reports a stream that ends in the middle of a frame. Being a Transform,
 * it passes backpressure through: when nobody reads frames, it stops reading bytes.
 *
 * Each frame is copied out of the socket's chunks once: into memory the owner allocates for it
 * (`allocate`, given the frame's size and its request's API key: the broker reads produce requests
 * into its log cache), or else into a buffer of its own, so that storage keeping a produced batch
 * does not pin a larger socket chunk.
 */
import { Transform, type TransformCallback } from 'node:stream';

const SIZE_PREFIX_BYTES = 4;
/** A request header starts with its API key, an int16. */
const API_KEY_BYTES = 2;

export type FrameErrorReason = 'oversized' | 'negative-size' | 'truncated';

export class FrameError extends Error {
  constructor(
    readonly reason: FrameErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

export class FrameDecoder extends Transform {
  /** Received bytes not yet emitted as a frame. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Size of the frame being assembled, once its prefix is known. */
  private frameSize: number | undefined;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly allocate: (bytes: number, apiKey: number) => Buffer | undefined = () => undefined,
  ) {
    // Frames are emitted as objects; the readable side buffers a handful of them at most.
    super({ readableObjectMode: true, readableHighWaterMark: 4 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    try {
      this.emitWholeFrames();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.pendingBytes === 0) {
      callback();
      return;
    }
    const expected = this.frameSize === undefined ? `a ${SIZE_PREFIX_BYTES}-byte size prefix` : `${this.frameSize} bytes`;
    callback(new FrameError('truncated', `stream ended inside a frame: got ${this.pendingBytes} bytes, expected ${expected}`));
  }

  private emitWholeFrames(): void {
    for (;;) {
      if (this.frameSize === undefined) {
        if (this.pendingBytes < SIZE_PREFIX_BYTES) return;
        const size = this.takeBytes(SIZE_PREFIX_BYTES, Buffer.allocUnsafe(SIZE_PREFIX_BYTES)).readInt32BE(0);
        if (size < 0) throw new FrameError('negative-size', `frame size prefix is negative (${size})`);
        if (size > this.maxFrameBytes) {
          throw new FrameError('oversized', `frame of ${size} bytes exceeds the maximum request size of ${this.maxFrameBytes} bytes`);
        }
        this.frameSize = size;
      }
      if (this.pendingBytes < this.frameSize) return;
      const size = this.frameSize;
      const apiKey = size >= API_KEY_BYTES ? this.peekInt16() : -1;
      const frame = this.takeBytes(size, this.allocate(size, apiKey) ?? Buffer.allocUnsafeSlow(size));
      this.frameSize = undefined;
      this.push(frame);
    }
  }

  /** The int16 at the front of the pending chunks (a request's API key), which may span two of them. */
  private peekInt16(): number {
    let value = 0;
    let taken = 0;
    for (const chunk of this.pending) {
      for (let i = 0; i < chunk.length && taken < API_KEY_BYTES; i++, taken++) value = (value << 8) | chunk[i];
      if (taken === API_KEY_BYTES) break;
    }
    return (value << 16) >> 16;
  }

  /** Moves `size` bytes from the front of the pending chunks into `out`. */
  private takeBytes(size: number, out: Buffer): Buffer {
    let filled = 0;
    while (filled < size) {
      const head = this.pending[0];
      const n = Math.min(head.length, size - filled);
      head.copy(out, filled, 0, n);
      filled += n;
      if (n === head.length) this.pending.shift();
      else this.pending[0] = head.subarray(n);
    }
    this.pendingBytes -= size;
    return out;
  }
}

/** The size prefix to write before a frame body of `bodyBytes` bytes. */
export function sizePrefix(bodyBytes: number): Buffer {
  const prefix = Buffer.allocUnsafe(SIZE_PREFIX_BYTES);
  prefix.writeInt32BE(bodyBytes, 0);
  return prefix;
}
