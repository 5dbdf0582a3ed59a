/**
 * The machine floor, measured in the WAL directory with the same calls the WAL makes (FileHandle
 * write + datasync on a preallocated file): the latency of one write+fdatasync of a given size, and
 * the bandwidth of sequential appends each followed by fdatasync.
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { runAtFixedRate, type FixedRateLoad } from './fixed-rate';
import { Samples, type LatencySummary } from './stats';

/** The size of the benchmark's preallocated files (the floor's, and the least broker's WAL file). */
export const PREALLOCATED_FILE_BYTES = 256 * 1024 * 1024;

/** Zero-fills `file` to PREALLOCATED_FILE_BYTES and makes that durable: later writes overwrite it, never extend it, as the WAL's do. */
export async function preallocate(file: FileHandle): Promise<void> {
  const zeros = Buffer.alloc(4 * 1024 * 1024);
  for (let at = 0; at < PREALLOCATED_FILE_BYTES; at += zeros.length) await file.write(zeros, 0, zeros.length, at);
  await file.sync();
}

/** Writes `length` bytes of `buffer` after the previous append (from the start once the file is full), then fdatasync. */
type SyncedAppend = (buffer: Buffer, length: number) => Promise<void>;

/** Runs `use` with appends to a preallocated, zero-filled file in `dir`, removed afterwards. */
async function withPreallocatedFile<T>(dir: string, use: (append: SyncedAppend) => Promise<T>): Promise<T> {
  await fs.mkdir(dir, { recursive: true });
  const name = path.join(dir, `floor-${process.pid}.tmp`);
  const file = await fs.open(name, 'w+');
  try {
    await preallocate(file);
    let position = 0;
    return await use(async (buffer, length) => {
      if (position + length > PREALLOCATED_FILE_BYTES) position = 0;
      await file.write(buffer, 0, length, position);
      await file.datasync();
      position += length;
    });
  } finally {
    await file.close();
    await fs.rm(name, { force: true });
  }
}

/**
 * Latency of write+fdatasync of `sizeBytes` at consecutive positions, `samples` times, waiting
 * `paceMs` between samples (0: back to back). Paced like the broker's requests, the floor sees what
 * they see: a process woken by a timer, and the file system's periodic work (journal commits).
 */
export function measureSyncLatency(dir: string, sizeBytes: number, samples: number, paceMs = 0): Promise<LatencySummary> {
  return withPreallocatedFile(dir, async (append) => {
    const buffer = Buffer.alloc(sizeBytes, 0x5a);
    const latencies = new Samples();
    for (let i = 0; i < samples; i++) {
      const start = performance.now();
      await append(buffer, sizeBytes);
      latencies.add(performance.now() - start);
      if (paceMs > 0) await new Promise((resolve) => setTimeout(resolve, paceMs));
    }
    return latencies.summary();
  });
}

/**
 * Write+fdatasync at a fixed rate, measured the way the broker's produce latency is: every tick
 * (a timer, as in the benchmark's producer) a request carrying the records due becomes ready,
 * whether or not the previous write has finished. Writes go one at a time, each carrying every
 * request ready when it starts (group commit, the least any log that acknowledges after fdatasync
 * can do), and a request's latency runs from its tick to the end of the fdatasync that covered it.
 * The requests of the warm-up are written and not measured, as the broker's are.
 *
 * The closed loop above (the next write only after the last one ended) takes one sample of a
 * 10 ms stall of the device; at a fixed rate, ten requests arrive during it and every one waits.
 * The broker is measured at a fixed rate, so this is its floor.
 */
export function measureSyncLatencyAtRate(
  dir: string,
  load: FixedRateLoad & {
    /** Bytes each request adds to its records (batch header, WAL record header). */
    readonly requestOverheadBytes: number;
  },
): Promise<LatencySummary> {
  return withPreallocatedFile(dir, async (append) => {
    const buffer = Buffer.alloc(4 * 1024 * 1024, 0x5a);
    const latencies = new Samples();
    const ready: { readonly at: number; readonly bytes: number; readonly measured: boolean }[] = [];
    let writing: Promise<void> = Promise.resolve();
    let idle = true;
    const writeReady = async (): Promise<void> => {
      idle = false;
      while (ready.length > 0) {
        let bytes = 0;
        let count = 0;
        while (count < ready.length && (count === 0 || bytes + ready[count].bytes <= buffer.length)) bytes += ready[count++].bytes;
        const covered = ready.splice(0, count);
        await append(buffer, Math.min(bytes, buffer.length));
        const end = performance.now();
        for (const request of covered) if (request.measured) latencies.add(end - request.at);
      }
      idle = true;
    };
    await runAtFixedRate(load, (records, measured) => {
      ready.push({ at: performance.now(), bytes: records * load.recordBytes + load.requestOverheadBytes, measured });
      if (idle) writing = writeReady();
    });
    await writing;
    return latencies.summary();
  });
}

/** MiB/s of sequential writes of `blockBytes`, each followed by fdatasync, for `durationMs`. */
export function measureSyncBandwidth(dir: string, blockBytes: number, durationMs: number): Promise<number> {
  return withPreallocatedFile(dir, async (append) => {
    const buffer = Buffer.alloc(blockBytes, 0xa5);
    let bytes = 0;
    const start = performance.now();
    while (performance.now() - start < durationMs) {
      await append(buffer, blockBytes);
      bytes += blockBytes;
    }
    return bytes / (1024 * 1024) / ((performance.now() - start) / 1000);
  });
}
