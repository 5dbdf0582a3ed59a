"""confluent-kafka (librdkafka): an idempotent producer writes keyed records to every partition of
a topic, then a consumer reads them back by partition assignment (no group). Prints one JSON line:
{"produced": [[partition, offset, key, value], ...], "consumed": [[partition, offset, key, value], ...]}
Usage: confluent_roundtrip.py BOOTSTRAP TOPIC COUNT PARTITIONS
"""
import json
import sys

from confluent_kafka import Consumer, Producer, TopicPartition

bootstrap, topic, count, partition_count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

produced = []
errors = []


def delivered(err, msg):
    if err is not None:
        errors.append(str(err))
    else:
        produced.append([msg.partition(), msg.offset(), msg.key().decode(),
                         None if msg.value() is None else msg.value().decode()])


producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
                     "linger.ms": 5, "compression.type": "lz4"})
for i in range(count):
    value = None if i % 10 == 9 else ("value-%d" % i).encode()
    producer.produce(topic, key=("key-%d" % i).encode(), value=value, partition=i % partition_count,
                     on_delivery=delivered)
    producer.poll(0)
remaining = producer.flush(30)
if errors or remaining:
    raise SystemExit("delivery failed: %s, %d not delivered" % (errors[:5], remaining))

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused-assign-only",
                     "enable.auto.commit": False, "enable.partition.eof": True})
consumer.assign([TopicPartition(topic, p, 0) for p in range(partition_count)])
consumed = []
at_end = set()
while len(at_end) < partition_count:
    message = consumer.poll(10)
    if message is None:
        break
    if message.error():
        if message.error().code() == -191:  # _PARTITION_EOF
            at_end.add(message.partition())
            continue
        raise SystemExit("consume failed: %s" % message.error())
    consumed.append([message.partition(), message.offset(), message.key().decode(),
                     None if message.value() is None else message.value().decode()])
consumer.close()
print(json.dumps({"produced": produced, "consumed": consumed}))
