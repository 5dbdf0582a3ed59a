/**
 * Compressed streams and batches for tests, written element by element from the public format
 * descriptions (there is no snappy or LZ4 compressor here): each helper returns the bytes and
 * what they decompress to, so a test checks the decoder against an independent statement of it.
 */
import { crc32c } from '@node-rs/crc32';
import { gzipSync } from 'node:zlib';
import { CompressionCodec } from '../../broker/protocol/compression';
import { BATCH_HEADER_BYTES, buildRecordBatch, type RecordBatchOptions } from '../../broker/protocol/record-batch';

/** A raw snappy block: the uncompressed length as a varint, then the elements. */
export class SnappyBlock {
  private readonly parts: Buffer[] = [];
  private readonly output: number[] = [];

  literal(bytes: Buffer): this {
    const n = bytes.length - 1;
    if (n < 60) this.parts.push(Buffer.from([n << 2]));
    else {
      const extra = n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4;
      const tag = Buffer.alloc(1 + extra);
      tag[0] = (59 + extra) << 2;
      tag.writeUIntLE(n, 1, extra);
      this.parts.push(tag);
    }
    this.parts.push(bytes);
    this.output.push(...bytes);
    return this;
  }

  /** A copy of `length` bytes from `offset` back, in the element form `kind` (1, 2 or 4 offset bytes). */
  copy(kind: 1 | 2 | 4, offset: number, length: number): this {
    if (kind === 1) this.parts.push(Buffer.from([((offset >> 8) << 5) | ((length - 4) << 2) | 1, offset & 0xff]));
    else {
      const element = Buffer.alloc(1 + kind);
      element[0] = ((length - 1) << 2) | (kind === 2 ? 2 : 3);
      element.writeUIntLE(offset, 1, kind);
      this.parts.push(element);
    }
    for (let i = 0; i < length; i++) this.output.push(this.output[this.output.length - offset]);
    return this;
  }

  bytes(): Buffer {
    const preamble: number[] = [];
    for (let n = this.output.length; ; n = Math.floor(n / 128)) {
      preamble.push((n & 0x7f) | (n >= 128 ? 0x80 : 0));
      if (n < 128) break;
    }
    return Buffer.concat([Buffer.from(preamble), ...this.parts]);
  }

  decompressed(): Buffer {
    return Buffer.from(this.output);
  }
}

/** The snappy-java framing Java clients write around raw snappy blocks. */
export function xerialFramed(blocks: readonly Buffer[]): Buffer {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  return Buffer.concat([header, ...blocks.flatMap((block) => [int32(block.length), block])]);
}

/** An LZ4 block of sequences: literals, then a match (absent in the last sequence). */
export class Lz4Block {
  private readonly parts: Buffer[] = [];
  readonly output: number[];

  /** `history`: what earlier blocks of the frame decoded to (matches may reach into it). */
  constructor(history: readonly number[] = []) {
    this.output = [...history];
  }

  sequence(literals: Buffer, match?: { offset: number; length: number }): this {
    const literalCode = Math.min(literals.length, 15);
    const matchCode = match ? Math.min(match.length - 4, 15) : 0;
    this.parts.push(Buffer.from([(literalCode << 4) | matchCode]));
    if (literalCode === 15) this.parts.push(lengthExtension(literals.length - 15));
    this.parts.push(literals);
    this.output.push(...literals);
    if (match) {
      const offset = Buffer.alloc(2);
      offset.writeUInt16LE(match.offset);
      this.parts.push(offset);
      if (matchCode === 15) this.parts.push(lengthExtension(match.length - 4 - 15));
      for (let i = 0; i < match.length; i++) this.output.push(this.output[this.output.length - match.offset]);
    }
    return this;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function lengthExtension(rest: number): Buffer {
  const bytes: number[] = [];
  for (; rest >= 255; rest -= 255) bytes.push(255);
  bytes.push(rest);
  return Buffer.from(bytes);
}

export interface Lz4FrameBlock {
  readonly data: Buffer;
  /** Stored as is (the block size's high bit set). */
  readonly raw?: boolean;
}

/** An LZ4 frame: magic, descriptor (block max 64 KiB), the blocks, the end mark. */
export function lz4Frame(blocks: readonly Lz4FrameBlock[], options: { blockChecksums?: boolean; contentSize?: number } = {}): Buffer {
  const flags = 0x40 | 0x20 | (options.blockChecksums ? 0x10 : 0) | (options.contentSize !== undefined ? 0x08 : 0);
  const descriptor = [Buffer.from([0x04, 0x22, 0x4d, 0x18, flags, 0x40])];
  if (options.contentSize !== undefined) {
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(options.contentSize));
    descriptor.push(size);
  }
  descriptor.push(Buffer.from([0x00])); // header checksum (the decoder does not check it)
  const body = blocks.flatMap((block) => {
    const size = Buffer.alloc(4);
    size.writeUInt32LE((block.data.length | (block.raw ? 0x80000000 : 0)) >>> 0);
    return [size, block.data, ...(options.blockChecksums ? [Buffer.alloc(4)] : [])];
  });
  return Buffer.concat([...descriptor, ...body, Buffer.alloc(4)]);
}

/**
 * The batch `buildRecordBatch(records, options)` builds, with its records section replaced by
 * `compress(section)` under `codec`, and its length and CRC fixed: a batch as a client sends it.
 */
export function compressedBatch(
  codec: number,
  compress: (section: Buffer) => Buffer,
  ...args: Parameters<typeof buildRecordBatch>
): Buffer {
  const plain = buildRecordBatch(...args);
  const section = compress(plain.subarray(BATCH_HEADER_BYTES));
  const batch = Buffer.concat([plain.subarray(0, BATCH_HEADER_BYTES), section]);
  batch.writeInt32BE(batch.length - 12, 8); // batchLength counts from the leader epoch on
  const options: RecordBatchOptions = args[1] ?? {};
  batch.writeInt16BE((options.attributes ?? 0) | codec, 21);
  batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
  return batch;
}

/**
 * One way to compress a records section in each codec the broker decodes everywhere (for
 * test.each): gzip through zlib, snappy and LZ4 as a single literal, which are valid streams.
 */
export const SECTION_COMPRESSORS: readonly (readonly [name: string, codec: number, compress: (section: Buffer) => Buffer])[] = [
  ['gzip', CompressionCodec.Gzip, (section) => gzipSync(section)],
  ['snappy (snappy-java framing)', CompressionCodec.Snappy, (section) => xerialFramed([new SnappyBlock().literal(section).bytes()])],
  ['lz4', CompressionCodec.Lz4, (section) => lz4Frame([{ data: new Lz4Block().sequence(section).bytes() }])],
];

function int32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(value);
  return bytes;
}
