/**
 * A zombie: a broker paused (SIGSTOP) for longer than its lease under continuous load. Its
 * partitions move to the others (its WAL replayed); then it resumes (SIGCONT) with requests still
 * queued on its sockets. It must acknowledge nothing from then on: a produce sent to it directly
 * fails, it learns at its next renewal that it was fenced and exits, and every partition's log is
 * gap-free and duplicate-free with every acknowledged record at its acknowledged offset.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { FENCED_EXIT_CODE } from '../../broker/cluster/cluster-runtime';
import { ProduceRequest, ProduceResponse } from '../../broker/protocol/messages/produce';
import { buildRecordBatch } from '../../broker/protocol/record-batch';
import { WireClient } from '../support/wire-client';
import {
  aLeaderOf,
  ackedBy,
  checkLog,
  clientErrors,
  kafka,
  librdkafkaProducer,
  finishReading,
  librdkafkaReader,
  readBy,
  touch,
  waitForLeaders,
  waitUntilLeads,
  TEST_LEASE_MS,
  useCluster,
} from './cluster-clients/workload';

const TOPIC = 'zombie';
const PARTITIONS = 6;

const RECLAIM_AFTER_MS = 1000;
const fixture = useCluster('zombie', {
  topic: { name: TOPIC, partitions: PARTITIONS },
  cluster: { extraArgs: ['--wal-reclaim-after-ms', String(RECLAIM_AFTER_MS)] },
});

test('a paused broker whose partitions moved acknowledges nothing when it resumes, and exits fenced', async () => {
  const { cluster, admin } = fixture;
  const { node: zombieNode, index: zombieIndex, others: awakeIndexes } = await aLeaderOf(cluster, admin, TOPIC, PARTITIONS);
  // While the zombie sleeps, this admin talks only to the two brokers that stay awake.
  const awake = kafka(awakeIndexes.map((i) => cluster.bootstrap[i]), 'zombie-awake-admin').admin();
  await awake.connect();
  const stopFile = path.join(cluster.dataDir, 'stop-zombie');
  const producer = librdkafkaProducer(cluster.bootstrap, TOPIC, 'rdk', 150, stopFile);
  const reader = librdkafkaReader(cluster.bootstrap, TOPIC, PARTITIONS, stopFile);
  // A bare client on a connection to the zombie, so its requests can only go there.
  const direct = await WireClient.connect(cluster.brokers[zombieIndex].spec.port);
  const produceTo = (partition: number, value: string): void => {
    direct.send(ProduceRequest, 7, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: buildRecordBatch([{ value }]) }] }],
    });
  };
  const answer = async (): Promise<{ errorCode: number; baseOffset: bigint } | undefined> => {
    try {
      const { body } = await direct.receive(ProduceResponse, 7);
      return body.responses[0].partitionResponses[0];
    } catch {
      return undefined; // the connection closed first
    }
  };
  try {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const zombiePartition = (await waitUntilLeads(admin, TOPIC, PARTITIONS, zombieNode)).indexOf(zombieNode);
    expect(zombiePartition).toBeGreaterThanOrEqual(0);
    // The metadata came from any broker; the zombie learns that it leads at its next poll of the
    // metadata log, and answers NOT_LEADER_OR_FOLLOWER until then.
    let warm: Awaited<ReturnType<typeof answer>>;
    for (let attempt = 0; ; attempt++) {
      produceTo(zombiePartition, 'direct-before-pause');
      warm = await answer();
      if (warm?.errorCode === 0 || attempt === 50 || warm === undefined) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(warm?.errorCode).toBe(0);
    const directAcks = [{ v: 'direct-before-pause', p: zombiePartition, o: Number(warm!.baseOffset) }];

    const pausedAt = Date.now();
    cluster.signal(zombieIndex, 'SIGSTOP');
    await waitForLeaders(awake, TOPIC, PARTITIONS, (leader) => leader !== zombieNode);
    const movedAfterMs = Date.now() - pausedAt;
    // Well past the lease: the zombie's clock says so too when it wakes.
    await new Promise((resolve) => setTimeout(resolve, 500));

    // A produce waits on the zombie's socket while it is stopped; it runs when the zombie resumes.
    produceTo(zombiePartition, 'direct-to-zombie');
    await new Promise((resolve) => setTimeout(resolve, 200));
    cluster.signal(zombieIndex, 'SIGCONT');
    const response = await answer();
    const outcome =
      response === undefined
        ? { acked: false, error: 'connection closed without an answer' }
        : { acked: response.errorCode === 0, error: `error code ${response.errorCode}` };
    const exitCode = await cluster.waitExit(zombieIndex);
    const zombieLogs = await cluster.logLines(zombieIndex);
    const fencedLine = zombieLogs.find((l) => l.msg === 'this broker was fenced: it acknowledges nothing from now on');
    const fencedBy = (await Promise.all(awakeIndexes.map((i) => cluster.logLines(i)))).flat().find((l) => l.msg === 'fenced a broker whose lease lapsed');
    process.stdout.write(
      `cluster-zombie: paused broker ${zombieNode}; fenced at +${fencedBy ? Date.parse(String(fencedBy.time)) - pausedAt : '?'} ms, ` +
        `its partitions seen moved by the client after ${movedAfterMs} ms (lease ${TEST_LEASE_MS} ms); ` +
        `on resume a produce sent to it ${outcome.acked ? 'WAS ACKNOWLEDGED' : `failed (${outcome.error})`}; ` +
        `it logged "${String(fencedLine?.msg)}" (${String(fencedLine?.reason)}) and exited with ${exitCode}\n`,
    );
    expect(outcome.acked).toBe(false);
    expect(fencedLine).toBeDefined();
    expect(exitCode).toBe(FENCED_EXIT_CODE);

    // Its node id does not come back: once replayed, its WAL directory is deleted by the controller
    // after the grace period, not left on the shared file system.
    const zombieWal = await cluster.walDirectory(zombieIndex);
    // The directory is renamed away first and logged once deleted: wait for the log line.
    const reclaimedLine = async (): Promise<Record<string, unknown> | undefined> =>
      (await Promise.all(awakeIndexes.map((i) => cluster.logLines(i))))
        .flat()
        .find((l) => l.msg === 'deleted the WAL directory of a finished incarnation' && l.directory === path.basename(zombieWal));
    const deadline = Date.now() + 20_000;
    let reclaimed = await reclaimedLine();
    while (reclaimed === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      reclaimed = await reclaimedLine();
    }
    process.stdout.write(`cluster-zombie: its WAL directory ${path.basename(zombieWal)} was deleted after ${String(reclaimed?.finishedForMs)} ms finished\n`);
    expect(existsSync(zombieWal)).toBe(false);
    expect(reclaimed).toBeDefined();

    await new Promise((resolve) => setTimeout(resolve, 1500));
    await touch(stopFile);
    await producer.finished();
    const acked = [...ackedBy(producer), ...directAcks];
    await finishReading(reader, stopFile, acked);
    const summary = checkLog(readBy(reader), acked, PARTITIONS);
    expect(readBy(reader).some((r) => r.v === 'direct-to-zombie')).toBe(false);
    const producerErrors = clientErrors(producer);
    process.stdout.write(
      `cluster-zombie: ${summary.acked} acknowledged records all present; partitions hold ${summary.perPartition.join(', ')} records, gap-free and duplicate-free; ` +
        `librdkafka transient errors: ${producerErrors.transient.length}\n`,
    );
    expect(producerErrors.fatal).toEqual([]);
    expect(producerErrors.failedDeliveries).toEqual([]);
  } finally {
    cluster.signal(zombieIndex, 'SIGCONT');
    producer.kill();
    reader.kill();
    direct.close();
    await awake.disconnect().catch(() => undefined);
  }
});
