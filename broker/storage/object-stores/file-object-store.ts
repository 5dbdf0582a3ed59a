/**
 * The local-directory object store (`file:///abs/path`): the embedded default, and the store the
 * multi-broker cluster uses when run on one machine.
 *
 * Every write is atomic and durable: the body goes to a temporary file under `.tmp/`, is fsynced,
 * and only then appears under its key, after which the directory is fsynced too. The conditions
 * are made with atomic file operations (docs/adr/0001-object-store-is-the-authority.md):
 * - create-only: `link(temp, final)` fails with EEXIST when the key exists, so of any number of
 *   racing writers (promises or processes) exactly one wins;
 * - compare-and-swap: under an exclusive lock file (`.locks/<key>`, created with O_EXCL), read the
 *   current body, compare its content hash (the ETag) with the expected one, then rename over it.
 *   A lock left by a dead process is broken when its owner pid is gone or it is older than
 *   STALE_LOCK_MS (a swap holds the lock for a few milliseconds).
 *
 * The ETag is the MD5 of the content in quotes, as S3 gives for single-part uploads, for objects up
 * to 1 MiB (metadata entries, leases: everything a compare-and-swap may name). Larger objects (the
 * data objects, never swapped) get a CRC-32C and their length instead: MD5 runs on the event loop
 * at about 500 MB/s and would stall every produce behind each upload. Callers treat ETags as opaque.
 */
import { crc32c } from '@node-rs/crc32';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, constants as fsConstants, type Dirent } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import {
  bodyBytes,
  ObjectNotFoundError,
  PreconditionFailedError,
  type ByteRange,
  type ObjectBody,
  type ObjectInfo,
  type ObjectStore,
  type WriteCondition,
} from '../object-store';

const TEMP_DIR = '.tmp';
const LOCK_DIR = '.locks';
const STALE_LOCK_MS = 30_000;
const LOCK_RETRY_MS = 2;

export class FileObjectStore implements ObjectStore {
  readonly location: string;
  private readonly knownDirectories = new Set<string>();

  constructor(private readonly root: string) {
    if (!path.isAbsolute(root)) {
      throw new Error(`the object store directory must be absolute, got ${JSON.stringify(root)}`);
    }
    this.location = `file://${root}`;
  }

  async put(key: string, body: ObjectBody, condition?: WriteCondition, crc32c?: number): Promise<ObjectInfo> {
    try {
      return await this.putOnce(key, body, condition, crc32c);
    } catch (error) {
      // A directory this store created earlier was removed behind its back: create it again.
      if (!isCode(error, 'ENOENT') || this.knownDirectories.size === 0) throw error;
      this.knownDirectories.clear();
      return this.putOnce(key, body, condition, crc32c);
    }
  }

  private async putOnce(key: string, body: ObjectBody, condition: WriteCondition | undefined, crc32c: number | undefined): Promise<ObjectInfo> {
    const finalPath = this.pathOf(key);
    await this.ensureDirectory(path.dirname(finalPath));
    const temp = await this.writeTemp(body);
    let renamed = false;
    try {
      if (condition && 'ifNoneMatch' in condition) {
        await this.linkCreateOnly(key, temp, finalPath);
      } else if (condition && 'ifMatch' in condition) {
        await this.withLock(key, async () => {
          const current = await readIfExists(finalPath);
          if (current === undefined || etagOf(current) !== normalizeEtag(condition.ifMatch)) {
            throw new PreconditionFailedError(key);
          }
          await fs.rename(temp, finalPath);
          renamed = true;
        });
      } else {
        await fs.rename(temp, finalPath);
        renamed = true;
      }
      await fsyncDirectory(path.dirname(finalPath));
    } finally {
      if (!renamed) await fs.rm(temp, { force: true });
    }
    return { key, sizeBytes: bodyBytes(body), etag: etagOf(body, crc32c) };
  }

