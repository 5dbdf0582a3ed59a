/**
 * Kafka's primitive wire types (kafka.apache.org/protocol, "Protocol Primitive Types"): a Reader
 * over one received frame and a Writer that builds a response as a list of chunks.
 *
 * Pure code, no I/O. Big-endian fixed-width integers; unsigned varints (compact lengths, tagged
 * fields) and zig-zag varints/varlongs (record fields). Strings are UTF-8.
 *
 * The Writer never copies large byte fields (record batches): they become chunks of their own, so
 * a fetch response of many MiB is written to the socket straight from the buffers storage returned.
 */

/** A request that does not follow the protocol: the connection that sent it is closed. */
export class MalformedDataError extends Error {
  constructor(
    readonly detail: string,
    /** Where in the message: field names from the outside in. */
    readonly path: readonly string[] = [],
  ) {
    super(path.length > 0 ? `${path.join('.')}: ${detail}` : detail);
    this.name = 'MalformedDataError';
  }

  /** The same error, one level further out (inside field `name`). */
  within(name: string): MalformedDataError {
    return new MalformedDataError(this.detail, [name, ...this.path]);
  }
}

const MAX_VARINT_BYTES = 5;
const MAX_VARLONG_BYTES = 10;

export class Reader {
  private position = 0;

  constructor(private readonly buffer: Buffer) {}

  get offset(): number {
    return this.position;
  }

  get remaining(): number {
    return this.buffer.length - this.position;
  }

  /** Reserves `size` bytes and returns where they start; throws when the buffer is too short. */
  private take(size: number, what: string): number {
    if (size < 0 || this.position + size > this.buffer.length) {
      throw new MalformedDataError(
        `${what} needs ${size} bytes at byte ${this.position}, but only ${this.remaining} remain`,
      );
    }
    const start = this.position;
    this.position += size;
    return start;
  }

  int8(): number {
    return this.buffer.readInt8(this.take(1, 'int8'));
  }

  int16(): number {
    return this.buffer.readInt16BE(this.take(2, 'int16'));
  }

  uint16(): number {
    return this.buffer.readUInt16BE(this.take(2, 'uint16'));
  }

  int32(): number {
    return this.buffer.readInt32BE(this.take(4, 'int32'));
  }

  uint32(): number {
    return this.buffer.readUInt32BE(this.take(4, 'uint32'));
  }

  int64(): bigint {
    return this.buffer.readBigInt64BE(this.take(8, 'int64'));
  }

  float64(): number {
    return this.buffer.readDoubleBE(this.take(8, 'float64'));
  }

  bool(): boolean {
    return this.buffer.readInt8(this.take(1, 'bool')) !== 0;
  }

  /** Unsigned LEB128 varint of at most 32 bits. */
  uvarint(): number {
    let value = 0;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const byte = this.buffer.readUInt8(this.take(1, 'varint'));
      value += (byte & 0x7f) * 2 ** (7 * i);
      if ((byte & 0x80) === 0) {
        if (value > 0xffffffff) throw new MalformedDataError(`varint ${value} does not fit in 32 bits`);
        return value;
      }
    }
    throw new MalformedDataError(`varint longer than ${MAX_VARINT_BYTES} bytes at byte ${this.position}`);
  }

  /** Zig-zag varint (signed 32 bits), as used inside records. */
  varint(): number {
    return zigzagDecode(this.uvarint());
  }

  /** Zig-zag varlong (signed 64 bits), as used for record timestamp deltas. */
  varlong(): bigint {
    let value = 0n;
    for (let i = 0; i < MAX_VARLONG_BYTES; i++) {
      const byte = this.buffer.readUInt8(this.take(1, 'varlong'));
      value |= BigInt(byte & 0x7f) << BigInt(7 * i);
      if ((byte & 0x80) === 0) return (value >> 1n) ^ -(value & 1n);
    }
    throw new MalformedDataError(`varlong longer than ${MAX_VARLONG_BYTES} bytes at byte ${this.position}`);
  }

  uuid(): Buffer {
    return this.raw(16);
  }

  /** `size` raw bytes, shared with the underlying buffer (no copy). */
  raw(size: number): Buffer {
    const start = this.take(size, `${size} bytes`);
    return this.buffer.subarray(start, start + size);
  }

  utf8(size: number): string {
    const start = this.take(size, `string of ${size} bytes`);
    return this.buffer.toString('utf8', start, start + size);
  }
}

