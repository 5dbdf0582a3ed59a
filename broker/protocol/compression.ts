/**
 * Decompression of a record batch's records section, for the few places the broker looks inside
 * a compressed batch (ListOffsets by timestamp). Produce never decompresses: batches are stored
 * as the client compressed them.
 *
 * Kafka's codecs (the batch attributes' low three bits):
 * - 1 gzip: an RFC 1952 stream (zlib).
 * - 2 snappy: the snappy-java ("xerial") framing that Java clients write, a 16-byte header then
 *   blocks of [int32 big-endian length][raw snappy], or else one raw snappy block.
 * - 3 lz4: the LZ4 frame format (magic 0x184D2204), blocks raw or LZ4-compressed.
 * - 4 zstd: through zlib where the runtime has it (Node.js 22.15 and later), else unsupported.
 *
 * The snappy and LZ4 decoders follow the public format descriptions. Every decoder stops at
 * `maxBytes` of output (a decompression bomb is refused, not followed).
 */
import * as zlib from 'node:zlib';

/** Kafka's codec numbers (the batch attributes' low three bits). */
export const CompressionCodec = { None: 0, Gzip: 1, Snappy: 2, Lz4: 3, Zstd: 4 } as const;

/** The data does not decode in its codec, or decodes to more than allowed. */
export class CorruptCompressedDataError extends Error {
  constructor(codec: string, reason: string) {
    super(`${codec}: ${reason}`);
    this.name = 'CorruptCompressedDataError';
  }
}

type ZstdDecompress = (data: Buffer, options: { maxOutputLength: number }) => Buffer;
const zstdDecompressSync = (zlib as unknown as { zstdDecompressSync?: ZstdDecompress }).zstdDecompressSync;

type Decoder = (data: Buffer, maxBytes: number) => Buffer;

/** The codecs this runtime decodes, by Kafka's number. */
const DECODERS: ReadonlyMap<number, Decoder> = new Map<number, Decoder>([
  [CompressionCodec.Gzip, (data, maxBytes) => viaZlib('gzip', () => zlib.gunzipSync(data, { maxOutputLength: maxBytes }))],
  [CompressionCodec.Snappy, snappyFramed],
  [CompressionCodec.Lz4, lz4Frame],
  ...(zstdDecompressSync === undefined
    ? []
    : [[CompressionCodec.Zstd, (data: Buffer, maxBytes: number) => viaZlib('zstd', () => zstdDecompressSync(data, { maxOutputLength: maxBytes }))] as const]),
]);

/** Whether this runtime can read records compressed with `codec` (None included). */
export function canDecompress(codec: number): boolean {
  return codec === CompressionCodec.None || DECODERS.has(codec);
}

/** The records section `data` decompressed; throws CorruptCompressedDataError, or RangeError for a codec it cannot decompress. */
export function decompress(codec: number, data: Buffer, maxBytes: number): Buffer {
  const decoder = DECODERS.get(codec);
  if (decoder === undefined) throw new RangeError(`compression codec ${codec} cannot be decompressed here`);
  return decoder(data, maxBytes);
}

function viaZlib(codec: string, run: () => Buffer): Buffer {
  try {
    return run();
  } catch (error) {
    throw new CorruptCompressedDataError(codec, error instanceof Error ? error.message : String(error));
  }
}

/** Output that grows as a decoder appends to it, up to a limit. */
class Output {
  private buffer: Buffer;
  length = 0;

