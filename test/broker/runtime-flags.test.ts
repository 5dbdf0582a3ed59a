/**
 * The broker's Node.js flags (broker/runtime-flags.ts) reach it however it is launched, and a
 * broker started without them says so.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { BROKER_NODE_FLAGS, missingBrokerNodeFlags } from '../../broker/runtime-flags';
import { BrokerProcess } from '../support/broker-process';

const REPO_ROOT = path.resolve(__dirname, '../..');

describe('broker Node.js flags', () => {
  test('npm start and npm run broker pass every flag to node before the entry point', () => {
    const scripts = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['start', 'broker']) {
      // exec: npm's SIGTERM then reaches the broker itself (entry-point.test.ts).
      expect(scripts[name]).toBe(`exec node --import tsx ${BROKER_NODE_FLAGS.join(' ')} broker/main.ts`);
    }
  });

  test('npm run bench runs the benchmark client with them too (its own full collections would count as broker latency)', () => {
    const scripts = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.bench).toBe(`tsx ${BROKER_NODE_FLAGS.join(' ')} bench/run.ts`);
  });

  test('the container entry point passes every flag to node before the bundle', () => {
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));
    expect(entrypoint).not.toBeNull();
    const argv = JSON.parse(entrypoint![1]) as string[];
    expect(argv[0]).toBe('node');
    expect(argv.slice(1, -1)).toEqual(expect.arrayContaining([...BROKER_NODE_FLAGS]));
    expect(argv.at(-1)).toBe('dist/broker.js');
  });

  test('missingBrokerNodeFlags names the flags absent from an argv', () => {
    expect(missingBrokerNodeFlags([])).toEqual([...BROKER_NODE_FLAGS]);
    expect(missingBrokerNodeFlags(['--enable-source-maps', ...BROKER_NODE_FLAGS])).toEqual([]);
  });

  test.each([
    ['with the flags', BROKER_NODE_FLAGS, false],
    ['without them', [], true],
  ])('a broker started %s', async (_how, nodeFlags, warns) => {
    const broker = await BrokerProcess.start({ nodeFlags });
    try {
      const warning = broker.logs.find((line) => line.msg.startsWith('started without the broker\'s Node.js flags'));
      if (warns) expect(warning).toMatchObject({ missingFlags: [...BROKER_NODE_FLAGS] });
      else expect(warning).toBeUndefined();
    } finally {
      await broker.stop();
      broker.removeDataDir();
    }
  });
});