/** Zig-zag maps signed to unsigned so small negative numbers stay short: 0,-1,1,-2 -> 0,1,2,3. */
export function zigzagEncode(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

export function zigzagDecode(value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

/**
 * Under half of Buffer.poolSize, so a scratch buffer is a slice of Node's shared pool, not an
 * ArrayBuffer of its own: a broker answering thousands of requests a second would otherwise count
 * as much external memory, and V8 collects its young generation for that pressure alone.
 */
const SCRATCH_BYTES = 2 * 1024;
/** Byte fields at least this big are kept as their own chunk instead of being copied. */
const ZERO_COPY_THRESHOLD = 1024;

export class Writer {
  private readonly chunks: Buffer[] = [];
  private scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  /** Bytes of `scratch` already handed out to `chunks`. */
  private scratchStart = 0;
  private position = 0;
  private total = 0;

  get length(): number {
    return this.total;
  }

  /** The bytes written, as chunks to write in order (large byte fields are not copied). */
  toChunks(): Buffer[] {
    this.flushScratch();
    return this.chunks.slice();
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.toChunks(), this.total);
  }

  private flushScratch(): void {
    if (this.position > this.scratchStart) {
      this.chunks.push(this.scratch.subarray(this.scratchStart, this.position));
      this.scratchStart = this.position;
    }
  }

  /**
   * Makes room for `size` bytes in the scratch buffer and returns where they go. It may replace
   * the scratch buffer: read `this.scratch` only after calling it. (The field writers below call
   * it and then write in place, without a callback: a closure per field was most of what encoding
   * allocated.)
   */
  private reserve(size: number): number {
    if (this.position + size > this.scratch.length) {
      this.flushScratch();
      this.scratch = Buffer.allocUnsafe(Math.max(SCRATCH_BYTES, size));
      this.scratchStart = 0;
      this.position = 0;
    }
    const at = this.position;
    this.position += size;
    this.total += size;
    return at;
  }

  int8(value: number): this {
    const at = this.reserve(1);
    this.scratch.writeInt8(value, at);
    return this;
  }

  int16(value: number): this {
    const at = this.reserve(2);
    this.scratch.writeInt16BE(value, at);
    return this;
  }

  uint16(value: number): this {
    const at = this.reserve(2);
    this.scratch.writeUInt16BE(value, at);
    return this;
  }

  int32(value: number): this {
    const at = this.reserve(4);
    this.scratch.writeInt32BE(value, at);
    return this;
  }

  uint32(value: number): this {
    const at = this.reserve(4);
    this.scratch.writeUInt32BE(value, at);
    return this;
  }

  int64(value: bigint): this {
    const at = this.reserve(8);
    this.scratch.writeBigInt64BE(value, at);
    return this;
  }

  float64(value: number): this {
    const at = this.reserve(8);
    this.scratch.writeDoubleBE(value, at);
    return this;
  }

  bool(value: boolean): this {
    return this.int8(value ? 1 : 0);
  }

  uvarint(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(`unsigned varint out of range: ${value}`);
    }
    let rest = value;
    while (rest >= 0x80) {
      const at = this.reserve(1);
      this.scratch[at] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    const at = this.reserve(1);
    this.scratch[at] = rest;
    return this;
  }

  varint(value: number): this {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
      throw new RangeError(`varint out of range: ${value}`);
    }
    return this.uvarint(zigzagEncode(value));
  }

  varlong(value: bigint): this {
    let rest = (value << 1n) ^ (value >> 63n);
    rest = BigInt.asUintN(64, rest);
    while (rest >= 0x80n) {
      const at = this.reserve(1);
      this.scratch[at] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    const at = this.reserve(1);
    this.scratch[at] = Number(rest);
    return this;
  }

  uuid(value: Buffer): this {
    if (value.length !== 16) throw new RangeError(`a uuid has 16 bytes, got ${value.length}`);
    return this.raw(value);
  }

  /** Appends bytes; large ones become a chunk of their own (the caller must not change them). */
  raw(bytes: Buffer): this {
    if (bytes.length >= ZERO_COPY_THRESHOLD) {
      this.flushScratch();
      this.chunks.push(bytes);
      this.total += bytes.length;
    } else {
      const at = this.reserve(bytes.length);
      bytes.copy(this.scratch, at);
    }
    return this;
  }

  utf8(value: string): this {
    const size = Buffer.byteLength(value, 'utf8');
    const at = this.reserve(size);
    this.scratch.write(value, at, size, 'utf8');
    return this;
  }
}
