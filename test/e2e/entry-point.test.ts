/**
 * The entry point as the container and `npm run broker` use it: --help, invalid flags (exit 2 with
 * a clear message), DK_ environment variables, the start line with the effective configuration,
 * and SIGTERM (finish, upload, exit 0).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MetadataRequest, MetadataResponse } from '../../broker/protocol/messages/metadata';
import { BrokerProcess } from '../support/broker-process';
import { WireClient } from '../support/wire-client';
import { kcat, run } from './clients';

const ENTRY = ['--import', 'tsx', path.join(__dirname, '../../broker/main.ts')];

describe('broker entry point', () => {
  test('--help prints every flag with its environment variable and exits 0', async () => {
    const result = await run(process.execPath, [...ENTRY, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: npm run broker -- [flags]');
    expect(result.stdout).toContain('--object-store URL');
    expect(result.stdout).toContain('env DK_OBJECT_STORE');
  });

  test.each([
    [['--port', 'abc'], 'diskless-kafka: invalid --port: "abc"; expected an integer from 0 to 65535'],
    [['--no-such-flag', '1'], 'diskless-kafka: unknown flag --no-such-flag (see --help)'],
  ])('%j exits 2 with a clear message', async (args, message) => {
    const result = await run(process.execPath, [...ENTRY, ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(message);
  });

  test('an invalid environment variable exits 2 and names the variable', () => {
    const result = spawnSync(process.execPath, ENTRY, { env: { ...process.env, DK_WAL_CAPACITY_MIB: 'lots' }, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('invalid DK_WAL_CAPACITY_MIB (environment): "lots"');
  });

  test('DK_ variables configure it, it logs its effective configuration, and SIGTERM stops it cleanly', async () => {
    const broker = await BrokerProcess.start({
      env: { DK_DEFAULT_PARTITIONS: '4', DK_ZONE: 'zone-x', DK_CLUSTER_ID: 'e2e-cluster', DK_NODE_ID: '3', DK_WAL_SYNC: 'fdatasync', DK_UPLOAD_CONCURRENCY: '3',
        DK_RETENTION_CHECK_INTERVAL_MS: '4000', DK_OBJECT_DELETE_DELAY_MS: '2500' },
    });
    try {
      const started = broker.logs.find((line) => line.msg === 'broker started')!;
      expect(started.config).toMatchObject({ defaultPartitions: 4, zone: 'zone-x', clusterId: 'e2e-cluster', nodeId: 3, port: broker.port });
      // The storage flags reach the engine (its own start line says what it runs with).
      expect(broker.logs.find((line) => line.msg === 'storage started')).toMatchObject({
        walSyncMode: 'fdatasync',
        maxConcurrentUploads: 3,
        retentionCheckIntervalMs: 4000,
        objectDeleteGraceMs: 2500,
      });

      await kcat(broker.bootstrap, ['-P', '-t', 'four'], { input: 'x\n' });
      const client = await WireClient.connect(broker.port);
      const metadata = await client.request(MetadataRequest, MetadataResponse, 8, { topics: [{ name: 'four' }] });
      client.close();
      expect(metadata.brokers).toEqual([{ nodeId: 3, host: '127.0.0.1', port: broker.port, rack: 'zone-x' }]);
      expect(metadata.clusterId).toBe('e2e-cluster');
      expect(metadata.topics[0].partitions).toHaveLength(4);
      expect(metadata.topics[0].partitions.every((p) => p.leaderId === 3)).toBe(true);

      expect(await broker.stop()).toEqual({ code: 0, signal: null });
      expect(broker.logs.map((line) => line.msg)).toContain('broker stopped');
    } finally {
      await broker.stop();
      broker.removeDataDir();
    }
  });

  test('npm start: a SIGTERM to npm reaches the broker, which stops cleanly, and nothing is left running', async () => {
    // npm runs the script through sh, which does not pass signals on: the script execs node.
    const dataDir = mkdtempSync(path.join(tmpdir(), 'dk-npm-start-'));
    const npm = spawn('npm', ['start', '--', '--port', '0', '--data-dir', dataDir], { cwd: path.join(__dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let stdout = '';
      const started = new Promise<void>((resolve) =>
        npm.stdout.on('data', (data: Buffer) => {
          stdout += data.toString();
          if (stdout.includes('"msg":"broker started"')) resolve();
        }),
      );
      const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
      await started;
      const brokerPid = Number(/"pid":(\d+)[^\n]*"msg":"broker started"/.exec(stdout)![1]);
      npm.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout).toContain('"msg":"broker stopped"');
      expect(() => process.kill(brokerPid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
