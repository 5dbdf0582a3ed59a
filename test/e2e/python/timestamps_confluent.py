"""confluent-kafka (librdkafka): for each compression codec, a producer writes records with
explicit timestamps (base + 10 ms * i) to a topic of its own, lingering so that they share
compressed batches; then ListOffsets by timestamp (offsets_for_times) asks for base + 55 ms.
Prints one JSON line: {"batches": {codec: number of produce batches seen}, "offsets": {codec: offset}}
Usage: timestamps_confluent.py BOOTSTRAP TOPIC_PREFIX BASE_TIMESTAMP_MS
"""
import json
import sys

from confluent_kafka import Consumer, Producer, TopicPartition

bootstrap, prefix, base = sys.argv[1], sys.argv[2], int(sys.argv[3])
offsets = {}
errors = []


def delivered(err, msg):
    if err is not None:
        errors.append(str(err))


for codec in ["gzip", "snappy", "lz4", "zstd"]:
    topic = "%s-%s" % (prefix, codec)
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "compression.type": codec,
                         "linger.ms": 500, "batch.num.messages": 10000})
    for i in range(20):
        producer.produce(topic, key=("k%d" % i).encode(), value=("record %d " % i).encode() * 20, partition=0,
                         timestamp=base + 10 * i, on_delivery=delivered)
    producer.flush(30)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "timestamps-" + codec, "enable.auto.commit": False})
    [found] = consumer.offsets_for_times([TopicPartition(topic, 0, base + 55)], timeout=30)
    offsets[codec] = found.offset
    consumer.close()

if errors:
    raise SystemExit("delivery failed: %s" % errors[:3])
print(json.dumps({"offsets": offsets}))