  async get(key: string, range?: ByteRange): Promise<Buffer> {
    const file = this.pathOf(key);
    if (!range) {
      const body = await readIfExists(file);
      if (body === undefined) throw new ObjectNotFoundError(key);
      return body;
    }
    validateRange(key, range);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (error) {
      if (isCode(error, 'ENOENT')) throw new ObjectNotFoundError(key, { cause: error });
      throw error;
    }
    try {
      const { size } = await handle.stat();
      const end = Math.min(range.end, size);
      const buffer = Buffer.alloc(Math.max(0, end - range.start));
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, range.start + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    } finally {
      await handle.close();
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const body = await readIfExists(this.pathOf(key));
    return body === undefined ? undefined : { key, sizeBytes: body.length, etag: etagOf(body) };
  }

  async *list(prefix: string, startAfter?: string): AsyncIterable<ObjectInfo> {
    const keys = (await this.keysUnder(prefix)).filter((key) => startAfter === undefined || key > startAfter).sort();
    for (const key of keys) {
      const info = await this.head(key);
      if (info) yield info;
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    await fs.rm(file, { force: true });
    await fsyncDirectory(path.dirname(file)).catch((error: unknown) => {
      if (!isCode(error, 'ENOENT')) throw error;
    });
  }

  /** Every key starting with `prefix` (unsorted), descending only into directories that can match. */
  private async keysUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const walk = async (relativeDir: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await fs.readdir(path.join(this.root, relativeDir), { withFileTypes: true });
      } catch (error) {
        if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return;
        throw error;
      }
      for (const entry of entries) {
        if (relativeDir === '' && (entry.name === TEMP_DIR || entry.name === LOCK_DIR)) continue;
        const key = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
        if (entry.isDirectory()) {
          const asPrefix = `${key}/`;
          if (asPrefix.startsWith(prefix) || prefix.startsWith(asPrefix)) await walk(key);
        } else if (entry.isFile() && key.startsWith(prefix)) {
          keys.push(key);
        }
      }
    };
    await walk('');
    return keys;
  }

  private pathOf(key: string): string {
    const segments = key.split('/');
    if (
      key.length === 0 ||
      segments.some((segment) => segment === '' || segment === '.' || segment === '..') ||
      segments[0] === TEMP_DIR ||
      segments[0] === LOCK_DIR
    ) {
      throw new Error(
        `invalid object key ${JSON.stringify(key)}: keys are non-empty '/'-separated names without '.', '..' or empty segments`,
      );
    }
    return path.join(this.root, ...segments);
  }

  /** Creates the directory (durably) unless this store knows it exists: one less system call per put. */
  private async ensureDirectory(dir: string): Promise<void> {
    if (this.knownDirectories.has(dir)) return;
    await mkdirDurable(dir, this.root);
    this.knownDirectories.add(dir);
  }

