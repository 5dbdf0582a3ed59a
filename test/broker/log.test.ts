/**
 * The broker's logger: one `component` key per line, however deeply component loggers nest.
 * The checks read the raw line text: JSON.parse would silently keep the last of duplicate keys.
 */
import { createLogger } from '../../broker/log';
import { createStorage } from '../../broker/storage';
import { tempDirs } from './storage/engine/helpers';

/** A logger at info writing into `lines` (raw JSON text, one entry a line). */
function capture(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger('info', { write: (line: string) => lines.push(line) }) };
}

const componentKeys = (line: string): number => line.match(/"component":/g)?.length ?? 0;
const parsed = (line: string): Record<string, unknown> => JSON.parse(line) as Record<string, unknown>;

test('a component logger nested in another writes one component: the dotted path', () => {
  const { lines, logger } = capture();
  const storage = logger.child({ component: 'storage' });
  storage.child({ component: 'metadata' }).info('nested');
  storage.child({ component: 'wal', dir: '/wal' }).child({ component: 'segment' }).info('deeper');
  storage.info('outer');
  logger.info('root');
  expect(lines.map(componentKeys)).toEqual([1, 1, 1, 0]);
  expect(lines.map((line) => parsed(line).component)).toEqual(['storage.metadata', 'storage.wal.segment', 'storage', undefined]);
  expect(parsed(lines[1])).toMatchObject({ dir: '/wal', msg: 'deeper', pid: process.pid });
});

test('a child without a component keeps its parent\'s; a component in the log call itself wins, once', () => {
  const { lines, logger } = capture();
  const connection = logger.child({ component: 'connection', remote: '127.0.0.1:1' });
  const request = connection.child({ api: 'Produce', correlationId: 7 });
  request.info('handled');
  request.warn({ component: 'override', reason: 'x' }, 'explicit');
  expect(lines.map(componentKeys)).toEqual([1, 1]);
  expect(parsed(lines[0])).toMatchObject({ component: 'connection', remote: '127.0.0.1:1', api: 'Produce', correlationId: 7, msg: 'handled' });
  expect(parsed(lines[1])).toMatchObject({ component: 'override', reason: 'x', api: 'Produce' });
});

test('the storage engine\'s loggers (storage, and its metadata log and WAL in it) write one component a line', async () => {
  const dirs = await tempDirs();
  const { lines, logger } = capture();
  try {
    const engine = createStorage({ nodeId: 1, walDir: dirs.walDir, objectStore: dirs.objectsUrl, walCapacityMiB: 4 }, logger);
    await engine.start();
    await engine.close();
  } finally {
    await dirs.remove();
  }
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.filter((line) => componentKeys(line) !== 1)).toEqual([]);
  const componentOf = (msg: string) => lines.map(parsed).find((line) => line.msg === msg)?.component;
  expect(componentOf('metadata log opened')).toBe('storage.metadata');
  expect(componentOf('WAL formatted')).toBe('storage.wal');
  expect(componentOf('storage closed')).toBe('storage');
});
