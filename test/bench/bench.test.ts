/**
 * `npm run bench` end to end, with every phase cut to a second or two: it runs, reports every
 * figure issue 4 asks for beside the floor (measured before and after the brokers, with a verdict
 * on each target), stops both brokers cleanly, and keeps its object store small through retention. The figures themselves are not asserted (speed is never a test here).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BROKER_NODE_FLAGS } from '../../broker/runtime-flags';

const REPO_ROOT = path.resolve(__dirname, '../..');

test('the benchmark runs every phase and reports the figures beside the floor', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dk-bench-test-'));
  try {
    const objects = path.join(dir, 'objects');
    const report = path.join(dir, 'report.md');
    const tsx = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
    const short = ['--latency-s', '1', '--throughput-s', '3', '--floor-s', '1', '--floor-samples', '50', '--wal-alone-s', '1', '--least-broker-s', '1', '--warm-up-s', '1'];
    const run = spawnSync(tsx, [...BROKER_NODE_FLAGS, 'bench/run.ts', ...short, '--retention-mib', '1', '--object-store', `file://${objects}`, '--markdown', report], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 110_000,
    });
    expect(run.stderr).not.toContain('bench failed');
    expect(run.status).toBe(0);
    const text = readFileSync(report, 'utf8');
    for (const figure of [
      /write\+fdatasync at 10 MiB\/s, a write due every 1 ms +p50 +[\d.]+ +p99/,
      /write\+fdatasync \d+ B, 1 ms after the last +p50 +[\d.]+ +p99/,
      /append\+fdatasync 1024 KiB blocks +\d+ MiB\/s/,
      /produce latency +p50 +[\d.]+ +p99 +[\d.]+ +p999/,
      /end-to-end latency \(produce to consume\) +p50/,
      /produce p99 minus floor p99 \(fixed rate\) +-?[\d.]+ ms/,
      /produce p99 minus closed-loop floor p99 +-?[\d.]+ ms/,
      /throughput +\d+ MiB\/s = \d+% of the floor/,
      /## Machine floor again, after the brokers\nwrite\+fdatasync at 10 MiB\/s, a write due every 1 ms +p50 +[\d.]+ +p99/,
      /floor p99 \(fixed rate\) +before [\d.]+ ms, after [\d.]+ ms/,
      /produce p99 minus floor p99 +before -?[\d.]+ ms, after -?[\d.]+ ms \(target: at most 1 ms\): (met|not met|inconclusive)/,
      /floor bandwidth +before \d+ MiB\/s, after \d+ MiB\/s/,
      /throughput as a share of the floor +before \d+%, after \d+% \(target: at least 70%\): (met|not met|inconclusive)/,
      // The least broker ran both loads, and each target is judged within or out of this machine's reach.
      /## The least broker \(bench\/least-broker\.ts\)[^\n]*\nproduce latency \(the latency run's load, no consumer\) +p50 +[\d.]+ +p99/,
      /throughput \(the throughput run's load\) +\d+ MiB\/s = \d+% of the floor/,
      /the least broker: produce p99 minus floor p99 +before -?[\d.]+ ms, after -?[\d.]+ ms: (the target is (within|out of) reach on this machine|inconclusive)/,
      /the least broker: share of the floor +before \d+%, after \d+%: (the target is (within|out of) reach on this machine|inconclusive)/,
      /ceiling of the broker JavaScript thread +\d+ MiB\/s/,
      /ceiling of the machine +\d+ MiB\/s = \d+% of the floor \(its \d+ cores/,
      /CPU per GiB produced +broker [\d.]+ s/,
      /objects per GiB ingested +[\d.]+/,
      /produce requests read into the log cache +\d+ \(\d+ took a buffer of their own, \d+ payloads not cached: no free place in the ring\)/,
      /Retention: 1 MiB per partition/,
      // Every broker run and the fixed-rate floor start with a warm-up that is not measured.
      /The fixed-rate floor and every broker run start with a 1 s warm-up that is not measured/,
      /## The least broker [^\n]*each run 1 s after a 1 s warm-up/,
      /## Broker: acks=all[^\n]*, 1 s after a 1 s warm-up/,
      /## Broker: maximum throughput[^\n]*, 3 s after a 1 s warm-up/,
      /Broker: node --initial-old-space-size=\d+ broker\.js, bundled by broker\/bundle\.ts as in the Docker image; Node\.js v\d+\.\d+\.\d+/,
    ]) {
      expect(text).toMatch(figure);
    }
    // Both brokers uploaded everything and exited 0 on SIGTERM.
    expect(text.match(/exit code after SIGTERM 0/g)).toHaveLength(2);
    // Both runs took the ingest path without copies (docs/adr/0002-zero-copy-ingest.md).
    const readIntoCache = [...text.matchAll(/produce requests read into the log cache +(\d+)/g)].map((match) => Number(match[1]));
    expect(readIntoCache).toHaveLength(2);
    expect(Math.min(...readIntoCache)).toBeGreaterThan(0);
    // The throughput run's 1 MiB requests are read by the kernel straight into their frames.
    const readStraight = [...text.matchAll(/bytes read straight into their frames +(\d+)% of the/g)].map((match) => Number(match[1]));
    expect(readStraight).toHaveLength(2);
    expect(readStraight[1]).toBeGreaterThan(50);
    expect(text).not.toContain('WARNING: the least broker exited');
    // Each broker phase says how long the broker's thread and the client's waited for a CPU.
    const waits = text.match(/waiting for a CPU \(runnable, not running\) +(broker's JavaScript thread [\d.]+% of the phase, the client's [\d.]+% of the phase|not reported by this kernel)/g);
    expect(waits).toHaveLength(4);
    // So does the CPU each GiB took (the least broker's latency run too, its reference for the
    // broker's cost per request), and each broker's group commits.
    expect(text.match(/CPU per GiB produced +broker [\d.]+ s/g)).toHaveLength(4);
    const flushes = [...text.matchAll(/WAL flushes \(group commits\) +(\d+), mean (\d+) KiB of produced data each/g)];
    expect(flushes).toHaveLength(2);
    for (const [, count, meanKiB] of flushes) expect(Number(count) * Number(meanKiB)).toBeGreaterThan(0);
    // Retention deleted objects while the brokers ran (what the last pass did not see stays).
    const created = [...text.matchAll(/\((\d+) objects, /g)].reduce((sum, match) => sum + Number(match[1]), 0);
    const left = readdirSync(path.join(objects, 'data')).length;
    // The least broker removes its objects and its WAL file when it stops.
    expect(readdirSync(objects)).not.toContain('least-broker');
    expect(created).toBeGreaterThan(4);
    expect(left).toBeLessThan(created);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
