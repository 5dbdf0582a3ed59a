/**
 * Three real brokers under continuous produce and consume (librdkafka and kafkajs): kill -9 one of
 * them. Its partitions are fenced, replayed from its WAL on the shared directory by the survivors,
 * and served again; no acknowledged record is lost, the logs stay gap-free and duplicate-free, and
 * the clients see only retriable errors. The time until the dead broker's partitions are served
 * again is measured and printed (not asserted). The killed broker then comes back and takes a
 * share of the partitions again.
 */
import * as path from 'node:path';
import {
  aLeaderOf,
  checkLog,
  ackedBy,
  clientErrors,
  kafka,
  librdkafkaProducer,
  finishReading,
  librdkafkaReader,
  readBy,
  startKafkajsGroupReader,
  startKafkajsLoad,
  touch,
  waitForLeaders,
  waitUntilLeads,
  TEST_LEASE_MS,
  useCluster,
} from './cluster-clients/workload';

const TOPIC = 'failover';
const PARTITIONS = 6;

const fixture = useCluster('failover', { topic: { name: TOPIC, partitions: PARTITIONS } });

test('kill -9 of a broker under load: no acknowledged record lost, partitions served again after the lease', async () => {
  const { cluster, admin } = fixture;
  const stopFile = path.join(cluster.dataDir, 'stop-failover');
  const producer = librdkafkaProducer(cluster.bootstrap, TOPIC, 'rdk', 150, stopFile);
  const reader = librdkafkaReader(cluster.bootstrap, TOPIC, PARTITIONS, stopFile);
  const jsLoad = await startKafkajsLoad(cluster.bootstrap, TOPIC, PARTITIONS, 'js');
  const jsGroup = await startKafkajsGroupReader(cluster.bootstrap, TOPIC, 'failover-readers');
  try {
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const { node: victimNode, index: victimIndex, others: survivors, leaders: before } = await aLeaderOf(cluster, admin, TOPIC, PARTITIONS);
    const victimPartitions = before.flatMap((leader, p) => (leader === victimNode ? [p] : []));
    const ackedBeforeKill = ackedBy(producer).length + jsLoad.acked.length;

    const killedAt = Date.now();
    cluster.signal(victimIndex, 'SIGKILL');
    await cluster.waitExit(victimIndex);
    // Served again = a new leader in Metadata and an acknowledged write to each of its partitions.
    await waitForLeaders(admin, TOPIC, PARTITIONS, (leader) => leader !== victimNode);
    const probe = kafka(cluster.bootstrap, 'failover-probe').producer({ idempotent: true, maxInFlightRequests: 1 });
    await probe.connect();
    const probes = await Promise.all(
      victimPartitions.map((partition) => probe.send({ topic: TOPIC, acks: -1, messages: [{ value: `probe-${partition}`, partition }] })),
    );
    const servedAgainMs = Date.now() - killedAt;
    await probe.disconnect();
    const probeAcks = probes.map(([result], i) => ({ v: `probe-${victimPartitions[i]}`, p: result.partition, o: Number(result.baseOffset) }));

    const deadLogs = await cluster.logLines(victimIndex);
    const survivorLogs = (await Promise.all(survivors.map((i) => cluster.logLines(i)))).flat();
    const fenced = survivorLogs.find((l) => l.msg === 'fenced a broker whose lease lapsed');
    const replays = survivorLogs.filter((l) => l.msg === 'replayed WAL records of a failed broker' && l.topic === TOPIC);
    process.stdout.write(
      `cluster-failover: killed broker ${victimNode} (owner of partitions ${victimPartitions.join(',')}) with ${ackedBeforeKill} records acknowledged; ` +
        `its partitions were served again after ${servedAgainMs} ms (lease ${TEST_LEASE_MS} ms); ` +
        `fenced at +${fenced ? Date.parse(String(fenced.time)) - killedAt : '?'} ms; replayed ${replays.map((r) => `${String(r.partition)}:${String(r.records)} records`).join(', ')}; ` +
        `dead broker logged ${deadLogs.length} lines\n`,
    );
    expect(fenced).toBeDefined();
    expect(replays.map((r) => r.partition).sort()).toEqual([...victimPartitions].sort());

    // The killed broker comes back (a new incarnation on the same WAL directory, whose old records
    // were replayed by the others) and gets a share of the partitions again, under load.
    await cluster.startBroker(victimIndex);
    await waitUntilLeads(admin, TOPIC, PARTITIONS, victimNode);
    const restartedLogs = await cluster.logLines(victimIndex);
    expect(restartedLogs.filter((l) => l.msg === 'joined the cluster')).toHaveLength(2);
    // Its old directory, replayed by the others, is taken over (renamed), not formatted again.
    const [firstStart, secondStart] = restartedLogs.filter((l) => l.msg === 'storage started').map((l) => String(l.walDir));
    expect(restartedLogs.find((l) => l.msg === 'took over the WAL directory of an earlier incarnation')).toMatchObject({ from: firstStart, to: secondStart });
    expect(restartedLogs.filter((l) => l.msg === 'WAL formatted')).toHaveLength(1);

    // Keep the load on for a while, then let everything drain.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await jsLoad.stop();
    await touch(stopFile);
    await producer.finished();
    const acked = [...ackedBy(producer), ...jsLoad.acked, ...probeAcks];
    await finishReading(reader, stopFile, acked);

    const summary = checkLog(readBy(reader), acked, PARTITIONS);
    const producerErrors = clientErrors(producer);
    const readerErrors = clientErrors(reader);
    process.stdout.write(
      `cluster-failover: ${summary.acked} acknowledged records all present; partitions hold ${summary.perPartition.join(', ')} records; ` +
        `librdkafka transient errors: producer ${producerErrors.transient.length}, reader ${readerErrors.transient.length}; kafkajs send failures ${jsLoad.errors.length}, ` +
        `kafkajs consumer retried ${jsGroup.retriedCrashes.length} times (${[...new Set(jsGroup.retriedCrashes)].join('; ')})\n`,
    );
    expect(producerErrors.fatal).toEqual([]);
    expect(producerErrors.failedDeliveries).toEqual([]);
    expect(readerErrors.fatal).toEqual([]);
    expect(jsLoad.errors).toEqual([]);
    // The kafkajs group kept reading through the failover: it read everything the librdkafka reader did.
    const deadline = Date.now() + 30_000;
    while (jsGroup.read.length < readBy(reader).length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(jsGroup.crashes).toEqual([]);
    expect(new Set(jsGroup.read.map((r) => r.v))).toEqual(new Set(readBy(reader).map((r) => r.v)));
  } finally {
    producer.kill();
    reader.kill();
    await jsGroup.consumer.disconnect().catch(() => undefined);
  }
});
