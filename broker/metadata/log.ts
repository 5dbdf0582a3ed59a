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
 *   after it rather than the whole history. The two latest checkpoints are kept.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { ObjectNotFoundError, PreconditionFailedError, type ObjectStore } from '../storage/object-store';
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
}

export type AppliedListener = (outcome: ApplyOutcome) => void;

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

  constructor(private readonly options: MetadataLogOptions) {
    this.current = new MetadataState(options.sections);
    this.checkpointInterval = options.checkpointInterval ?? 1000;
    this.readConcurrency = options.readConcurrency ?? 16;
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
      if (checkpoint) this.current = new MetadataState(this.options.sections, checkpoint);
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
          timeMs: Date.now(),
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

  /** Stops tailing and waits for the append or catch-up in progress. */
  async close(): Promise<void> {
    this.stopTailing();
    await this.runExclusive(() => Promise.resolve());
  }

  private async catchUpLocked(): Promise<void> {
    for (;;) {
      let entry: MetadataEntry;
      try {
        entry = await this.readEntry(logKey(this.head + 1));
      } catch (error) {
        if (error instanceof ObjectNotFoundError) return;
        throw error;
      }
      this.applyAndNotify(this.head + 1, entry);
    }
  }

  private applyAndNotify(sequence: number, entry: MetadataEntry): ApplyOutcome {
    const outcome = this.current.apply(sequence, entry);
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

  private async latestCheckpoint(): Promise<{ sequence: number; slices: Record<string, unknown> } | undefined> {
    let latest: string | undefined;
    for await (const info of this.options.store.list(CHECKPOINT_PREFIX)) latest = info.key;
    if (latest === undefined) return undefined;
    const saved = JSON.parse((await this.options.store.get(latest)).toString('utf8')) as {
      sequence: number;
      slices: Record<string, unknown>;
    };
    if (saved.sequence !== sequenceOfKey(latest)) throw new Error(`checkpoint ${latest} holds sequence ${saved.sequence}`);
    return saved;
  }

  /** Saves the state now (synchronously, so it is exactly the state at this sequence) and writes it in the background. */
  private writeCheckpoint(): void {
    const saved = this.current.save();
    const body = Buffer.from(JSON.stringify(saved));
    void (async () => {
      try {
        await this.options.store.put(checkpointKey(saved.sequence), body, { ifNoneMatch: '*' });
        const older: string[] = [];
        for await (const info of this.options.store.list(CHECKPOINT_PREFIX)) older.push(info.key);
        for (const key of older.slice(0, -2)) await this.options.store.delete(key);
        this.options.logger.info({ sequence: saved.sequence, bytes: body.length }, 'metadata checkpoint written');
      } catch (error) {
        if (error instanceof PreconditionFailedError) return;
        this.options.logger.warn({ err: error, sequence: saved.sequence }, 'metadata checkpoint failed; the next one will do');
      }
    })();
  }

  private runExclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.exclusive.then(task);
    this.exclusive = result.catch(() => undefined);
    return result;
  }
}
