/**
 * WAL directories on real files: per-incarnation names, the take-over of a node's earlier
 * directory by rename, and deletion that claims by rename, racing each other.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import {
  DELETING_PREFIX,
  parseWalDirectoryName,
  removeAbandonedDeletions,
  removeWalDirectory,
  takeOverWalDirectory,
  walDirectoryOf,
} from '../../../../broker/storage/wal/directory';

const logger = pino({ level: 'silent' });
let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'wal-root-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

/** A directory holding one file whose content names the directory it was made as. */
async function makeDir(name: string): Promise<void> {
  await mkdir(path.join(root, name));
  await writeFile(path.join(root, name, 'marker'), name);
}

const markerIn = (dir: string): Promise<string> => readFile(path.join(dir, 'marker'), 'utf8');

test('names: <node>.<epoch>, the legacy <node>, nothing else', () => {
  expect(walDirectoryOf('/fsx/wal', 3, 17)).toBe('/fsx/wal/3.17');
  expect(parseWalDirectoryName('3.17')).toEqual({ nodeId: 3, epoch: 17 });
  expect(parseWalDirectoryName('3')).toEqual({ nodeId: 3, epoch: undefined });
  for (const other of ['3.17.1', 'x.1', `${DELETING_PREFIX}3.17-by-epoch-9`, '3.', '.3']) expect(parseWalDirectoryName(other)).toBeUndefined();
});

test('a new incarnation takes over its node\'s most recent directory; other nodes\' and older ones stay', async () => {
  for (const name of ['1', '1.4', '1.12', '2.13', '10.14']) await makeDir(name);
  const own = await takeOverWalDirectory(root, 1, 20, logger);
  expect(own).toBe(path.join(root, '1.20'));
  expect(await markerIn(own)).toBe('1.12');
  expect((await readdir(root)).sort()).toEqual(['1', '1.20', '1.4', '10.14', '2.13']);
});

test('the legacy directory (from before per-incarnation names) is taken over when it is the only one', async () => {
  await makeDir('5');
  const own = await takeOverWalDirectory(root, 5, 8, logger);
  expect(await markerIn(own)).toBe('5');
  expect(await readdir(root)).toEqual(['5.8']);
});

test('with nothing to take over, the directory is not created (opening the WAL formats it)', async () => {
  await makeDir('2.3');
  expect(await takeOverWalDirectory(root, 1, 4, logger)).toBe(path.join(root, '1.4'));
  expect(existsSync(path.join(root, '1.4'))).toBe(false);
  expect(await takeOverWalDirectory(path.join(root, 'not-yet'), 1, 4, logger)).toBe(path.join(root, 'not-yet', '1.4'));
});

test('deletion claims by rename: of a take-over and a deletion of the same directory, exactly one gets it, whole', async () => {
  for (let round = 0; round < 40; round++) {
    await rm(root, { recursive: true, force: true });
    await mkdir(root);
    await makeDir('7.1');
    const [own, removal] = await Promise.all([takeOverWalDirectory(root, 7, 2, logger), removeWalDirectory(root, '7.1', 'epoch-3')]);
    const names = await readdir(root);
    if (removal.removed) {
      expect(names).toEqual([]);
    } else {
      expect(names).toEqual(['7.2']);
      expect(await markerIn(own)).toBe('7.1');
    }
  }
});

test('deleting a directory that is gone reports it; a deletion left half done is finished by anyone', async () => {
  expect(await removeWalDirectory(root, '9.9', 'epoch-1')).toEqual({ removed: false });
  await makeDir('9.9');
  expect(await removeWalDirectory(root, '9.9', 'epoch-1')).toEqual({ removed: true });
  expect(await readdir(root)).toEqual([]);

  await makeDir(`${DELETING_PREFIX}4.2-by-epoch-6`);
  await makeDir('4.3');
  expect(await removeAbandonedDeletions(root, await readdir(root))).toBe(1);
  expect(await readdir(root)).toEqual(['4.3']);
});
