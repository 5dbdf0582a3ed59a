/**
 * Reading an accepted socket straight into frames, over real loopback sockets: the frames arrive
 * whole and unchanged, most of their bytes without a copy, the server counts the moved socket
 * closed, and answers still go out on the new one.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { FrameDecoder, sizePrefix } from '../../../broker/protocol/framing';
import { adoptWithDirectReads } from '../../../broker/server/direct-reads';

function listen(onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, onSocket);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

test('1 MiB frames read straight into their memory arrive whole, and the answer goes back', async () => {
  const frameCount = 16;
  const frameBytes = 1 << 20;
  const received: Buffer[] = [];
  let decoder: FrameDecoder | undefined;
  let adopted: Socket | undefined;
  const { server, port } = await listen((accepted) => {
    const frames = new FrameDecoder(2 * frameBytes, (bytes) => Buffer.alloc(bytes));
    decoder = frames;
    let readingInto: Buffer | undefined;
    adopted = adoptWithDirectReads(
      accepted,
      {
        buffer: () => (readingInto = frames.readTarget()) ?? Buffer.allocUnsafe(64 * 1024),
        callback: (bytes, buffer) => (buffer === readingInto ? frames.filledTarget(bytes) : frames.write(buffer.subarray(0, bytes))),
      },
      true,
    );
    frames.on('data', (frame: Buffer) => {
      received.push(frame);
      if (received.length === frameCount) adopted!.end(`got ${received.length}`);
    });
  });
  const client = connect(port, '127.0.0.1');
  const answer = new Promise<string>((resolve) => {
    let text = '';
    client.on('data', (chunk: Buffer) => (text += chunk.toString()));
    client.on('end', () => resolve(text));
  });
  const sent = Array.from({ length: frameCount }, (_, i) => Buffer.alloc(frameBytes, i + 1));
  for (const body of sent) client.write(Buffer.concat([sizePrefix(body.length), body]));
  expect(await answer).toBe(`got ${frameCount}`);
  expect(received).toHaveLength(frameCount);
  received.forEach((frame, i) => expect(frame.equals(sent[i])).toBe(true));
  // Only the first read of each frame (with its header) lands in a chunk of its own.
  expect(decoder!.bytesReadIntoFrames).toBeGreaterThan(0.9 * frameCount * frameBytes);
  // The server counts the moved socket closed: it closes without waiting for it.
  await new Promise<void>((resolve) => server.close(() => resolve()));
  client.destroy();
  adopted!.destroy();
});

test('a socket without its handle cannot be moved', async () => {
  let result: Socket | undefined | null = null;
  const { server, port } = await listen((accepted) => {
    accepted.destroy();
    result = adoptWithDirectReads(accepted, { buffer: () => Buffer.alloc(16), callback: () => undefined }, true);
  });
  const client = connect(port, '127.0.0.1');
  await new Promise((resolve) => client.on('close', resolve));
  expect(result).toBeUndefined();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
