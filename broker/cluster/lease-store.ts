/**
 * Leases as sequences of create-only objects in the object store: `<prefix>/<20-digit sequence>`.
 *
 * Each renewal creates the next sequence number; a fence (or a release, or a takeover of the
 * controller lease) creates the next sequence number too, with other content. Because every write
 * is create-only, exactly one of a renewal and a fence racing for the same number wins, and the
 * loser learns it from the precondition failure: a fenced holder can never renew again, and a fence
 * can never land on a lease that was renewed after it was judged lapsed.
 *
 * Why not one object updated by compare-and-swap: a create-only write is a single atomic step on
 * both stores (S3 `If-None-Match: *`, link(2) on the local directory), whereas the local store's
 * compare-and-swap runs under a lock file that is broken after a timeout, so a writer paused inside
 * it could still land a stale write. Sequences also give observers a version for free.
 *
 * Observers poll cheaply by reading the record after the last one they saw (a GET: on S3 a tenth of
 * the price of a LIST), and confirm by listing (strongly consistent on S3 and on the local
 * directory) before they act on a lapse. The holder prunes records far behind the latest, so a read
 * of a pruned number may wrongly suggest "no renewal"; the listing never misses the latest record,
 * which is never pruned, and a fence is only written at the number after the listed latest.
 */
import type { ObjectStore } from '../storage/object-store';
import { ObjectNotFoundError, PreconditionFailedError } from '../storage/object-store';

export type LeaseRecordKind = 'renewal' | 'fenced' | 'released';

export interface LeaseRecord {
  readonly kind: LeaseRecordKind;
  /** The epoch of the broker holding the lease (for a fence or release: the one that held it). */
  readonly holder: number;
  readonly nodeId: number;
  /** For a fence: the epoch of the broker that wrote it. */
  readonly by?: number;
}

export interface SequencedRecord {
  readonly seq: number;
  readonly record: LeaseRecord;
}

const SEQUENCE_DIGITS = 20;

export function sequenceKey(prefix: string, seq: number): string {
  return `${prefix}/${String(seq).padStart(SEQUENCE_DIGITS, '0')}`;
}

export class LeaseLog {
  constructor(
    private readonly store: ObjectStore,
    /** e.g. `cluster/leases/00000000000000000042` or `cluster/controller`. */
    readonly prefix: string,
  ) {}

  /**
   * Creates record `seq`. Returns false when that sequence number already exists (someone else
   * wrote it first: read it to learn who).
   */
  async create(seq: number, record: LeaseRecord): Promise<boolean> {
    try {
      await this.store.put(sequenceKey(this.prefix, seq), Buffer.from(JSON.stringify(record)), { ifNoneMatch: '*' });
      return true;
    } catch (error) {
      if (error instanceof PreconditionFailedError) return false;
      throw error;
    }
  }

  /** Record `seq`, or undefined when it does not exist (one GET). */
  async read(seq: number): Promise<LeaseRecord | undefined> {
    const key = sequenceKey(this.prefix, seq);
    try {
      return parseRecord(key, await this.store.get(key));
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return undefined;
      throw error;
    }
  }

  /** The latest record, looking only after `afterSeq` when given; undefined when there is none. */
  async latest(afterSeq?: number): Promise<SequencedRecord | undefined> {
    let lastKey: string | undefined;
    const startAfter = afterSeq === undefined ? undefined : sequenceKey(this.prefix, afterSeq);
    for await (const info of this.store.list(`${this.prefix}/`, startAfter)) lastKey = info.key;
    if (lastKey === undefined) return undefined;
    const seq = Number(lastKey.slice(this.prefix.length + 1));
    // Deleted between the listing and the read: only the holder deletes, never its latest record.
    const record = await this.read(seq);
    return record === undefined ? this.latest(afterSeq) : { seq, record };
  }

  /** Deletes records below `seq` (older renewals nobody needs). */
  async pruneBelow(seq: number): Promise<void> {
    for await (const info of this.store.list(`${this.prefix}/`)) {
      if (Number(info.key.slice(this.prefix.length + 1)) >= seq) break;
      await this.store.delete(info.key);
    }
  }

  /** Deletes the whole lease (once its epoch is gone and handled). */
  async deleteAll(): Promise<void> {
    const keys: string[] = [];
    for await (const info of this.store.list(`${this.prefix}/`)) keys.push(info.key);
    for (const key of keys) await this.store.delete(key);
  }
}

function parseRecord(key: string, body: Buffer): LeaseRecord {
  const value = JSON.parse(body.toString('utf8')) as Partial<LeaseRecord>;
  if (
    (value.kind !== 'renewal' && value.kind !== 'fenced' && value.kind !== 'released') ||
    typeof value.holder !== 'number' ||
    typeof value.nodeId !== 'number'
  ) {
    throw new Error(`lease record ${key} is malformed: ${body.toString('utf8').slice(0, 200)}`);
  }
  return value as LeaseRecord;
}

/**
 * An observer's handle on one lease: `poll` follows renewals with reads, `confirm` lists. Both
 * return the latest record known (undefined while the lease has no record at all).
 */
export class LeaseWatch {
  private known: SequencedRecord | undefined;

  constructor(readonly log: LeaseLog) {}

  get latest(): SequencedRecord | undefined {
    return this.known;
  }

  async poll(): Promise<SequencedRecord | undefined> {
    if (this.known === undefined) return this.confirm();
    for (;;) {
      const next = await this.log.read(this.known.seq + 1);
      if (next === undefined) return this.known;
      this.known = { seq: this.known.seq + 1, record: next };
    }
  }

  async confirm(): Promise<SequencedRecord | undefined> {
    const listed = await this.log.latest(this.known?.seq);
    if (listed !== undefined) this.known = listed;
    return this.known;
  }
}