  private async writeTemp(body: ObjectBody): Promise<string> {
    const dir = path.join(this.root, TEMP_DIR);
    await this.ensureDirectory(dir);
    const temp = path.join(dir, `${process.pid}-${randomBytes(8).toString('hex')}`);
    const handle = await fs.open(temp, 'wx');
    try {
      await writeAll(handle, Buffer.isBuffer(body) ? [body] : body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return temp;
  }

  private async linkCreateOnly(key: string, temp: string, finalPath: string): Promise<void> {
    try {
      await fs.link(temp, finalPath);
    } catch (error) {
      if (isCode(error, 'EEXIST')) throw new PreconditionFailedError(key, { cause: error });
      throw error;
    }
  }

  /** Runs `critical` holding `.locks/<key>`, which at most one process can create at a time. */
  private async withLock<T>(key: string, critical: () => Promise<T>): Promise<T> {
    const lockPath = path.join(this.root, LOCK_DIR, ...key.split('/'));
    await mkdirDurable(path.dirname(lockPath), this.root);
    const owner = JSON.stringify({ host: hostname(), pid: process.pid, token: randomBytes(8).toString('hex') });
    for (;;) {
      try {
        await fs.writeFile(lockPath, owner, { flag: fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY });
        break;
      } catch (error) {
        if (!isCode(error, 'EEXIST')) throw error;
        await breakLockIfStale(lockPath);
        await delay(LOCK_RETRY_MS);
      }
    }
    try {
      return await critical();
    } finally {
      await fs.rm(lockPath, { force: true });
    }
  }
}

/**
 * Writes the pieces in order at `position` (the file's start by default), all of them: gathered by
 * the kernel (writev), so a body given in pieces costs no copy here, and in as few calls as it
 * takes (writeFile would write 512 KiB at a time). A call may write less than asked (rare on
 * regular files; more pieces than IOV_MAX); the rest follows. The WAL writes its flushes with it.
 */
export async function writeAll(handle: fs.FileHandle, pieces: readonly Buffer[], position = 0): Promise<void> {
  let remaining = pieces.filter((piece) => piece.length > 0);
  while (remaining.length > 0) {
    let written = (await handle.writev(remaining, position)).bytesWritten;
    position += written;
    let first = 0;
    while (first < remaining.length && written >= remaining[first].length) written -= remaining[first++].length;
    remaining = remaining.slice(first);
    if (written > 0) remaining[0] = remaining[0].subarray(written);
  }
}

/** Removes a lock whose owner is a dead process on this host or which is older than STALE_LOCK_MS. */
async function breakLockIfStale(lockPath: string): Promise<void> {
  let content: string;
  let ageMs: number;
  try {
    content = await fs.readFile(lockPath, 'utf8');
    ageMs = Date.now() - (await fs.stat(lockPath)).mtimeMs;
  } catch (error) {
    if (isCode(error, 'ENOENT')) return;
    throw error;
  }
  let ownerDead = false;
  try {
    const owner = JSON.parse(content) as { host: string; pid: number };
    ownerDead = owner.host === hostname() && !processAlive(owner.pid);
  } catch {
    // A lock file caught half-written: judge it by age only.
  }
  if (!ownerDead && ageMs < STALE_LOCK_MS) return;
  // Only remove the lock we judged: if it changed hands meanwhile, its content differs.
  const current = await fs.readFile(lockPath, 'utf8').catch(() => undefined);
  if (current === content) await fs.rm(lockPath, { force: true });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isCode(error, 'EPERM');
  }
}

/** Creates `dir` and any missing parents up to `root`, fsyncing each parent so the entries survive a crash. */
async function mkdirDurable(dir: string, root: string): Promise<void> {
  const missing: string[] = [];
  for (let current = dir; ; current = path.dirname(current)) {
    try {
      await fs.access(current);
      break;
    } catch {
      missing.unshift(current);
      if (current === root || path.dirname(current) === current) break;
    }
  }
  for (const created of missing) {
    await fs.mkdir(created, { recursive: true });
    await fsyncDirectory(path.dirname(created));
  }
}

export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    if (isCode(error, 'ENOENT') || isCode(error, 'EISDIR')) return undefined;
    throw error;
  }
}

function validateRange(key: string, range: ByteRange): void {
  if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 0 || range.end < range.start) {
    throw new Error(`invalid byte range [${range.start}, ${range.end}) for object ${key}: need 0 <= start <= end`);
  }
}

/** Bodies up to this size get an MD5 ETag as on S3; larger ones a CRC-32C (see the header). */
const MD5_ETAG_MAX_BYTES = 1024 * 1024;

export function etagOf(body: ObjectBody, knownCrc32c?: number): string {
  const pieces = Buffer.isBuffer(body) ? [body] : body;
  const bytes = bodyBytes(body);
  if (bytes <= MD5_ETAG_MAX_BYTES) {
    const md5 = createHash('md5');
    for (const piece of pieces) md5.update(piece);
    return `"${md5.digest('hex')}"`;
  }
  const crc = knownCrc32c ?? pieces.reduce((sum, piece) => crc32c(piece, sum), 0);
  return `"crc32c-${crc.toString(16).padStart(8, '0')}-${bytes}"`;
}

function normalizeEtag(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
