/**
 * An S3 protocol server for benchmarking the S3 object store on one machine: s3rver, over HTTPS
 * with the test-only certificate (so the broker pays for TLS as it does against S3), or HTTP.
 *
 *   npx tsx bench/s3rver.ts [--port 4600] [--http]      # prints the bench command to use
 *
 * s3rver is a Node.js process of its own and takes much of the CPU that S3 would not: against it
 * the benchmark's throughput says little, and the broker's CPU-seconds per GiB say what matters.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import S3rver from 's3rver';

const BUCKET = 'bench-bucket';
const TLS_DIR = path.join(__dirname, '..', 'test', 'support', 'tls');

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '4600' }, http: { type: 'boolean', default: false } } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`--port must be a port number, got ${values.port}`);
  // In memory where there is /dev/shm, as the benchmark's default store: off the WAL's disk.
  const directory = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'dk-bench-s3rver-'));
  const certificate = path.join(TLS_DIR, 'localhost-cert.pem');
  const tls = values.http ? {} : { key: readFileSync(path.join(TLS_DIR, 'localhost-key.pem')), cert: readFileSync(certificate) };
  const server = new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: BUCKET }], ...tls });
  await server.run();
  const scheme = values.http ? 'http' : 'https';
  console.log(`s3rver on ${scheme}://127.0.0.1:${port}, bucket ${BUCKET}, data in ${directory}; in another shell:`);
  console.log(
    `  AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER${values.http ? '' : ` NODE_EXTRA_CA_CERTS=${certificate}`} ` +
      `npm run bench -- --object-store s3://${BUCKET}/run-$RANDOM --s3-endpoint ${scheme}://127.0.0.1:${port}`,
  );
  const stop = (): void => {
    void server.close().finally(() => {
      rmSync(directory, { recursive: true, force: true });
      process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
