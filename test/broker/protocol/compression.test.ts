/**
 * Decompression of records sections (broker/protocol/compression.ts): each codec's elements, the
 * framings Kafka clients use, limits and corrupt input; then readRecords on compressed batches.
 */
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { canDecompress, CompressionCodec, CorruptCompressedDataError, decompress } from '../../../broker/protocol/compression';
import { BatchAttribute, readRecords } from '../../../broker/protocol/record-batch';
import { compressedBatch, Lz4Block, lz4Frame, SECTION_COMPRESSORS, SnappyBlock, xerialFramed } from '../../support/compressed-batch';

const MiB = 1 << 20;

describe('snappy', () => {
  // Every element kind: short and long literals, copies with 1-, 2- and 4-byte offsets, and
  // overlapping copies (a run), which must copy byte by byte.
  const block = (): SnappyBlock =>
    new SnappyBlock()
      .literal(Buffer.from('abcdefgh'))
      .copy(1, 8, 11)
      .literal(randomBytes(70))
      .copy(2, 80, 64)
      .literal(Buffer.from('z'))
      .copy(1, 1, 9)
      .literal(randomBytes(300))
      .copy(4, 400, 33)
      .copy(2, 3, 40);

  test('a raw block decodes element by element', () => {
    const raw = block();
    expect(decompress(CompressionCodec.Snappy, raw.bytes(), MiB)).toEqual(raw.decompressed());
  });

  test('the snappy-java framing: blocks decode one after the other', () => {
    const [first, second] = [block(), block()];
    const framed = xerialFramed([first.bytes(), second.bytes()]);
    expect(decompress(CompressionCodec.Snappy, framed, MiB)).toEqual(Buffer.concat([first.decompressed(), second.decompressed()]));
  });

  test('a long literal with a four-byte length', () => {
    const big = new SnappyBlock().literal(randomBytes(70_000)).copy(4, 70_000, 64);
    expect(decompress(CompressionCodec.Snappy, big.bytes(), MiB)).toEqual(big.decompressed());
  });

  test('corrupt blocks are refused with the reason', () => {
    const good = block().bytes();
    expect(() => decompress(CompressionCodec.Snappy, good.subarray(0, good.length - 5), MiB)).toThrow(CorruptCompressedDataError);
    // A copy reaching before the start of the output.
    const reachingBack = Buffer.from([10, 0 << 2, 0x61, (4 - 4) << 2 | 1, 9]);
    expect(() => decompress(CompressionCodec.Snappy, reachingBack, MiB)).toThrow('match offset 9 outside the 1 bytes decoded so far');
    // The preamble says more than the elements give.
    const short = Buffer.concat([Buffer.from([20]), new SnappyBlock().literal(Buffer.from('abc')).bytes().subarray(1)]);
    expect(() => decompress(CompressionCodec.Snappy, short, MiB)).toThrow('block decoded to 3 bytes, its preamble says 20');
  });
});

describe('LZ4 frames', () => {
  test('compressed and stored blocks, matches into an earlier block, long lengths, block checksums', () => {
    const first = new Lz4Block()
      .sequence(Buffer.from('0123456789'), { offset: 10, length: 25 }) // overlapping: a run of the literals
      .sequence(randomBytes(40), { offset: 45, length: 300 }) // long literal and match lengths
      .sequence(Buffer.from('end'));
    const stored = randomBytes(100);
    const history = [...first.output, ...stored];
    const second = new Lz4Block(history).sequence(Buffer.from('x'), { offset: 150, length: 20 }).sequence(Buffer.from('tail'));
    for (const options of [{}, { blockChecksums: true, contentSize: second.output.length }]) {
      const frame = lz4Frame([{ data: first.bytes() }, { data: stored, raw: true }, { data: second.bytes() }], options);
      expect(decompress(CompressionCodec.Lz4, frame, MiB)).toEqual(Buffer.from(second.output));
    }
  });

  test('what is not an LZ4 frame is refused', () => {
    expect(() => decompress(CompressionCodec.Lz4, Buffer.from('not lz4 at all'), MiB)).toThrow('no LZ4 frame magic number');
    const frame = lz4Frame([{ data: new Lz4Block().sequence(Buffer.from('abcd'), { offset: 4, length: 8 }).bytes() }]);
    expect(() => decompress(CompressionCodec.Lz4, frame.subarray(0, frame.length - 9), MiB)).toThrow(CorruptCompressedDataError);
  });
});

describe('limits and codecs', () => {
  test('output beyond the limit is refused, in every codec', () => {
    const zeros = Buffer.alloc(100_000);
    const snappy = new SnappyBlock().literal(Buffer.from([0])).copy(2, 1, 64);
    for (let i = 0; i < 2000; i++) snappy.copy(2, 1, 64);
    const lz4 = lz4Frame([{ data: new Lz4Block().sequence(Buffer.from([0]), { offset: 1, length: 60_000 }).sequence(Buffer.from([0])).bytes() }]);
    expect(() => decompress(CompressionCodec.Gzip, zlib.gzipSync(zeros), 50_000)).toThrow(CorruptCompressedDataError);
    expect(() => decompress(CompressionCodec.Snappy, snappy.bytes(), 50_000)).toThrow('snappy: decompresses to more than 50000 bytes');
    expect(() => decompress(CompressionCodec.Lz4, lz4, 50_000)).toThrow('lz4: decompresses to more than 50000 bytes');
    expect(decompress(CompressionCodec.Gzip, zlib.gzipSync(zeros), 100_000)).toEqual(zeros);
  });

  test('zstd where the runtime has it; an unknown codec never', () => {
    const hasZstd = typeof (zlib as unknown as { zstdCompressSync?: unknown }).zstdCompressSync === 'function';
    expect(canDecompress(CompressionCodec.Zstd)).toBe(hasZstd);
    expect(canDecompress(5)).toBe(false);
    expect(() => decompress(5, Buffer.alloc(1), MiB)).toThrow('compression codec 5 cannot be decompressed here');
  });
});

describe('readRecords on compressed batches', () => {
  const values = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `value ${i} `.repeat(20) }));
  const plainSection = (section: Buffer): Buffer => section;

  test.each(SECTION_COMPRESSORS)('%s: the same records as uncompressed, LogAppendTime included', (_name, codec, compress) => {
    const options = { baseTimestamp: 1_000n, attributes: BatchAttribute.LogAppendTime };
    const expected = readRecords(compressedBatch(0, plainSection, values, options));
    const records = readRecords(compressedBatch(codec, compress, values, options));
    expect(records).toEqual(expected);
    expect(records.map((record) => record.value?.toString())).toEqual(values.map((v) => v.value));
  });
});
