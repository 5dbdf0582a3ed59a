/**
 * Deletes the WAL directories nobody needs any more, so that brokers that crashed, were fenced or
 * could not finish their drain do not leave 2 GiB each on the shared file system for good (their
 * node ids follow instance addresses and may never come back).
 *
 * A directory `<node>.<epoch>` goes once its epoch is finished (fenced or left, and no partition
 * waits for a replay of it: ClusterState.walFinished) and has stayed so for a grace period. Within
 * the grace period a restarted node takes its directory over instead of formatting a new one.
 *
 * The controller runs the passes, so one broker lists the root. Two deleters at once (a controller
 * that lost its lease mid-pass) are harmless, and so is one that paused for minutes after its
 * checks: nobody writes into a finished epoch's directory, and a deletion first claims the
 * directory by renaming it (storage/wal/directory.ts), so it cannot race a take-over either.
 */
import type { Logger } from 'pino';
import { listWalRoot, parseWalDirectoryName, removeAbandonedDeletions, removeWalDirectory } from '../storage/wal/directory';
import type { ClusterState } from './cluster-state';

export interface WalReclaimerOptions {
  /** The WAL root (the shared file system). */
  readonly walRoot: string;
  /** How long an epoch stays finished before its directory goes. */
  readonly graceMs: number;
  /** Names this deleter in the directory it claims (its epoch). */
  readonly deleter: string;
  readonly logger: Logger;
  readonly clock?: () => number;
}

export class WalReclaimer {
  /** When each finished epoch with a directory was first seen finished (by this broker). */
  private readonly finishedSince = new Map<number, number>();
  private readonly clock: () => number;

  constructor(private readonly options: WalReclaimerOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** Lists the root once and deletes what is due; returns the directories deleted. */
  async pass(cluster: ClusterState): Promise<string[]> {
    const { walRoot, graceMs, deleter, logger } = this.options;
    const names = await listWalRoot(walRoot);
    const finished = await removeAbandonedDeletions(walRoot, names);
    if (finished > 0) logger.info({ walRoot, directories: finished }, 'finished deleting WAL directories that a deleter left half deleted');
    const now = this.clock();
    const seen = new Set<number>();
    const deleted: string[] = [];
    for (const name of names) {
      const parsed = parseWalDirectoryName(name);
      if (parsed?.epoch === undefined) continue;
      const { nodeId, epoch } = parsed;
      // The node id must match too: a directory that does not belong to this cluster's epoch stays.
      if (cluster.broker(epoch)?.nodeId !== nodeId || !cluster.walFinished(epoch)) continue;
      seen.add(epoch);
      const since = this.finishedSince.get(epoch) ?? now;
      this.finishedSince.set(epoch, since);
      if (now - since < graceMs) continue;
      const removal = await removeWalDirectory(walRoot, name, deleter);
      if (!removal.removed) continue; // its node took it over first
      deleted.push(name);
      logger.info({ walRoot, directory: name, nodeId, epoch, finishedForMs: now - since }, 'deleted the WAL directory of a finished incarnation');
    }
    for (const epoch of this.finishedSince.keys()) if (!seen.has(epoch)) this.finishedSince.delete(epoch);
    return deleted;
  }
}
