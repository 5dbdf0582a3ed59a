/**
 * The S3 PUT thread's code (see s3-put-thread.ts): an S3 client of its own, one PUT per message,
 * answered with the ETag or with the error's name, message and HTTP status.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createS3Client, putObjectCommand, type S3ClientSettings } from './s3-client';
import type { PutAnswer, PutRequest } from './s3-put-thread';

const client = createS3Client(workerData as S3ClientSettings);
const port = parentPort!;

async function put(request: PutRequest): Promise<PutAnswer> {
  const { id, bucket, key, body, crc32c } = request;
  try {
    const output = await client.send(putObjectCommand(bucket, key, body, crc32c));
    return { id, etag: output.ETag ?? '' };
  } catch (error) {
    const failure = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    return { id, error: { name: failure.name ?? 'Error', message: failure.message ?? String(error), httpStatusCode: failure.$metadata?.httpStatusCode } };
  }
}

port.on('message', (request: PutRequest) => {
  void put(request).then((answer) => port.postMessage(answer));
});
