/**
 * The metadata log: a totally ordered log of create-only objects in the object store, the
 * cluster's single source of truth (docs/adr/0001-object-store-is-the-authority.md).
 *
 * - Append: write `meta/log/<head + 1>` create-only. If another writer took that sequence, read
 *   the new entries, apply them, re-run the proposal against the new state (it may now decline or
 *   change), and try the next sequence. The proposal is a function of the state for that reason.
 * - Apply: every entry, ours or another broker's, goes through MetadataState.apply in sequence
 *   order; listeners hear about each one.
 * - Tail: `catchUp()` reads entries after the head (GET head + 1 until not found); `startTailing`
 *   does it periodically.
 * - Checkpoints: the writer of every `checkpointInterval`-th entry saves the state as
 *   `meta/checkpoint/<sequence>`, so opening the log reads the latest checkpoint and the entries
 *   after it rather than the whole history.
 * - Trimming: the checkpoint writer then deletes the entries up to the newest checkpoint whose
 *   entry is older than `trimAfterMs` (an hour), and the checkpoints before it. The two latest
 *   checkpoints always stay, so opening never needs what was deleted.
 *
 * Why trimming is safe. Uniqueness of a sequence is what the create-only write guarantees, and
 * deleting keys takes it away: a broker that fell behind (its head entry older than the trim) would
 * read "not found" for its next entry and take it for the end of the log, and its create-only PUT
 * at that sequence would succeed, so it would act on an entry nobody else reads. Every deleted
 * entry was written more than `trimAfterMs` ago, and a broker's next entry comes after its head
 * entry. So while the head entry is younger than `trimAfterMs` minus a margin for clock skew
 * (`trimMarginMs`), a "not found" or a successful PUT means what it says. With an older head (a
 * quiet log, or a broker cut off from it), the broker checks that no checkpoint lies beyond its head
 * (checkpoints precede everything trimmed); if one does, it fell behind: `onFellBehind` and an
 * error, never a silent success.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { deleteObjects, ObjectNotFoundError, PreconditionFailedError, type ObjectStore } from '../storage/object-store';
import {
  CHECKPOINT_PREFIX,
  LOG_PREFIX,
  checkpointKey,
  logKey,
  sequenceOfKey,
  type EntryBody,
  type EntryWriter,
  type MetadataEntry,
} from './entry';
import { MetadataState, type AnySection, type ApplyOutcome } from './state';

export interface MetadataLogOptions {
  readonly store: ObjectStore;
  readonly sections: readonly AnySection[];
  /** The node id written into each entry's envelope. */
  readonly nodeId: number;
  readonly logger: Logger;
  /** @default 1000 */
  readonly checkpointInterval?: number;
  /** Entries read in parallel while opening. @default 16 */
  readonly readConcurrency?: number;
  /** Entries older than this (and below two newer checkpoints) are deleted. @default 1 hour */
  readonly trimAfterMs?: number;
  /** Allowance for the brokers' clocks disagreeing. @default a tenth of trimAfterMs, at most 5 minutes */
  readonly trimMarginMs?: number;
  /** Called (before the error is thrown) when this broker finds it fell behind the trimmed log: it must restart. */
  readonly onFellBehind?: (reason: string) => void;
  /** @default Date.now */
  readonly clock?: () => number;
}

/** This broker's view is older than the trimmed part of the log: it cannot catch up, only reopen. */
export class MetadataLogBehindError extends Error {}

/** With an old head, how often a catch-up checks for checkpoints beyond it. */
const BEHIND_CHECK_INTERVAL_MS = 30_000;

export type AppliedListener = (outcome: ApplyOutcome) => void;

interface SavedCheckpoint {
  readonly sequence: number;
  readonly slices: Record<string, unknown>;
  /** The writer's time on the entry at `sequence` (absent in checkpoints from before trimming). */
  readonly timeMs?: number;
}

