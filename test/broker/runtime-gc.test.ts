/**
 * The broker's young-generation sizing (applyYoungGenerationSizing in broker/runtime-flags.ts):
 * short-lived buffers, as every socket read makes, are reclaimed mostly by scavenges rather than
 * by full collections. On Node.js 24 without it, 640 MiB of such buffers ran 10 to 16 full
 * collections and 0 to 3 scavenges; CI runs this file on Node.js 20 and on Node.js 24.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { applyYoungGenerationSizing } from '../../broker/runtime-flags';

const REPO_ROOT = path.resolve(__dirname, '../..');

interface Collections {
  readonly node: string;
  readonly applied: boolean;
  readonly scavenges: number;
  readonly full: number;
}

function collectionsOf(args: readonly string[]): Collections {
  const output = execFileSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test', 'support', 'gc-shape.ts'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return JSON.parse(output.trim()) as Collections;
}

test('short-lived buffers are reclaimed by scavenges, not full collections, on this Node.js', () => {
  const sized = collectionsOf(['--sized']);
  expect(sized.node).toBe(process.version);
  expect(sized.applied).toBe(Number(process.versions.node.split('.')[0]) >= 24);
  // About one scavenge per 32 MiB of them: 20 to 25 here, with 2 to 9 full collections (more
  // when the machine is busy). Without the sizing, Node.js 24 ran 0 to 3 scavenges and 10 to 16
  // full collections.
  expect(sized.scavenges).toBeGreaterThanOrEqual(10);
  expect(sized.full).toBeLessThan(sized.scavenges);
});

test('the flag is left alone before Node.js 24, where it is the default or does not exist', () => {
  expect(applyYoungGenerationSizing('20.20.2')).toBe(false);
  expect(applyYoungGenerationSizing('22.15.0')).toBe(false);
});
