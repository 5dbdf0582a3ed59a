/**
 * Bundles the broker for the Docker image: `npx tsx broker/bundle.ts OUTDIR` writes
 * OUTDIR/broker.js (the entry point) and OUTDIR/s3-put-worker.js (the S3 store's PUT thread, which
 * the bundle starts from the file next to it), with source maps; npm packages stay external.
 */
import { build } from 'esbuild';
import * as path from 'node:path';

async function main(): Promise<void> {
  const outdir = process.argv[2];
  if (!outdir) throw new Error('usage: tsx broker/bundle.ts OUTDIR');
  await build({
    entryPoints: {
      broker: path.join(__dirname, 'main.ts'),
      's3-put-worker': path.join(__dirname, 'storage', 'object-stores', 's3-put-worker.ts'),
    },
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
