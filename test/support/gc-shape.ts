/**
 * Run as a process of its own by test/broker/runtime-gc.test.ts: allocates short-lived 64 KiB
 * buffers, as a broker's socket reads do (640 MiB, at most 8 MiB alive), across turns of the
 * event loop, and prints the garbage collections it saw as JSON. With `--sized`, the broker's
 * young-generation sizing (applyYoungGenerationSizing) is applied first.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { applyYoungGenerationSizing } from '../../broker/runtime-flags';

const BUFFER_BYTES = 64 * 1024;
const TOTAL_BYTES = 640 * 1024 * 1024;
const ALIVE_BYTES = 8 * 1024 * 1024;
const PER_TURN_BYTES = 4 * 1024 * 1024;

const applied = process.argv.includes('--sized') ? applyYoungGenerationSizing() : false;
const collections = { scavenges: 0, full: 0 };
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const { kind } = (entry as unknown as { detail: { kind: number } }).detail;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) collections.scavenges++;
    // Node.js 24 reports full collections started by external memory as incremental ones.
    else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR || kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL) collections.full++;
  }
});
observer.observe({ entryTypes: ['gc'] });

const alive: Buffer[] = [];
let allocated = 0;
function turn(): void {
  for (let bytes = 0; bytes < PER_TURN_BYTES; bytes += BUFFER_BYTES) {
    const buffer = Buffer.allocUnsafe(BUFFER_BYTES);
    buffer[0] = 1;
    alive.push(buffer);
    if (alive.length * BUFFER_BYTES > ALIVE_BYTES) alive.shift();
  }
  allocated += PER_TURN_BYTES;
  if (allocated < TOTAL_BYTES) setImmediate(turn);
  // The observer hears of the last collections a little later.
  else setTimeout(() => process.stdout.write(`${JSON.stringify({ node: process.version, applied, ...collections })}\n`), 100);
}
turn();
