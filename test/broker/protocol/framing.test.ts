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

  test('says whether it still holds bytes written in: those of a frame still arriving, or of frames nobody reads yet', () => {
    const decoder = new FrameDecoder(1024);
    const frames: Buffer[] = [];
    decoder.on('data', (f: Buffer) => frames.push(f));
    const chunk = Buffer.concat([frame(Buffer.from('one')), frame(Buffer.from('two'))]);
    decoder.write(chunk.subarray(0, 9));
    // 'one' is whole and was copied out; two bytes of the next size prefix are kept.
    expect(frames.map((f) => f.toString())).toEqual(['one']);
    expect(decoder.holdsReceivedBytes()).toBe(true);
    decoder.write(chunk.subarray(9));
    expect(frames.map((f) => f.toString())).toEqual(['one', 'two']);
    expect(decoder.holdsReceivedBytes()).toBe(false);
    // Frames are copied out of the chunk: overwriting it changes nothing emitted.
    chunk.fill(0);
    expect(frames.map((f) => f.toString())).toEqual(['one', 'two']);
    // Paused, the decoder buffers what is written after its readable side is full.
    decoder.pause();
    for (let i = 0; i < 8; i++) decoder.write(frame(Buffer.from(`f${i}`)));
    expect(decoder.holdsReceivedBytes()).toBe(true);
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

  test("a socket can read the rest of a frame straight into the owner's memory", () => {
    const memory = Buffer.alloc(16, 0xee);
    const decoder = new FrameDecoder(1024, (bytes, apiKey) => (apiKey === 0 ? memory.subarray(0, bytes) : undefined));
    const frames: Buffer[] = [];
    decoder.on('data', (f: Buffer) => frames.push(f));
    const body = Buffer.from('0000' + '0008' + '00112233445566778899', 'hex');
    // No frame yet: nowhere to read into directly.
    expect(decoder.readTarget()).toBeUndefined();
    decoder.write(Buffer.concat([sizePrefix(body.length), body.subarray(0, 5)]));
    const target = decoder.readTarget()!;
    expect(target.buffer).toBe(memory.buffer);
    expect(target.byteOffset).toBe(memory.byteOffset + 5);
    expect(target.length).toBe(body.length - 5);
    // As a socket would: fill part of it, then the rest.
    body.copy(target, 0, 5, 9);
    decoder.filledTarget(4);
    expect(frames).toEqual([]);
    const rest = decoder.readTarget()!;
    expect(rest.byteOffset).toBe(memory.byteOffset + 9);
    body.copy(rest, 0, 9);
    decoder.filledTarget(body.length - 9);
    expect(frames.map((f) => f.toString('hex'))).toEqual([body.toString('hex')]);
    expect(frames[0].buffer).toBe(memory.buffer);
    expect(decoder.bytesReadIntoFrames).toBe(body.length - 5);
    // The next frame's header has not arrived: back to reading chunks.
    expect(decoder.readTarget()).toBeUndefined();
  });

  test('a frame the owner gave no memory for is not read directly; a stream that ends in a directly read frame is truncated', async () => {
    const decoder = new FrameDecoder(1024, (bytes, apiKey) => (apiKey === 0 ? Buffer.alloc(bytes) : undefined));
    decoder.write(Buffer.concat([sizePrefix(8), Buffer.from('0003' + '00', 'hex')]));
    expect(decoder.readTarget()).toBeUndefined();
    const truncated = new FrameDecoder(1024, (bytes) => Buffer.alloc(bytes));
    const failed = new Promise<Error>((resolve) => truncated.on('error', resolve));
    truncated.resume();
    truncated.write(Buffer.concat([sizePrefix(10), Buffer.from('0000', 'hex')]));
    truncated.filledTarget(3);
    truncated.end();
    expect(await failed).toEqual(new FrameError('truncated', 'stream ended inside a frame: got 5 bytes, expected 10 bytes'));
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
