/**
 * The least broker: a server doing only what this data path makes any broker do with a produce
 * request, so that the benchmark can tell the machine's limits from the broker's.
 *
 * It reads each request frame from the socket and writes it, as the socket delivered it (no copy
 * in user space), to a preallocated file in the WAL directory opened with O_DSYNC, one write at a
 * time carrying every frame that is ready (group commit); then it answers with a fixed
 * ProduceResponse and writes every byte once more to the object store directory, as new files of
 * 8 MiB (or 250 ms), keeping the latest 64 MiB. It parses nothing but each frame's size and
 * correlation id: no validation, no offsets, no index, no metadata, no reads, no consumer.
 *
 * No real broker on this data path does less, so a target it misses in a run is out of reach of
 * any broker on that machine (the figures' context, not a target of its own). The benchmark runs
 * it like the broker: bundled (BrokerUnderTest.bundleLeastBroker), in a process of its own, with the broker's Node.js flags, started
 * with the broker's flags for address, WAL directory and object store, announcing its port the
 * way the broker does.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sizePrefix } from '../broker/protocol/framing';
import { ResponseHeader } from '../broker/protocol/messages/header';
import { ProduceResponse } from '../broker/protocol/messages/produce';
import { Writer } from '../broker/protocol/primitives';
import { encodeMessage } from '../broker/protocol/schema';
import { bodyBytes } from '../broker/storage/object-store';
import { writeAll } from '../broker/storage/object-stores/file-object-store';
import { preallocate, PREALLOCATED_FILE_BYTES } from './floor';

/** Objects are cut at the broker's default upload thresholds. */
const OBJECT_BYTES = 8 * 1024 * 1024;
const OBJECT_AGE_MS = 250;
/** Objects kept before the oldest is deleted (the benchmark's retention keeps the store small too). */
const RETAINED_OBJECTS = 8;
/** Size prefix, API key, API version and correlation id: all the least broker reads of a request. */
const REQUEST_HEAD_BYTES = 12;
const CORRELATION_ID_OFFSET = 8;
/** A response's correlation id follows its size prefix. */
const SIZE_PREFIX_BYTES = 4;
/** The benchmark's clients send Produce v8 and check the first partition's error code. */
const PRODUCE_VERSION = 8;

/** A whole ProduceResponse frame (correlation id 0, error code 0), to copy and stamp per answer. */
function produceResponseTemplate(): Buffer {
  const writer = new Writer();
  encodeMessage(ResponseHeader, 0, { correlationId: 0 }, writer);
  encodeMessage(ProduceResponse, PRODUCE_VERSION, { responses: [{ name: 'least', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 0n }] }] }, writer);
  return Buffer.concat([sizePrefix(writer.length), writer.toBuffer()]);
}

interface Frame {
  readonly connection: Connection;
  readonly correlationId: number;
  /** The frame's bytes, as views of the socket's chunks. */
  readonly pieces: Buffer[];
}

/** Splits a connection's byte stream into frames without copying them. */
class Connection {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(
    private readonly socket: Socket,
    private readonly answerTemplate: Buffer,
    private readonly onFrame: (frame: Frame) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => socket.destroy());
  }

  answerAll(correlationIds: readonly number[]): void {
    this.socket.cork();
    for (const id of correlationIds) {
      const response = Buffer.from(this.answerTemplate);
      response.writeInt32BE(id, SIZE_PREFIX_BYTES);
      this.socket.write(response);
    }
    this.socket.uncork();
  }

  private receive(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= REQUEST_HEAD_BYTES) {
      const head = this.chunks[0].length >= REQUEST_HEAD_BYTES ? this.chunks[0] : Buffer.concat(this.chunks).subarray(0, REQUEST_HEAD_BYTES);
      const frameBytes = SIZE_PREFIX_BYTES + head.readInt32BE(0);
      if (this.buffered < frameBytes) return;
      this.onFrame({ connection: this, correlationId: head.readInt32BE(CORRELATION_ID_OFFSET), pieces: this.take(frameBytes) });
    }
  }

  private take(bytes: number): Buffer[] {
    const pieces: Buffer[] = [];
    this.buffered -= bytes;
    while (bytes > 0) {
      const chunk = this.chunks[0];
      if (chunk.length <= bytes) {
        pieces.push(this.chunks.shift()!);
        bytes -= chunk.length;
      } else {
        pieces.push(chunk.subarray(0, bytes));
        this.chunks[0] = chunk.subarray(bytes);
        bytes = 0;
      }
    }
    return pieces;
  }
}

