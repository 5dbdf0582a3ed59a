/**
 * kill -9 at arbitrary moments: a child process produces with appends in flight and uploads
 * running (tiny thresholds, tiny WAL, tiny log cache) and is SIGKILLed after a varying number of
 * acknowledgements, several times in a row. Afterwards every acknowledged record is at the offset
 * it was acknowledged with, exactly once, and each partition's offsets have no gap.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { checksumCheckingStore, readAll, startEngine, tempDirs, type TempDirs } from './helpers';

let dirs: TempDirs;
beforeAll(async () => {
  dirs = await tempDirs();
});
afterAll(async () => {
  await dirs.remove();
});

const script = path.join(__dirname, '..', 'fixtures', 'produce-until-killed.ts');

/** Runs one producer process and kills it after `acksBeforeKill` acknowledgements; returns the acks it printed. */
async function runAndKill(round: number, acksBeforeKill: number): Promise<Map<string, [number, bigint]>> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, dirs.walDir, dirs.objectsUrl, String(round)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acked = new Map<string, [number, bigint]>();
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  for await (const line of createInterface({ input: child.stdout })) {
    if (line === 'started' && acksBeforeKill === 0) child.kill('SIGKILL');
    const [kind, partition, offset, value] = line.split(' ');
    if (kind !== 'ack') continue;
    acked.set(value, [Number(partition), BigInt(offset)]);
    if (acked.size >= acksBeforeKill) child.kill('SIGKILL');
  }
  await exited;
  expect(stderr).toBe('');
  return acked;
}

test('no acknowledged record is lost, duplicated or moved, and offsets have no gaps', async () => {
  const acked = new Map<string, [number, bigint]>();
  const kills = [400, 0, 1500, 37, 900, 3000];
  for (const [round, acksBeforeKill] of kills.entries()) {
    for (const [value, place] of await runAndKill(round, acksBeforeKill)) acked.set(value, place);
  }
  expect(acked.size).toBeGreaterThan(5000);

  // The records replayed from the WAL are uploaded at close: with checksums combined from theirs.
  const objects = checksumCheckingStore(path.join(dirs.root, 'objects'));
  const engine = await startEngine(dirs, { walCapacityMiB: 1, objectStore: objects.store });
  const replayedBytes = engine.statistics.walUsedBytes;
  try {
    const seen = new Set<string>();
    for (let partition = 0; partition < 3; partition++) {
      const records = await readAll(engine, 'crash', partition);
      records.forEach(([offset], i) => expect(offset).toBe(BigInt(i)));
      for (const [offset, value] of records) {
        expect(seen.has(value)).toBe(false);
        seen.add(value);
        const ack = acked.get(value);
        if (ack) expect(ack).toEqual([partition, offset]);
      }
    }
    for (const value of acked.keys()) expect(seen.has(value)).toBe(true);
  } finally {
    await engine.close();
  }
  if (replayedBytes > 1024) expect(objects.checked()).toBeGreaterThan(0);
  expect(objects.mismatches).toEqual([]);
});
