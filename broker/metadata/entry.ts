/**
 * A metadata log entry: one small JSON object in the object store, `meta/log/<20-digit sequence>`,
 * written create-only. The envelope says who wrote it and when; `kind` selects the sections that
 * apply it; the other fields are the kind's payload (plain JSON: numbers, strings, arrays).
 */

export interface EntryWriter {
  readonly nodeId: number;
  /** The writer's epoch (its registration's sequence), absent before it registered. */
  readonly epoch?: number;
  /** Random per process start: tells this incarnation's entries from an earlier one's. */
  readonly incarnation: string;
}

export interface MetadataEntry {
  readonly kind: string;
  readonly writer: EntryWriter;
  /** Random per proposal: lets a writer recognise its own entry after a lost response. */
  readonly id: string;
  /** The writer's clock when it proposed the entry (apply functions use this, never their own clock). */
  readonly timeMs: number;
  readonly [field: string]: unknown;
}

/** What a proposer supplies: the kind and payload; the log adds the envelope. */
export interface EntryBody {
  readonly kind: string;
  readonly [field: string]: unknown;
}

export const LOG_PREFIX = 'meta/log/';
export const CHECKPOINT_PREFIX = 'meta/checkpoint/';

export function logKey(sequence: number): string {
  return `${LOG_PREFIX}${sequence.toString().padStart(20, '0')}`;
}

export function checkpointKey(sequence: number): string {
  return `${CHECKPOINT_PREFIX}${sequence.toString().padStart(20, '0')}`;
}

/** The sequence a log or checkpoint key names. */
export function sequenceOfKey(key: string): number {
  const digits = key.slice(key.lastIndexOf('/') + 1);
  const sequence = Number(digits);
  if (!/^\d{20}$/.test(digits) || !Number.isSafeInteger(sequence)) {
    throw new Error(`not a metadata log key: ${key}`);
  }
  return sequence;
}
