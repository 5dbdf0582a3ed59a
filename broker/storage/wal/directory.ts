/**
 * Where the WALs live on the shared file system: one directory per incarnation,
 * `<wal-root>/<node-id>.<epoch>`.
 *
 * A name per incarnation is what makes the directories of finished incarnations safe to delete
 * (broker/cluster/wal-reclaimer.ts): nobody writes into `n.E` once epoch E is fenced or left, so a
 * deleter never races a writer, even a deleter that paused for minutes after its checks. With one
 * name per node id a deleter could remove the directory under a new incarnation of the same id.
 *
 * A new incarnation does not format 2 GiB again: it takes its node's previous directory over by
 * renaming it to its own name. The rename is the claim. It is atomic on the file server and
 * resolves names there, so of a new incarnation and a deleter that both want `n.E`, exactly one
 * gets it and the other finds nothing (ENOENT). Deleters rename too before they delete (to a
 * `.deleting-` name), so a directory is never half deleted under its old name.
 *
 * `<wal-root>/<node-id>` without an epoch is the name before this scheme; it is taken over the same
 * way, and replays still look there for epochs that wrote it.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { fsyncDirectory } from '../object-stores/file-object-store';

/** The prefix of directories being deleted: anyone may finish deleting one. */
export const DELETING_PREFIX = '.deleting-';

export function walDirectoryOf(root: string, nodeId: number, epoch: number): string {
  return path.join(root, `${nodeId}.${epoch}`);
}

/** The directory an incarnation that predates per-incarnation names wrote into. */
export function legacyWalDirectoryOf(root: string, nodeId: number): string {
  return path.join(root, String(nodeId));
}

export interface WalDirectoryName {
  readonly nodeId: number;
  /** Undefined for the legacy name (no epoch). */
  readonly epoch: number | undefined;
}

/** `n.E` or legacy `n`; undefined for anything else (the deleting ones included). */
export function parseWalDirectoryName(name: string): WalDirectoryName | undefined {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(name);
  if (match === null) return undefined;
  return { nodeId: Number(match[1]), epoch: match[2] === undefined ? undefined : Number(match[2]) };
}

/** The entries of the WAL root (none when it does not exist yet). */
export async function listWalRoot(root: string): Promise<string[]> {
  try {
    return await fs.readdir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Renames the node's most recent earlier directory (highest epoch; the legacy name last) to this
 * incarnation's name, and returns that name. Call only once every earlier epoch of the node is
 * fenced or left and replayed (in a cluster), or when the node is alone (its records are adopted).
 * Without an earlier directory, or when a deleter took each one first, the returned directory does
 * not exist yet and opening the WAL formats it.
 */
export async function takeOverWalDirectory(root: string, nodeId: number, epoch: number, logger: Logger): Promise<string> {
  const own = walDirectoryOf(root, nodeId, epoch);
  const earlier = (await listWalRoot(root))
    .map((name) => ({ name, parsed: parseWalDirectoryName(name) }))
    .filter(({ parsed }) => parsed !== undefined && parsed.nodeId === nodeId && parsed.epoch !== epoch)
    .sort((a, b) => (b.parsed!.epoch ?? -1) - (a.parsed!.epoch ?? -1));
  for (const { name } of earlier) {
    try {
      await fs.rename(path.join(root, name), own);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // a deleter claimed it first
      throw error;
    }
    await fsyncDirectory(root);
    logger.info({ from: path.join(root, name), to: own }, 'took over the WAL directory of an earlier incarnation');
    return own;
  }
  return own;
}

export interface WalDirectoryRemoval {
  /** False when someone else claimed the directory first. */
  readonly removed: boolean;
}

/**
 * Deletes `<root>/<name>`: first renames it to a name of the deleter's own (the claim: see above),
 * then removes that. A deleter that stops half way leaves a `.deleting-` directory, which
 * `removeAbandonedDeletions` finishes.
 */
export async function removeWalDirectory(root: string, name: string, deleter: string): Promise<WalDirectoryRemoval> {
  const claimed = path.join(root, `${DELETING_PREFIX}${name}-by-${deleter}`);
  try {
    await fs.rename(path.join(root, name), claimed);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { removed: false };
    throw error;
  }
  await fs.rm(claimed, { recursive: true, force: true });
  await fsyncDirectory(root);
  return { removed: true };
}

/** Finishes deletions that stopped half way (nobody writes into a `.deleting-` directory). */
export async function removeAbandonedDeletions(root: string, names: readonly string[]): Promise<number> {
  const abandoned = names.filter((name) => name.startsWith(DELETING_PREFIX));
  for (const name of abandoned) await fs.rm(path.join(root, name), { recursive: true, force: true });
  return abandoned.length;
}
