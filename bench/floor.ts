/**
 * The machine floor, measured in the WAL directory with the same calls the WAL makes (FileHandle
 * write + datasync on a preallocated file): the latency of one write+fdatasync of a given size, and
 * the bandwidth of sequential appends each followed by fdatasync.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Samples, type LatencySummary } from './stats';

const FILE_BYTES = 256 * 1024 * 1024;

async function withPreallocatedFile<T>(dir: string, use: (file: fs.FileHandle) => Promise<T>): Promise<T> {
  await fs.mkdir(dir, { recursive: true });
  const name = path.join(dir, `floor-${process.pid}.tmp`);
  const file = await fs.open(name, 'w+');
  try {
    const zeros = Buffer.alloc(4 * 1024 * 1024);
    for (let at = 0; at < FILE_BYTES; at += zeros.length) await file.write(zeros, 0, zeros.length, at);
    await file.sync();
    return await use(file);
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
  return withPreallocatedFile(dir, async (file) => {
    const buffer = Buffer.alloc(sizeBytes, 0x5a);
    const latencies = new Samples();
    let position = 0;
    for (let i = 0; i < samples; i++) {
      if (position + sizeBytes > FILE_BYTES) position = 0;
      const start = performance.now();
      await file.write(buffer, 0, sizeBytes, position);
      await file.datasync();
      latencies.add(performance.now() - start);
      position += sizeBytes;
      if (paceMs > 0) await new Promise((resolve) => setTimeout(resolve, paceMs));
    }
    return latencies.summary();
  });
}

/** MiB/s of sequential writes of `blockBytes`, each followed by fdatasync, for `durationMs`. */
export function measureSyncBandwidth(dir: string, blockBytes: number, durationMs: number): Promise<number> {
  return withPreallocatedFile(dir, async (file) => {
    const buffer = Buffer.alloc(blockBytes, 0xa5);
    let position = 0;
    let bytes = 0;
    const start = performance.now();
    while (performance.now() - start < durationMs) {
      if (position + blockBytes > FILE_BYTES) position = 0;
      await file.write(buffer, 0, blockBytes, position);
      await file.datasync();
      position += blockBytes;
      bytes += blockBytes;
    }
    return bytes / (1024 * 1024) / ((performance.now() - start) / 1000);
  });
}
