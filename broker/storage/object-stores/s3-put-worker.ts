/**
 * The S3 PUT thread's code (see s3-put-thread.ts): an S3 client of its own, one PUT per message,
 * answered with the ETag or with the error's name, message and HTTP status.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { parentPort, workerData } from 'node:worker_threads';
import { crc32cBase64, createS3Client, type S3ClientSettings } from './s3-client';
import type { PutAnswer, PutRequest } from './s3-put-thread';

const client = createS3Client(workerData as S3ClientSettings);
const port = parentPort!;

async function put(request: PutRequest): Promise<PutAnswer> {
  const { id, bucket, key, body, crc32c } = request;
  try {
    const output = await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
        ContentLength: body.byteLength,
        ChecksumCRC32C: crc32cBase64(crc32c),
      }),
    );
    return { id, etag: output.ETag ?? '' };
  } catch (error) {
    const failure = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    return { id, error: { name: failure.name ?? 'Error', message: failure.message ?? String(error), httpStatusCode: failure.$metadata?.httpStatusCode } };
  }
}

port.on('message', (request: PutRequest) => {
  void put(request).then((answer) => port.postMessage(answer));
});
