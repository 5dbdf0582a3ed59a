/**
 * Reading a WAL: from the trim point in the header, record after record, until the framing says the
 * valid data ends (a length, version, position, CRC or epoch that does not fit). The size of the
 * files never says anything: they are preallocated and reused.
 *
 * `replayWal` opens another broker's (or our own) WAL directory read-only with freshly opened
 * files, as NFS close-to-open consistency requires to see what the other client wrote.
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import {
  HEADER_FILE,
  RECORD_HEADER_BYTES,
  RecordType,
  capacityOf,
  decodeHeader,
  decodeRecordHeader,
  locate,
  recordCrcMatches,
  segmentFileName,
  type WalGeometry,
  type WalHeader,
  type WalRecord,
} from './format';

const READ_CHUNK_BYTES = 4 * 1024 * 1024;

/** The WAL header of `dir`, or undefined when there is none (or neither slot is valid). */
export async function readWalHeader(dir: string): Promise<WalHeader | undefined> {
  try {
    return decodeHeader(await fs.readFile(path.join(dir, HEADER_FILE)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Visits every data and epoch-start record from `start` to the end of valid data, in order, and
 * returns the end position. `segments` are open handles of the segment files in index order.
 */
export async function scanWal(
  segments: readonly FileHandle[],
  geometry: WalGeometry,
  start: number,
  visit: (record: WalRecord) => void | Promise<void>,
): Promise<number> {
  const window = new SegmentWindow(segments, geometry);
  let position = start;
  let epoch: number | undefined;
  while (position - start < capacityOf(geometry)) {
    const { offset } = locate(geometry, position);
    const remaining = geometry.segmentBytes - offset;
    if (remaining < RECORD_HEADER_BYTES) {
      position += remaining;
      continue;
    }
    const headerBytes = await window.read(position, RECORD_HEADER_BYTES);
    const header = decodeRecordHeader(headerBytes, 0, position, remaining);
    if (header === undefined) break;
    if (header.type === RecordType.Padding && header.length !== remaining) break;
    const bytes = header.type === RecordType.Padding ? headerBytes : await window.read(position, header.length);
    if (header.type !== RecordType.Padding && bytes.length !== header.length) break;
    if (!recordCrcMatches(bytes, header.type)) break;
    if (header.type === RecordType.EpochStart) {
      if (epoch !== undefined && header.fields.epoch <= epoch) break;
      epoch = header.fields.epoch;
    } else {
      if (epoch !== undefined && header.fields.epoch !== epoch) break;
      epoch = header.fields.epoch;
    }
    if (header.type !== RecordType.Padding) {
      await visit({
        ...header.fields,
        type: header.type,
        position,
        length: header.length,
        payload: bytes.subarray(RECORD_HEADER_BYTES),
      });
    }
    position += header.length;
  }
  return position;
}

export interface WalReplayResult {
  readonly header: WalHeader;
  /** The logical position after the last valid record. */
  readonly end: number;
}

/**
 * Replays the WAL in `dir` read-only: calls `visit` for every record above the trim point (data
 * records and epoch starts; each carries its writer's epoch, topic id, partition, base offset and
 * record count, and the payload of whole record batches). Resolves with the header and the end;
 * undefined when the directory holds no WAL.
 */
export async function replayWal(
  dir: string,
  visit: (record: WalRecord) => void | Promise<void>,
): Promise<WalReplayResult | undefined> {
  const header = await readWalHeader(dir);
  if (header === undefined) return undefined;
  const handles: FileHandle[] = [];
  try {
    for (let index = 0; index < header.segmentCount; index++) {
      handles.push(await fs.open(path.join(dir, segmentFileName(index)), 'r'));
    }
    const end = await scanWal(handles, header, header.trim, visit);
    return { header, end };
  } finally {
    await Promise.all(handles.map((handle) => handle.close()));
  }
}

/** Reads a segment in large chunks, so that a scan costs few system calls. */
class SegmentWindow {
  private buffer = Buffer.alloc(0);
  private bufferStart = -1;

  constructor(
    private readonly segments: readonly FileHandle[],
    private readonly geometry: WalGeometry,
  ) {}

  /** `length` bytes at logical `position` (never crossing a segment end). */
  async read(position: number, length: number): Promise<Buffer> {
    if (this.bufferStart < 0 || position < this.bufferStart || position + length > this.bufferStart + this.buffer.length) {
      const { segment, offset } = locate(this.geometry, position);
      const size = Math.min(Math.max(length, READ_CHUNK_BYTES), this.geometry.segmentBytes - offset);
      const chunk = Buffer.allocUnsafe(size);
      let filled = 0;
      while (filled < size) {
        const { bytesRead } = await this.segments[segment].read(chunk, filled, size - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      this.buffer = chunk.subarray(0, filled);
      this.bufferStart = position;
    }
    const at = position - this.bufferStart;
    return this.buffer.subarray(at, Math.min(at + length, this.buffer.length));
  }
}
