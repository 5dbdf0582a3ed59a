/**
 * The metadata state: a deterministic function of the metadata log, built from sections.
 *
 * Each section owns one slice of the state (topics, committed objects, producer-id blocks,
 * brokers, and whatever the cluster adds), the entry kinds that change it, and how the slice is
 * saved in a checkpoint. Every broker applies the same entries in the same order with the same
 * sections, so all views converge. An apply function may depend only on the state and the entry
 * (the writer's clock travels in `entry.timeMs`), never on the local clock or local files.
 *
 * Adding entry kinds (e.g. the cluster's assignment and fencing entries):
 * 1. write a `MetadataSection` (name, create, kinds, apply, save/load), anywhere, e.g. broker/cluster/;
 * 2. pass it in `createStorage({ ..., metadataSections: [yourSection] })` (or to `new MetadataLog`);
 *    sections apply in order, the data-path sections (DATA_PATH_SECTIONS) first;
 * 3. append entries with `metadataLog.append(state => ({ kind: 'your-kind', ...fields }))`;
 * 4. to veto object commits and log-start changes by writers that may no longer write a partition
 *    (fencing), implement `acceptsPartitionWrite`; the data section asks every section.
 */
import type { MetadataEntry } from './entry';

export interface ApplyContext {
  /** The entry's sequence number in the log (an epoch, for a broker registration). */
  readonly sequence: number;
  readonly state: MetadataState;
  /** Ignores the rest of the entry: later sections do not see it. The reason is reported to the writer. */
  rejectEntry(reason: string): void;
  /** Records that part of the entry was ignored (e.g. one partition of an object commit). */
  reportIgnored(reason: string): void;
}

export interface MetadataSection<S> {
  /** Unique; names the slice in checkpoints. */
  readonly name: string;
  /** The slice of an empty log. */
  create(): S;
  /** The entry kinds `apply` handles. Several sections may handle the same kind. */
  readonly kinds: readonly string[];
  apply(slice: S, entry: MetadataEntry, context: ApplyContext): void;
  /**
   * Whether the writer epoch may change the partition's data at this point of the log (commit
   * objects to it, advance its log start). Every section is asked; one `false` ignores that part.
   * `writerEpoch` is undefined for writers that never registered.
   */
  acceptsPartitionWrite?(slice: S, writerEpoch: number | undefined, topic: string, partition: number): boolean;
  /** A JSON-serializable copy of the slice, for checkpoints. */
  save(slice: S): unknown;
  load(saved: unknown): S;
}

// Sections of different slice types live in one list; each is only ever paired with its own slice.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySection = MetadataSection<any>;

export interface ApplyOutcome {
  readonly sequence: number;
  readonly entry: MetadataEntry;
  /** Set when the whole entry was ignored. */
  readonly rejected?: string;
  /** Parts that were ignored. */
  readonly ignored: readonly string[];
}

export class MetadataState {
  private readonly slices = new Map<string, unknown>();
  private appliedSequence = 0;

  constructor(
    private readonly sections: readonly AnySection[],
    saved?: { sequence: number; slices: Record<string, unknown> },
  ) {
    const names = new Set<string>();
    for (const section of sections) {
      if (names.has(section.name)) throw new Error(`two metadata sections are named ${section.name}`);
      names.add(section.name);
      const savedSlice = saved?.slices[section.name];
      this.slices.set(section.name, savedSlice === undefined ? section.create() : section.load(savedSlice));
    }
    this.appliedSequence = saved?.sequence ?? 0;
  }

  /** The sequence of the last applied entry (0 for an empty log). */
  get sequence(): number {
    return this.appliedSequence;
  }

  /** The slice a section owns. */
  get<S>(section: MetadataSection<S>): S {
    const slice = this.slices.get(section.name);
    if (slice === undefined) throw new Error(`metadata section ${section.name} is not part of this state`);
    return slice as S;
  }

  has(section: AnySection): boolean {
    return this.slices.has(section.name);
  }

  acceptsPartitionWrite(writerEpoch: number | undefined, topic: string, partition: number): boolean {
    return this.sections.every(
      (section) =>
        section.acceptsPartitionWrite?.(this.slices.get(section.name), writerEpoch, topic, partition) ?? true,
    );
  }

  /** Applies the entry at `sequence`, which must be the next one. */
  apply(sequence: number, entry: MetadataEntry): ApplyOutcome {
    if (sequence !== this.appliedSequence + 1) {
      throw new Error(`metadata entry ${sequence} applied after ${this.appliedSequence}: entries must come in order`);
    }
    let rejected: string | undefined;
    const ignored: string[] = [];
    const context: ApplyContext = {
      sequence,
      state: this,
      rejectEntry: (reason) => {
        rejected ??= reason;
      },
      reportIgnored: (reason) => {
        ignored.push(reason);
      },
    };
    for (const section of this.sections) {
      if (rejected !== undefined) break;
      if (section.kinds.includes(entry.kind)) section.apply(this.slices.get(section.name), entry, context);
    }
    this.appliedSequence = sequence;
    return { sequence, entry, rejected, ignored };
  }

  save(): { sequence: number; slices: Record<string, unknown> } {
    const slices: Record<string, unknown> = {};
    for (const section of this.sections) slices[section.name] = section.save(this.slices.get(section.name));
    return { sequence: this.appliedSequence, slices };
  }
}
