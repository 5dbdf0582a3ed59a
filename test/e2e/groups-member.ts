/**
 * A kafkajs group member as its own process, for tests that kill one with SIGKILL:
 *
 *   node --import tsx test/e2e/groups-member.ts BOOTSTRAP GROUP TOPIC NAME TIMING_JSON
 *
 * Prints one JSON line per event: {"type":"join","partitions":[...]} after each rebalance, and
 * {"type":"message","partition":P,"offset":O,"value":V} for each message received.
 */
import { kafkaClient } from './groups-support';

async function main(): Promise<void> {
  const [bootstrap, groupId, topic, name, timing] = process.argv.slice(2);
  const consumer = kafkaClient(bootstrap, name).consumer({ groupId, ...(JSON.parse(timing) as object) });
  const print = (event: object): void => void process.stdout.write(`${JSON.stringify(event)}\n`);
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => print({ type: 'join', partitions: payload.memberAssignment[topic] ?? [] }));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ partition, message }) => {
      print({ type: 'message', partition, offset: Number(message.offset), value: message.value?.toString() ?? '' });
      return Promise.resolve();
    },
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`group member failed: ${String(error)}\n`);
  process.exit(1);
});
