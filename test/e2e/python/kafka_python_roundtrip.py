"""kafka-python: produce keyed records with headers (acks=all) to every partition of a topic, then
read them back by partition assignment with CRC checks on. Prints one JSON line:
{"produced": [[partition, offset, key, value], ...], "consumed": [[partition, offset, key, value, headers], ...]}
Usage: kafka_python_roundtrip.py BOOTSTRAP TOPIC COUNT
"""
import json
import sys

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])

producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
partitions = sorted(producer.partitions_for(topic))
futures = []
for i in range(count):
    partition = partitions[i % len(partitions)]
    value = None if i % 10 == 9 else ("value-%d" % i).encode()
    futures.append(producer.send(topic, key=("key-%d" % i).encode(), value=value,
                                 headers=[("index", str(i).encode())], partition=partition))
producer.flush()
produced = []
for i, future in enumerate(futures):
    meta = future.get(timeout=30)
    produced.append([meta.partition, meta.offset, "key-%d" % i, None if i % 10 == 9 else "value-%d" % i])
producer.close()

consumer = KafkaConsumer(bootstrap_servers=bootstrap, check_crcs=True, enable_auto_commit=False,
                         consumer_timeout_ms=5000, auto_offset_reset="earliest")
consumer.assign([TopicPartition(topic, p) for p in partitions])
consumer.seek_to_beginning()
consumed = []
for message in consumer:
    consumed.append([message.partition, message.offset, message.key.decode(),
                     None if message.value is None else message.value.decode(),
                     [[k, v.decode()] for k, v in message.headers]])
    if len(consumed) >= count:
        break
consumer.close()
print(json.dumps({"produced": produced, "consumed": consumed}))
