/**
 * The broker's WAL on its own: a WriteAheadLog in this process, in the WAL directory, appended to
 * by `callers` concurrent appenders of `recordBytes` each (no network, no engine, no uploads; the
 * trim point follows the end so the log never fills). Between the machine floor and the broker,
 * it tells how fast the WAL's group commit can go here, so a broker figure below it points at the
 * rest of the broker, not at the WAL.
 */
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import pino from 'pino';
import { WriteAheadLog, type WalSyncMode } from '../broker/storage/wal/wal';

export interface WalAloneResult {
  readonly mibPerSecond: number;
  readonly meanFlushBytes: number;
  readonly flushMs: { p50: number; p99: number; max: number };
}

export async function measureWalAlone(
  walDir: string,
  capacityBytes: number,
  recordBytes: number,
  callers: number,
  durationMs: number,
  syncMode: WalSyncMode,
): Promise<WalAloneResult> {
  const dir = path.join(walDir, `wal-alone-${process.pid}`);
  const wal = await WriteAheadLog.open({ dir, nodeId: 0, capacityBytes, syncMode, logger: pino({ level: 'silent' }) }, 1, () => undefined);
  try {
    const payload = Buffer.alloc(recordBytes, 0x77);
    const topicId = Buffer.alloc(16);
    let offset = 0;
    let bytes = 0;
    /** End positions of the records written so far, oldest first: where a trim may go. */
    const recordEnds: number[] = [];
    const start = performance.now();
    const appender = async (): Promise<void> => {
      while (performance.now() - start < durationMs) {
        await wal.append({
          payloadBytes: recordBytes,
          deadline: Date.now() + 30_000,
          place: () => ({ fields: { epoch: 1, topicId, partition: 0, baseOffset: offset++, recordCount: 1 }, payload }),
          placed: (_payload, position, length) => recordEnds.push(position + length),
        });
        bytes += recordBytes;
        // Once half full, as if all but the latest quarter of the capacity had been uploaded.
        if (wal.usedBytes > capacityBytes / 2) {
          let trimTo = wal.trimPosition;
          while (recordEnds.length > 0 && recordEnds[0] <= wal.endPosition - capacityBytes / 4) trimTo = recordEnds.shift()!;
          if (trimTo > wal.trimPosition) await wal.trim(trimTo);
        }
      }
    };
    await Promise.all(Array.from({ length: callers }, appender));
    const seconds = (performance.now() - start) / 1000;
    const { flushes, bytesWritten, flushMs } = wal.statistics;
    return { mibPerSecond: bytes / (1 << 20) / seconds, meanFlushBytes: flushes > 0 ? bytesWritten / flushes : 0, flushMs };
  } finally {
    await wal.close();
    await rm(dir, { recursive: true, force: true });
  }
}
