import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { runQueueWaitSeconds } from '../../bench/broker-process';

const reported = existsSync(`/proc/${process.pid}/task/${process.pid}/schedstat`);

(reported ? test : test.skip)('a thread that competes with more busy processes than cores waits for a CPU', async () => {
  const spinners = Array.from({ length: 3 * availableParallelism() }, () =>
    spawn(process.execPath, ['-e', 'const end = Date.now() + 2000; while (Date.now() < end);'], { stdio: 'ignore' }),
  );
  try {
    // This thread spins too, between yields, so it keeps asking for a CPU the spinners hold.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = runQueueWaitSeconds(process.pid)!;
    const cpuBefore = process.cpuUsage();
    const end = Date.now() + 800;
    while (Date.now() < end) {
      const slice = Date.now() + 5;
      while (Date.now() < slice);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const waited = runQueueWaitSeconds(process.pid)! - before;
    const { user, system } = process.cpuUsage(cpuBefore);
    // Runnable all along, against three times as many spinners as cores: it waited longer than it ran.
    expect(waited).toBeGreaterThan((user + system) / 1e6);
    expect(waited).toBeLessThan(0.8 + 0.2);
  } finally {
    for (const spinner of spinners) spinner.kill('SIGKILL');
  }
});

test('a thread that does not exist has no run-queue wait', () => {
  expect(runQueueWaitSeconds(2 ** 22 + 1)).toBeUndefined();
});
