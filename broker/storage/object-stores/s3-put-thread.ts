/**
 * The S3 store's PUT thread: a worker thread with an S3 client of its own that sends the large,
 * unconditional PUTs (the data objects), so that their TLS encryption and the SDK's work stay off
 * the event loop that serves the clients (about 1 CPU-second per GiB uploaded against an S3
 * endpoint over HTTPS, `docs/performance.md`).
 *
 * - A body in a SharedArrayBuffer (the uploader pools them so) is shared with the thread, not
 *   copied; any other body is copied once by postMessage. The caller must not change the body
 *   until put() settles.
 * - S3's answers come back as they are: the ETag, or the error's name, message and HTTP status,
 *   so that the caller's retry decisions are the same as for a PUT on its own thread.
 * - The thread starts on the first PUT and stops after a while without any, and never keeps the
 *   process alive while idle. If it dies, its PUTs in flight reject with PutThreadFailure (the
 *   store then sends them itself) and the next PUT starts a new thread.
 * - Where the thread's code is: next to the bundle in the Docker image (`dist/s3-put-worker.js`,
 *   built by the Dockerfile), else the TypeScript source, run through tsx as the broker is in
 *   development and tests.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { S3ClientSettings } from './s3-client';

export interface PutRequest {
  readonly id: number;
  readonly bucket: string;
  readonly key: string;
  readonly body: Uint8Array;
  readonly crc32c: number;
}

export type PutAnswer =
  | { readonly id: number; readonly etag: string }
  | { readonly id: number; readonly error: { readonly name: string; readonly message: string; readonly httpStatusCode?: number } };

/** The thread stopped (crashed, or could not start) before answering: the PUT was not necessarily sent. */
export class PutThreadFailure extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PutThreadFailure';
  }
}

/** An error S3 (or the SDK) gave the thread, rebuilt with what retry decisions read. */
export class S3PutError extends Error {
  readonly $metadata: { readonly httpStatusCode?: number };

  constructor(name: string, message: string, httpStatusCode: number | undefined) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode };
  }
}

const IDLE_STOP_MS = 10_000;

interface Waiter {
  /** The thread the PUT was handed to: only its end fails the PUT. */
  readonly worker: Worker;
  readonly resolve: (etag: string) => void;
  readonly reject: (error: Error) => void;
}

export class S3PutThread {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly settings: S3ClientSettings) {}

  /** PUTs `body` under `key` in `bucket` from the thread; resolves with the ETag. */
  put(bucket: string, key: string, body: Buffer, crc32c: number): Promise<string> {
    const worker = this.worker ?? this.start();
    clearTimeout(this.idleTimer);
    const id = this.nextId++;
    const answered = new Promise<string>((resolve, reject) => this.waiting.set(id, { worker, resolve, reject }));
    worker.ref();
    const request: PutRequest = { id, bucket, key, body, crc32c };
    worker.postMessage(request);
    return answered;
  }

  /** PUTs waiting for the thread's answer. */
  get inFlight(): number {
    return this.waiting.size;
  }

  /** Stops the thread; PUTs in flight reject with PutThreadFailure. A later put() starts a new one. */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private start(): Worker {
    const compiled = path.join(__dirname, 's3-put-worker.js');
    const worker = existsSync(compiled)
      ? new Worker(compiled, { workerData: this.settings })
      : new Worker(`require('tsx/cjs'); require(${JSON.stringify(path.join(__dirname, 's3-put-worker.ts'))});`, {
          eval: true,
          workerData: this.settings,
        });
    worker.unref();
    worker.on('message', (answer: PutAnswer) => this.onAnswer(answer));
    worker.on('error', (error) => this.onStopped(worker, new PutThreadFailure(`the S3 PUT thread failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => this.onStopped(worker, new PutThreadFailure(`the S3 PUT thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private onAnswer(answer: PutAnswer): void {
    const waiter = this.waiting.get(answer.id);
    if (!waiter) return;
    this.waiting.delete(answer.id);
    if ('etag' in answer) waiter.resolve(answer.etag);
    else waiter.reject(new S3PutError(answer.error.name, answer.error.message, answer.error.httpStatusCode));
    if (this.waiting.size === 0) this.becameIdle();
  }

  private becameIdle(): void {
    const worker = this.worker;
    if (!worker) return;
    worker.unref(); // ref() again by the next put()
    this.idleTimer = setTimeout(() => {
      if (this.worker === worker && this.waiting.size === 0) {
        this.worker = undefined;
        void worker.terminate();
      }
    }, IDLE_STOP_MS);
    this.idleTimer.unref();
  }

  private onStopped(worker: Worker, failure: PutThreadFailure): void {
    if (this.worker === worker) this.worker = undefined;
    for (const [id, waiter] of this.waiting) {
      if (waiter.worker !== worker) continue;
      this.waiting.delete(id);
      waiter.reject(failure);
    }
  }
}
