/**
 * The least broker is the benchmark's measure of what the machine allows, so it must do the work
 * it claims and no less: answer each request in order, by correlation id, only after the
 * request's bytes are in its O_DSYNC file in the WAL directory, write every byte once more to the
 * object store directory, and clean up when stopped.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BrokerUnderTest } from '../../bench/broker-process';
import { FrameDecoder } from '../../broker/protocol/framing';
import { encodeRequest } from '../../broker/protocol/messages/header';
import { ProduceRequest, ProduceResponse } from '../../broker/protocol/messages/produce';
import { Reader } from '../../broker/protocol/primitives';
import { buildRecordBatch } from '../../broker/protocol/record-batch';
import { decodeMessage } from '../../broker/protocol/schema';

jest.setTimeout(60_000);

function produceFrame(correlationId: number, valueBytes: number): Buffer {
  const batch = buildRecordBatch([{ key: null, value: Buffer.alloc(valueBytes, correlationId) }]);
  return encodeRequest(ProduceRequest, 8, correlationId, 'least-test', {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [{ name: 'least', partitionData: [{ index: 0, records: batch }] }],
  });
}

/** Collects the response frames arriving on `socket`, as (correlation id, error code). */
function answers(socket: Socket): { readonly correlationId: number; readonly errorCode: number | undefined }[] {
  const received: { correlationId: number; errorCode: number | undefined }[] = [];
  const frames = new FrameDecoder(1 << 20);
  socket.pipe(frames);
  frames.on('data', (frame: Buffer) => {
    const reader = new Reader(frame);
    const correlationId = reader.int32();
    const body = decodeMessage(ProduceResponse, 8, reader);
    received.push({ correlationId, errorCode: body.responses[0]?.partitionResponses[0]?.errorCode });
  });
  return received;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('answers each request after writing it to the WAL file, and writes every byte once more as objects', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dk-least-'));
  const walDir = path.join(dir, 'wal');
  const storeDir = path.join(dir, 'objects');
  const broker = await BrokerUnderTest.start(await BrokerUnderTest.bundleLeastBroker(path.join(dir, 'bundle')), [
    '--wal-dir', walDir,
    '--object-store', `file://${storeDir}`,
  ]);
  try {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const opened = connect({ port: broker.port, host: '127.0.0.1' }, () => resolve(opened));
      opened.once('error', reject);
    });
    const received = answers(socket);
    // Three requests in one write (one of them larger than a socket read), then one after the
    // object age: its write cuts an object holding all four.
    const first = [produceFrame(7, 100), produceFrame(8, 200_000), produceFrame(9, 300)];
    socket.write(Buffer.concat(first));
    await until(() => received.length === 3, 'three answers');
    const walFile = path.join(walDir, readdirSync(walDir).find((name) => name.startsWith('least-broker-'))!);
    const written = Buffer.concat(first);
    // Answered means written: the file starts with the three frames, byte for byte.
    expect(readFileSync(walFile).subarray(0, written.length).equals(written)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const last = produceFrame(10, 50);
    socket.write(last);
    await until(() => received.length === 4, 'the fourth answer');
    expect(received).toEqual([7, 8, 9, 10].map((correlationId) => ({ correlationId, errorCode: 0 })));
    const objectDir = path.join(storeDir, 'least-broker');
    // The object file appears when it is created, before its bytes are written: wait for all of them.
    const expected = Buffer.concat([...first, last]);
    const objectFile = (): string | undefined => readdirSync(objectDir).map((name) => path.join(objectDir, name))[0];
    await until(() => readdirSync(objectDir).length === 1 && statSync(objectFile()!).size >= expected.length, 'a whole object');
    expect(readdirSync(objectDir)).toHaveLength(1);
    expect(readFileSync(objectFile()!).equals(expected)).toBe(true);
    socket.destroy();

    expect(await broker.stop()).toBe(0);
    expect(readdirSync(walDir)).toEqual([]);
    expect(readdirSync(storeDir)).toEqual([]);
  } finally {
    broker.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
