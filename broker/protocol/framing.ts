/**
 * Kafka frames every request and response with an int32 size prefix (not counting itself).
 *
 * FrameDecoder is a stream stage: bytes in, whole frames out (one Buffer per frame, without the
 * prefix). It refuses a frame above the maximum size as soon as its prefix arrives, before
 * buffering anything, and reports a stream that ends in the middle of a frame. Being a Transform,
 * it passes backpressure through: when nobody reads frames, it stops reading bytes.
 *
 * A frame goes into memory the owner allocates for it (`allocate`, given the frame's size and its
 * request's API key, asked as soon as both are known: the broker reads produce requests into its
 * log cache), or else into a buffer of its own once it is whole (small ones a slice of Node's
 * shared pool), so that a request's bytes kept after it was handled do not pin a larger socket
 * chunk, and the socket's chunk can be reused. Bytes that came in the socket's chunks are
 * copied there once. A socket that reads into buffers it is given (`onread`) can skip even that
 * copy: while the owner's memory for a frame is being filled, `readTarget()` is the rest of it,
 * and `filledTarget(n)` says the socket read `n` bytes straight into it.
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
  /** Whether the owner was asked for the frame's memory (once per frame). */
  private allocationAsked = false;
  /** The owner's memory for the frame being assembled, and how much of it is filled. */
  private target: Buffer | undefined;
  private targetFilled = 0;
  /** Bytes received, and how many of them were read straight into frames (readTarget), without a copy. */
  bytesReceived = 0;
  bytesReadIntoFrames = 0;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly allocate: (bytes: number, apiKey: number) => Buffer | undefined = () => undefined,
  ) {
    // Frames are emitted as objects; the readable side buffers a handful of them at most.
    super({ readableObjectMode: true, readableHighWaterMark: 4 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytesReceived += chunk.length;
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
    const received = this.pendingBytes + this.targetFilled;
    if (received === 0) {
      callback();
      return;
    }
    const expected = this.frameSize === undefined ? `a ${SIZE_PREFIX_BYTES}-byte size prefix` : `${this.frameSize} bytes`;
    callback(new FrameError('truncated', `stream ended inside a frame: got ${received} bytes, expected ${expected}`));
  }

  /**
   * Where the socket may read next without a copy: the unfilled rest of the owner's memory for the
   * frame being assembled, when every byte received so far is in it. Undefined otherwise (read
   * into any buffer and `write` it).
   */
  readTarget(): Buffer | undefined {
    if (this.target === undefined || this.holdsReceivedBytes()) return undefined;
    return this.target.subarray(this.targetFilled);
  }

  /**
   * Whether bytes written in may still be referenced here (those of a frame still arriving, or
   * writes buffered while frames are not being read): until they are not, the writer must not
   * reuse their memory.
   */
  holdsReceivedBytes(): boolean {
    return this.pendingBytes > 0 || this.writableLength > 0;
  }

  /** The socket read `bytes` into the start of the last readTarget(); emits the frame once whole. */
  filledTarget(bytes: number): void {
    this.targetFilled += bytes;
    this.bytesReceived += bytes;
    this.bytesReadIntoFrames += bytes;
    if (this.targetFilled === this.frameSize) this.emitTarget();
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
      const size = this.frameSize;
      if (!this.allocationAsked) {
        if (this.pendingBytes < Math.min(size, API_KEY_BYTES)) return;
        this.allocationAsked = true;
        this.target = this.allocate(size, size >= API_KEY_BYTES ? this.peekInt16() : -1);
      }
      if (this.target !== undefined) {
        const bytes = Math.min(this.pendingBytes, size - this.targetFilled);
        this.takeBytes(bytes, this.target, this.targetFilled);
        this.targetFilled += bytes;
        if (this.targetFilled < size) return;
        this.emitTarget();
        continue;
      }
      if (this.pendingBytes < size) return;
      this.push(this.takeBytes(size, Buffer.allocUnsafe(size)));
      this.nextFrame();
    }
  }

  private emitTarget(): void {
    const frame = this.target!;
    this.nextFrame();
    this.push(frame);
  }

  private nextFrame(): void {
    this.frameSize = undefined;
    this.allocationAsked = false;
    this.target = undefined;
    this.targetFilled = 0;
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

  /** Moves `size` bytes from the front of the pending chunks into `out`, from `at`. */
  private takeBytes(size: number, out: Buffer, at = 0): Buffer {
    let filled = 0;
    while (filled < size) {
      const head = this.pending[0];
      const n = Math.min(head.length, size - filled);
      head.copy(out, at + filled, 0, n);
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