/** Every byte once more, to new files in the object directory, as an uploader would. */
class ObjectWriter {
  private pieces: Buffer[] = [];
  private bytes = 0;
  private firstAt = 0;
  private sequence = 0;
  private readonly kept: string[] = [];
  private readonly writing = new Set<Promise<void>>();

  constructor(private readonly dir: string) {}

  add(pieces: readonly Buffer[]): void {
    if (this.bytes === 0) this.firstAt = performance.now();
    for (const piece of pieces) this.pieces.push(piece);
    this.bytes += bodyBytes(pieces);
    if (this.bytes >= OBJECT_BYTES || performance.now() - this.firstAt >= OBJECT_AGE_MS) this.cut();
  }

  async close(): Promise<void> {
    if (this.bytes > 0) this.cut();
    await Promise.all(this.writing);
  }

  private cut(): void {
    const body = this.pieces;
    this.pieces = [];
    this.bytes = 0;
    const name = path.join(this.dir, `${String(this.sequence++).padStart(10, '0')}.obj`);
    const written = (async () => {
      const file = await fs.open(name, 'wx');
      try {
        await writeAll(file, body);
        await file.sync();
      } finally {
        await file.close();
      }
      this.kept.push(name);
      while (this.kept.length > RETAINED_OBJECTS) await fs.rm(this.kept.shift()!, { force: true });
    })();
    this.writing.add(written);
    void written.finally(() => this.writing.delete(written));
  }
}

/** Group commit to one O_DSYNC file: one write at a time, carrying every frame ready when it starts. */
class GroupCommitFile {
  private readonly ready: Frame[] = [];
  private position = 0;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly file: fs.FileHandle,
    private readonly durable: (frames: readonly Frame[]) => void,
  ) {}

  append(frame: Frame): void {
    this.ready.push(frame);
    this.writing ??= this.writeReady();
  }

  async idle(): Promise<void> {
    await this.writing;
  }

  private async writeReady(): Promise<void> {
    while (this.ready.length > 0) {
      const frames = this.ready.splice(0);
      const buffers = frames.flatMap((frame) => frame.pieces);
      const bytes = bodyBytes(buffers);
      if (this.position + bytes > PREALLOCATED_FILE_BYTES) this.position = 0;
      await writeAll(this.file, buffers, this.position);
      this.position += bytes;
      this.durable(frames);
    }
    this.writing = undefined;
  }
}

async function serve(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '0' }, 'wal-dir': { type: 'string' }, 'object-store': { type: 'string' } },
  });
  const walDir = values['wal-dir'];
  const store = values['object-store'];
  if (!walDir || !store?.startsWith('file://')) throw new Error('usage: least-broker --wal-dir DIR --object-store file:///DIR [--host H] [--port P]');
  const objectDir = path.join(fileURLToPath(store), 'least-broker');
  await fs.mkdir(walDir, { recursive: true });
  await fs.mkdir(objectDir, { recursive: true });
  const walName = path.join(walDir, `least-broker-${process.pid}.wal`);
  // The WAL stand-in, written in a circle: preallocated, as the WAL's segments are.
  const wal = await fs.open(walName, fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_DSYNC);
  await preallocate(wal);

  const objects = new ObjectWriter(objectDir);
  const log = new GroupCommitFile(wal, (frames) => {
    const answers = new Map<Connection, number[]>();
    for (const frame of frames) {
      const ids = answers.get(frame.connection) ?? [];
      ids.push(frame.correlationId);
      answers.set(frame.connection, ids);
      objects.add(frame.pieces);
    }
    for (const [connection, ids] of answers) connection.answerAll(ids);
  });
  const template = produceResponseTemplate();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    new Connection(socket, template, (frame) => log.append(frame));
  });
  await new Promise<void>((resolve) => server.listen(Number(values.port), values.host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : Number(values.port);
  // The line BrokerUnderTest waits for, in the broker's log format.
  process.stdout.write(`${JSON.stringify({ msg: 'broker started', config: { port } })}\n`);

  process.once('SIGTERM', () => {
    server.close();
    for (const socket of sockets) socket.destroy();
    void (async () => {
      await log.idle();
      await objects.close();
      await wal.close();
      await fs.rm(walName, { force: true });
      await fs.rm(objectDir, { recursive: true, force: true });
      process.exit(0);
    })();
  });
}

if (require.main === module) {
  serve(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`least-broker: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  });
}
