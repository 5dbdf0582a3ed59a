import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FrameDecoder, FrameError, sizePrefix } from '../../../broker/protocol/framing';

const frame = (body: Buffer): Buffer => Buffer.concat([sizePrefix(body.length), body]);

/** Feeds `chunks` through a decoder and collects the frames (or the error). */
async function decode(chunks: Buffer[], maxFrameBytes = 1024): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  await pipeline(Readable.from(chunks), new FrameDecoder(maxFrameBytes), async (source: AsyncIterable<Buffer>) => {
    for await (const f of source) frames.push(f);
  });
  return frames;
}

describe('FrameDecoder', () => {
  test('emits whole frames whatever the chunking', async () => {
    const bytes = Buffer.concat([frame(Buffer.from('one')), frame(Buffer.alloc(0)), frame(Buffer.from('three'))]);
    const oneByteChunks = [...bytes].map((b) => Buffer.from([b]));
    for (const chunks of [[bytes], oneByteChunks, [bytes.subarray(0, 5), bytes.subarray(5)]]) {
      const frames = await decode(chunks);
      expect(frames.map((f) => f.toString())).toEqual(['one', '', 'three']);
    }
  });

  test("frames go where the owner's allocator says, given their size and API key (split across chunks too)", async () => {
    const given: [number, number][] = [];
    const pool = Buffer.alloc(64, 0xee);
    const allocate = (bytes: number, apiKey: number): Buffer | undefined => {
      given.push([bytes, apiKey]);
      return apiKey === 0 ? pool.subarray(8, 8 + bytes) : undefined;
    };
    const produce = frame(Buffer.from('0000' + '0008' + 'aabbccdd', 'hex'));
    const metadata = frame(Buffer.from('0003' + '0001', 'hex'));
    const tiny = frame(Buffer.from('07', 'hex'));
    const bytes = Buffer.concat([produce, metadata, tiny]);
    // The produce frame's API key arrives in two chunks.
    const frames: Buffer[] = [];
    await pipeline(Readable.from([bytes.subarray(0, 5), bytes.subarray(5)]), new FrameDecoder(1024, allocate), async (source: AsyncIterable<Buffer>) => {
      for await (const f of source) frames.push(f);
    });
    expect(given).toEqual([[8, 0], [4, 3], [1, -1]]);
    expect(frames[0].buffer).toBe(pool.buffer);
    expect(frames[0].byteOffset).toBe(pool.byteOffset + 8);
    expect(frames.map((f) => f.toString('hex'))).toEqual(['00000008aabbccdd', '00030001', '07']);
    expect(frames[1].buffer).not.toBe(pool.buffer);
  });

  test('accepts a frame of exactly the maximum size', async () => {
    const frames = await decode([frame(Buffer.alloc(1024, 1))]);
    expect(frames[0].length).toBe(1024);
  });

  test('refuses an oversized frame as soon as its prefix arrives', async () => {
    await expect(decode([sizePrefix(1025)])).rejects.toThrow(
      new FrameError('oversized', 'frame of 1025 bytes exceeds the maximum request size of 1024 bytes'),
    );
  });

  test('refuses a negative size', async () => {
    await expect(decode([Buffer.from('ffffffff', 'hex')])).rejects.toThrow('frame size prefix is negative (-1)');
  });

  test('reports a stream that ends inside a frame', async () => {
    await expect(decode([sizePrefix(10), Buffer.from('abc')])).rejects.toThrow(
      'stream ended inside a frame: got 3 bytes, expected 10 bytes',
    );
    await expect(decode([Buffer.from('00', 'hex')])).rejects.toThrow('expected a 4-byte size prefix');
  });

  test('frames do not share memory with the input chunks', async () => {
    const input = frame(Buffer.from('abc'));
    const [f] = await decode([input]);
    input.fill(0);
    expect(f.toString()).toBe('abc');
  });
});