export class MetadataLog {
  /** Random per process: tells this incarnation's entries from an earlier one's. */
  readonly incarnation = randomBytes(8).toString('hex');
  private current: MetadataState;
  private epoch: number | undefined;
  private readonly listeners = new Set<AppliedListener>();
  /** Appends and catch-ups run one at a time, in this chain. */
  private exclusive: Promise<unknown> = Promise.resolve();
  private tailTimer: NodeJS.Timeout | undefined;
  private tailing = false;
  private readonly checkpointInterval: number;
  private readonly readConcurrency: number;
  private readonly trimAfterMs: number;
  private readonly trimMarginMs: number;
  private readonly clock: () => number;
  /** The writer's time on the head entry (0: unknown, as good as old). */
  private headTimeMs = 0;
  private lastBehindCheckMs = -Infinity;
  /** Checkpoint writes (and the trims after them) under way. */
  private readonly background = new Set<Promise<void>>();

  constructor(private readonly options: MetadataLogOptions) {
    this.current = new MetadataState(options.sections);
    this.checkpointInterval = options.checkpointInterval ?? 1000;
    this.readConcurrency = options.readConcurrency ?? 16;
    this.trimAfterMs = options.trimAfterMs ?? 3_600_000;
    this.trimMarginMs = options.trimMarginMs ?? Math.min(300_000, this.trimAfterMs / 10);
    this.clock = options.clock ?? Date.now;
  }

  get state(): MetadataState {
    return this.current;
  }

  /** The sequence of the last applied entry. */
  get head(): number {
    return this.current.sequence;
  }

  /** Stamped on every entry appended from now on (after this broker registered). */
  setWriterEpoch(epoch: number): void {
    this.epoch = epoch;
  }

  get writer(): EntryWriter {
    return { nodeId: this.options.nodeId, epoch: this.epoch, incarnation: this.incarnation };
  }

  /** Loads the latest checkpoint and applies every entry after it. Listeners hear only later entries. */
  async open(): Promise<void> {
    await this.runExclusive(async () => {
      const checkpoint = await this.latestCheckpoint();
      if (checkpoint) {
        this.current = new MetadataState(this.options.sections, checkpoint);
        this.headTimeMs = checkpoint.timeMs ?? 0;
      }
      const keys: string[] = [];
      for await (const info of this.options.store.list(LOG_PREFIX, logKey(this.head))) keys.push(info.key);
      for (let start = 0; start < keys.length; start += this.readConcurrency) {
        const window = keys.slice(start, start + this.readConcurrency);
        const entries = await Promise.all(window.map((key) => this.readEntry(key)));
        window.forEach((key, i) => {
          const sequence = sequenceOfKey(key);
          if (sequence !== this.head + 1) {
            throw new Error(`the metadata log in ${this.options.store.location} has a gap: ${key} follows ${this.head}`);
          }
          this.current.apply(sequence, entries[i]);
          this.headTimeMs = entries[i].timeMs;
        });
      }
      await this.catchUpLocked();
      this.options.logger.info(
        { head: this.head, checkpoint: checkpoint?.sequence ?? null, store: this.options.store.location },
        'metadata log opened',
      );
    });
  }

  /**
   * Appends the entry `propose` makes from the current state, re-proposing against newer state
   * when another writer got there first. Resolves with how the entry applied, or undefined when
   * the proposal declined (returned undefined). A proposal may throw to refuse (e.g. KafkaError).
   */
  append(propose: (state: MetadataState) => EntryBody | undefined): Promise<ApplyOutcome | undefined> {
    return this.runExclusive(async () => {
      for (;;) {
        const body = propose(this.current);
        if (body === undefined) return undefined;
        const entry: MetadataEntry = {
          ...body,
          kind: body.kind,
          writer: this.writer,
          id: randomBytes(8).toString('hex'),
          timeMs: this.clock(),
        };
        const sequence = this.head + 1;
        try {
          await this.options.store.put(logKey(sequence), Buffer.from(JSON.stringify(entry)), { ifNoneMatch: '*' });
        } catch (error) {
          if (!(error instanceof PreconditionFailedError)) throw error;
          // Either another writer took the sequence, or our own write landed and its response was lost.
          const winner = await this.readEntry(logKey(sequence));
          if (winner.id !== entry.id) {
            this.applyAndNotify(sequence, winner);
            await this.catchUpLocked();
            continue;
          }
        }
        // The PUT created the key; the key may have been trimmed before (see the top of the file).
        await this.checkNotBehind(sequence, 'its create-only write succeeded');
        const outcome = this.applyAndNotify(sequence, entry);
        if (sequence % this.checkpointInterval === 0) this.writeCheckpoint();
        return outcome;
      }
    });
  }