  constructor(
    private readonly codec: string,
    private readonly maxBytes: number,
    initialBytes: number,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.max(64, Math.min(initialBytes, maxBytes)));
  }

  private reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (needed > this.maxBytes) throw new CorruptCompressedDataError(this.codec, `decompresses to more than ${this.maxBytes} bytes`);
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.min(this.maxBytes, Math.max(needed, 2 * this.buffer.length)));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  append(source: Buffer, start: number, end: number): void {
    this.reserve(end - start);
    source.copy(this.buffer, this.length, start, end);
    this.length += end - start;
  }

  /** Copies `length` bytes from `distance` bytes back; they may overlap what the copy writes (a run). */
  copyBack(distance: number, length: number): void {
    if (distance <= 0 || distance > this.length) throw new CorruptCompressedDataError(this.codec, `match offset ${distance} outside the ${this.length} bytes decoded so far`);
    this.reserve(length);
    const buffer = this.buffer;
    let from = this.length - distance;
    if (distance >= length) {
      buffer.copy(buffer, this.length, from, from + length);
      this.length += length;
      return;
    }
    for (let i = 0; i < length; i++) buffer[this.length++] = buffer[from++];
  }

  result(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/** A cursor over compressed input that fails clearly when the input ends early. */
class Input {
  position: number;

  constructor(
    private readonly codec: string,
    readonly data: Buffer,
    start = 0,
    readonly end = data.length,
  ) {
    this.position = start;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  need(bytes: number): void {
    if (this.position + bytes > this.end) throw new CorruptCompressedDataError(this.codec, `input ends ${this.position + bytes - this.end} bytes early`);
  }

  byte(): number {
    this.need(1);
    return this.data[this.position++];
  }

  uint16LE(): number {
    this.need(2);
    const value = this.data.readUInt16LE(this.position);
    this.position += 2;
    return value;
  }

  uint32LE(): number {
    this.need(4);
    const value = this.data.readUInt32LE(this.position);
    this.position += 4;
    return value;
  }

  /** `bytes` (1 to 4) little-endian. */
  uintLE(bytes: number): number {
    this.need(bytes);
    const value = this.data.readUIntLE(this.position, bytes);
    this.position += bytes;
    return value;
  }
}

// --- snappy -----------------------------------------------------------------------------------

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;

function snappyFramed(data: Buffer, maxBytes: number): Buffer {
  if (data.length < XERIAL_HEADER_BYTES || !data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    return snappyBlocks([new Input('snappy', data)], maxBytes);
  }
  const blocks: Input[] = [];
  let position = XERIAL_HEADER_BYTES;
  while (position < data.length) {
    if (position + 4 > data.length) throw new CorruptCompressedDataError('snappy', 'a block length is cut short');
    const length = data.readInt32BE(position);
    position += 4;
    if (length < 0 || position + length > data.length) throw new CorruptCompressedDataError('snappy', `block of ${length} bytes runs past the data`);
    blocks.push(new Input('snappy', data, position, position + length));
    position += length;
  }
  return snappyBlocks(blocks, maxBytes);
}

function snappyBlocks(blocks: readonly Input[], maxBytes: number): Buffer {
  const output = new Output('snappy', maxBytes, blocks.reduce((sum, block) => sum + 2 * block.remaining, 0));
  for (const block of blocks) {
    // Copies refer back only within their own block.
    const blockStart = output.length;
    const expected = snappyPreamble(block);
    while (block.remaining > 0) {
      const tag = block.byte();
      switch (tag & 0x03) {
        case 0: {
          let length = tag >> 2;
          if (length >= 60) length = block.uintLE(length - 59);
          length += 1;
          block.need(length);
          output.append(block.data, block.position, block.position + length);
          block.position += length;
          break;
        }
        case 1:
          output.copyBack(((tag >> 5) << 8) | block.byte(), 4 + ((tag >> 2) & 0x07));
          break;
        case 2:
          output.copyBack(block.uint16LE(), (tag >> 2) + 1);
          break;
        default:
          output.copyBack(block.uint32LE(), (tag >> 2) + 1);
      }
      if (output.length - blockStart > expected) throw new CorruptCompressedDataError('snappy', `block decodes past its stated ${expected} bytes`);
    }
    if (output.length - blockStart !== expected) {
      throw new CorruptCompressedDataError('snappy', `block decoded to ${output.length - blockStart} bytes, its preamble says ${expected}`);
    }
  }
  return output.result();
}

/** The uncompressed length at the start of a raw snappy block (a little-endian base-128 varint). */
function snappyPreamble(block: Input): number {
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    const byte = block.byte();
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return value;
  }
  throw new CorruptCompressedDataError('snappy', 'the length preamble is longer than five bytes');
}

// --- LZ4 frames ---------------------------------------------------------------------------------

const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK_MAX_BYTES: Readonly<Record<number, number>> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };

function lz4Frame(data: Buffer, maxBytes: number): Buffer {
  const input = new Input('lz4', data);
  if (input.uint32LE() !== LZ4_MAGIC) throw new CorruptCompressedDataError('lz4', 'no LZ4 frame magic number');
  const flags = input.byte();
  const blockDescriptor = input.byte();
  if (flags >> 6 !== 1) throw new CorruptCompressedDataError('lz4', `frame version ${flags >> 6}, expected 1`);
  const blockMaxBytes = LZ4_BLOCK_MAX_BYTES[(blockDescriptor >> 4) & 0x07];
  if (blockMaxBytes === undefined) throw new CorruptCompressedDataError('lz4', `block maximum size code ${(blockDescriptor >> 4) & 0x07}`);
  const blockChecksums = (flags & 0x10) !== 0;
  const contentSize = (flags & 0x08) !== 0;
  if (contentSize) input.position += 8;
  if ((flags & 0x01) !== 0) input.position += 4; // dictionary id: Kafka never uses one
  input.byte(); // header checksum (xxHash32; not checked, as the batch CRC covers these bytes)
  // Blocks may refer back into earlier blocks (B.Indep clear), so all decode into one output.
  const output = new Output('lz4', maxBytes, 4 * data.length);
  for (;;) {
    const word = input.uint32LE();
    if (word === 0) break; // end mark
    const size = word & 0x7fffffff;
    if (size > blockMaxBytes) throw new CorruptCompressedDataError('lz4', `block of ${size} bytes above the frame's ${blockMaxBytes}`);
    input.need(size);
    if ((word & 0x80000000) !== 0) output.append(data, input.position, input.position + size);
    else lz4Block(new Input('lz4', data, input.position, input.position + size), output);
    input.position += size;
    if (blockChecksums) input.position += 4;
  }
  return output.result();
}

/** One LZ4 block: sequences of [token][literals][offset][match], the last with literals only. */
function lz4Block(block: Input, output: Output): void {
  while (block.remaining > 0) {
    const token = block.byte();
    const literals = token >> 4 === 15 ? 15 + lz4ExtraLength(block) : token >> 4;
    block.need(literals);
    output.append(block.data, block.position, block.position + literals);
    block.position += literals;
    if (block.remaining === 0) return;
    const distance = block.uint16LE();
    const matchLength = 4 + ((token & 0x0f) === 15 ? 15 + lz4ExtraLength(block) : token & 0x0f);
    output.copyBack(distance, matchLength);
  }
}

function lz4ExtraLength(block: Input): number {
  let length = 0;
  for (;;) {
    const byte = block.byte();
    length += byte;
    if (byte !== 255) return length;
  }
}
