import { MalformedDataError, Reader, Writer, zigzagDecode, zigzagEncode } from '../../../broker/protocol/primitives';

const hex = (w: Writer): string => w.toBuffer().toString('hex');

describe('fixed-width integers', () => {
  test('are big-endian', () => {
    expect(hex(new Writer().int8(-1).int16(0x0102).int32(-2).int64(0x0102030405060708n))).toBe(
      'ff0102fffffffe0102030405060708',
    );
  });

  test('round trip at their limits', () => {
    const w = new Writer().int8(-128).int16(32767).uint16(65535).int32(-2147483648).uint32(4294967295);
    w.int64(-(2n ** 63n)).float64(1.5).bool(true).bool(false);
    const r = new Reader(w.toBuffer());
    expect([r.int8(), r.int16(), r.uint16(), r.int32(), r.uint32(), r.int64(), r.float64(), r.bool(), r.bool()]).toEqual([
      -128, 32767, 65535, -2147483648, 4294967295, -(2n ** 63n), 1.5, true, false,
    ]);
    expect(r.remaining).toBe(0);
  });
});

describe('varints', () => {
  // Zig-zag examples from the protocol guide / protobuf encoding.
  test.each([
    [0, 0],
    [-1, 1],
    [1, 2],
    [-2, 3],
    [2147483647, 4294967294],
    [-2147483648, 4294967295],
  ])('zig-zag maps %d to %d and back', (signed, unsigned) => {
    expect(zigzagEncode(signed)).toBe(unsigned);
    expect(zigzagDecode(unsigned)).toBe(signed);
  });

  test.each([
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [16384, '808001'],
    [4294967295, 'ffffffff0f'],
  ])('unsigned varint %d is %s', (value, bytes) => {
    expect(hex(new Writer().uvarint(value))).toBe(bytes);
    expect(new Reader(Buffer.from(bytes, 'hex')).uvarint()).toBe(value);
  });

  test.each([0, -1, 1, 63, -64, 64, 1000000, -2147483648, 2147483647])('signed varint %d round trips', (value) => {
    expect(new Reader(new Writer().varint(value).toBuffer()).varint()).toBe(value);
  });

  test.each([0n, -1n, 1n, 1700000000000n, -(2n ** 63n), 2n ** 63n - 1n])('varlong %d round trips', (value) => {
    expect(new Reader(new Writer().varlong(value).toBuffer()).varlong()).toBe(value);
  });

  test('a varint that never ends is malformed', () => {
    expect(() => new Reader(Buffer.from('ffffffffff01', 'hex')).uvarint()).toThrow(MalformedDataError);
  });

  test('values out of range are refused when writing', () => {
    expect(() => new Writer().uvarint(-1)).toThrow('unsigned varint out of range: -1');
    expect(() => new Writer().varint(2 ** 31)).toThrow('varint out of range');
  });
});

describe('Reader bounds', () => {
  test('reading past the end says what was needed and what was left', () => {
    const r = new Reader(Buffer.from('0001', 'hex'));
    expect(() => r.int32()).toThrow('int32 needs 4 bytes at byte 0, but only 2 remain');
  });

  test('raw bytes are shared with the frame, not copied', () => {
    const frame = Buffer.from('00010203', 'hex');
    const bytes = new Reader(frame).raw(4);
    frame[0] = 9;
    expect(bytes[0]).toBe(9);
  });
});

describe('Writer chunks', () => {
  test('large byte fields are kept as their own chunk, in order', () => {
    const big = Buffer.alloc(4096, 7);
    const w = new Writer().int32(1).raw(big).int16(2);
    const chunks = w.toChunks();
    expect(chunks).toHaveLength(3);
    expect(chunks[1]).toBe(big);
    expect(w.length).toBe(4 + 4096 + 2);
    expect(w.toBuffer().equals(Buffer.concat([Buffer.from('00000001', 'hex'), big, Buffer.from('0002', 'hex')]))).toBe(true);
  });

  test('grows past its scratch buffer', () => {
    const w = new Writer();
    for (let i = 0; i < 5000; i++) w.int32(i);
    const r = new Reader(w.toBuffer());
    for (let i = 0; i < 5000; i++) expect(r.int32()).toBe(i);
  });

  test('strings are UTF-8', () => {
    expect(hex(new Writer().utf8('é'))).toBe('c3a9');
  });
});