  /** Reads and applies every entry written since the head. */
  catchUp(): Promise<void> {
    return this.runExclusive(() => this.catchUpLocked());
  }

  /** Calls `listener` after each entry applied from now on; returns the unsubscribe function. */
  onApplied(listener: AppliedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Catches up every `intervalMs` (other brokers' topics, commits, registrations). */
  startTailing(intervalMs: number): void {
    this.stopTailing();
    this.tailTimer = setInterval(() => {
      if (this.tailing) return;
      this.tailing = true;
      this.catchUp()
        .catch((error: unknown) => this.options.logger.warn({ err: error }, 'metadata log catch-up failed; will retry'))
        .finally(() => {
          this.tailing = false;
        });
    }, intervalMs);
    this.tailTimer.unref();
  }

  stopTailing(): void {
    if (this.tailTimer) clearInterval(this.tailTimer);
    this.tailTimer = undefined;
  }

  /** Stops tailing and waits for the append or catch-up in progress, and for checkpoints (and trims) being written. */
  async close(): Promise<void> {
    this.stopTailing();
    await this.runExclusive(() => Promise.resolve());
    await Promise.all([...this.background]);
  }

  private async catchUpLocked(): Promise<void> {
    for (;;) {
      let entry: MetadataEntry;
      try {
        entry = await this.readEntry(logKey(this.head + 1));
      } catch (error) {
        if (!(error instanceof ObjectNotFoundError)) throw error;
        // "Not found" is the end of the log, unless the entry was trimmed (see the top of the file).
        if (!this.headIsYoung() && this.clock() - this.lastBehindCheckMs >= BEHIND_CHECK_INTERVAL_MS) {
          this.lastBehindCheckMs = this.clock();
          await this.checkNotBehind(this.head + 1, 'it was not found');
        }
        return;
      }
      this.applyAndNotify(this.head + 1, entry);
    }
  }

  /** The head entry is too young for anything after it to have been trimmed. */
  private headIsYoung(): boolean {
    return this.clock() - this.headTimeMs < this.trimAfterMs - this.trimMarginMs;
  }

  /**
   * Throws MetadataLogBehindError (after `onFellBehind`) if `sequence`, the one after the head, may
   * have been trimmed: the head entry is old and a checkpoint lies at or beyond `sequence`.
   */
  private async checkNotBehind(sequence: number, what: string): Promise<void> {
    if (this.headIsYoung()) return;
    const latest = await this.latestCheckpointKey();
    if (latest === undefined || sequenceOfKey(latest) < sequence) return;
    const reason = `metadata log entry ${sequence}: ${what}, but checkpoint ${sequenceOfKey(latest)} is beyond it and the head entry is ${this.clock() - this.headTimeMs} ms old: this broker fell behind the trimmed log`;
    this.options.logger.error({ sequence, checkpoint: sequenceOfKey(latest), headTimeMs: this.headTimeMs }, 'fell behind the trimmed metadata log');
    this.options.onFellBehind?.(reason);
    throw new MetadataLogBehindError(reason);
  }

  private applyAndNotify(sequence: number, entry: MetadataEntry): ApplyOutcome {
    const outcome = this.current.apply(sequence, entry);
    this.headTimeMs = entry.timeMs;
    for (const listener of this.listeners) {
      try {
        listener(outcome);
      } catch (error) {
        this.options.logger.error({ err: error, sequence, kind: entry.kind }, 'metadata listener failed');
      }
    }
    return outcome;
  }

  private async readEntry(key: string): Promise<MetadataEntry> {
    const body = await this.options.store.get(key);
    try {
      return JSON.parse(body.toString('utf8')) as MetadataEntry;
    } catch (error) {
      throw new Error(`metadata log entry ${key} is not valid JSON`, { cause: error });
    }
  }

  private async checkpointKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const info of this.options.store.list(CHECKPOINT_PREFIX)) keys.push(info.key);
    return keys;
  }

