/**
 * Bundles the broker for the Docker image: `npx tsx broker/bundle.ts OUTDIR` writes
 * OUTDIR/broker.js (the entry point) and OUTDIR/s3-put-worker.js (the S3 store's PUT thread, which
 * the bundle starts from the file next to it), with source maps; npm packages stay external.
 */
import { build, type BuildOptions } from 'esbuild';
import * as path from 'node:path';

/** How the image's bundles are built (the benchmark bundles its least broker the same way). */
export const NODE_BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  // The oldest Node.js the bundle runs on: the image's is 24, but the benchmark and the tests run
  // the same bundle on the development machines' Node.js 20 (package.json engines).
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
} as const satisfies BuildOptions;

/** Writes OUTDIR/broker.js and OUTDIR/s3-put-worker.js (the benchmark runs the same bundle). */
export async function bundleBroker(outdir: string): Promise<void> {
  await build({
    entryPoints: {
      broker: path.join(__dirname, 'main.ts'),
      's3-put-worker': path.join(__dirname, 'storage', 'object-stores', 's3-put-worker.ts'),
    },
    outdir,
    ...NODE_BUNDLE_OPTIONS,
    sourcemap: true,
  });
}

if (require.main === module) {
  const outdir = process.argv[2];
  if (!outdir) {
    console.error('usage: tsx broker/bundle.ts OUTDIR');
    process.exit(2);
  }
  bundleBroker(outdir).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
