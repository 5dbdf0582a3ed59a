"""A confluent-kafka (librdkafka) group consumer for the consumer-group end-to-end tests.

    groups_confluent.py BOOTSTRAP GROUP TOPIC COUNT auto|manual

Reads COUNT messages as a member of GROUP, committing either automatically (enable.auto.commit,
every 100 ms and on close) or by hand after each message (synchronous commit of its offset),
then closes (which leaves the group). Prints one JSON line: the messages read as
[partition, offset, value], and the offsets the group has committed afterwards.
"""
import json
import sys
import time

from confluent_kafka import Consumer, TopicPartition

bootstrap, group, topic, count, mode = sys.argv[1:6]
count = int(count)
consumer = Consumer({
    'bootstrap.servers': bootstrap,
    'group.id': group,
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': mode == 'auto',
    'auto.commit.interval.ms': 100,
    'session.timeout.ms': 6000,
    'heartbeat.interval.ms': 500,
})
consumer.subscribe([topic])
messages = []
deadline = time.time() + 90
while len(messages) < count and time.time() < deadline:
    message = consumer.poll(0.5)
    if message is None:
        continue
    if message.error():
        raise SystemExit(f'consumer error: {message.error()}')
    messages.append([message.partition(), message.offset(), message.value().decode()])
    if mode == 'manual':
        consumer.commit(message=message, asynchronous=False)
assignment = consumer.assignment()
consumer.close()

checker = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': False})
partitions = checker.list_topics(topic, timeout=10).topics[topic].partitions
committed = checker.committed([TopicPartition(topic, p) for p in partitions], timeout=10)
checker.close()
print(json.dumps({
    'messages': messages,
    'assigned': sorted(tp.partition for tp in assignment),
    'committed': {str(tp.partition): tp.offset for tp in committed},
}))