  private async latestCheckpointKey(): Promise<string | undefined> {
    return (await this.checkpointKeys()).at(-1);
  }

  private async latestCheckpoint(): Promise<SavedCheckpoint | undefined> {
    const latest = await this.latestCheckpointKey();
    if (latest === undefined) return undefined;
    const saved = JSON.parse((await this.options.store.get(latest)).toString('utf8')) as SavedCheckpoint;
    if (saved.sequence !== sequenceOfKey(latest)) throw new Error(`checkpoint ${latest} holds sequence ${saved.sequence}`);
    return saved;
  }

  /** Saves the state now (synchronously, so it is exactly the state at this sequence) and writes it in the background. */
  private writeCheckpoint(): void {
    const saved: SavedCheckpoint = { ...this.current.save(), timeMs: this.headTimeMs };
    const body = Buffer.from(JSON.stringify(saved));
    const task = (async () => {
      try {
        await this.options.store.put(checkpointKey(saved.sequence), body, { ifNoneMatch: '*' });
        this.options.logger.info({ sequence: saved.sequence, bytes: body.length }, 'metadata checkpoint written');
        await this.trim();
      } catch (error) {
        if (error instanceof PreconditionFailedError) return;
        this.options.logger.warn({ err: error, sequence: saved.sequence }, 'metadata checkpoint or trim failed; the next one will do');
      }
    })();
    this.background.add(task);
    void task.finally(() => this.background.delete(task));
  }

  /**
   * Deletes the entries up to the newest checkpoint (other than the latest two) whose entry is
   * older than trimAfterMs plus the margin, then the checkpoints before that one.
   */
  private async trim(): Promise<void> {
    const checkpoints = await this.checkpointKeys();
    const cutoffMs = this.clock() - this.trimAfterMs - this.trimMarginMs;
    // Oldest first: usually only the first one or two are old enough, so this reads few entries.
    let trimTo: number | undefined;
    for (const key of checkpoints.slice(0, -2)) {
      const sequence = sequenceOfKey(key);
      const entry = await this.readEntry(logKey(sequence)).catch((error: unknown) => {
        if (error instanceof ObjectNotFoundError) return undefined; // trimmed with it by another broker
        throw error;
      });
      if (entry !== undefined && entry.timeMs >= cutoffMs) break;
      trimTo = sequence;
    }
    if (trimTo === undefined) return;
    const entries: string[] = [];
    for await (const info of this.options.store.list(LOG_PREFIX)) {
      if (sequenceOfKey(info.key) > trimTo) break;
      entries.push(info.key);
    }
    await deleteObjects(this.options.store, entries);
    const olderCheckpoints = checkpoints.filter((key) => sequenceOfKey(key) < trimTo);
    await deleteObjects(this.options.store, olderCheckpoints);
    if (entries.length > 0 || olderCheckpoints.length > 0) {
      this.options.logger.info({ upTo: trimTo, entries: entries.length, checkpoints: olderCheckpoints.length }, 'trimmed the metadata log');
    }
  }

  private runExclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.exclusive.then(task);
    this.exclusive = result.catch(() => undefined);
    return result;
  }
}
