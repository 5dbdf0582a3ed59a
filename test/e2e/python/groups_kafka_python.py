"""A kafka-python 2.0.2 group consumer for the consumer-group end-to-end tests.

    groups_kafka_python.py BOOTSTRAP GROUP TOPIC COUNT

Reads COUNT messages as a member of GROUP (kafka-python speaks JoinGroup v2, SyncGroup v1,
Heartbeat v1, OffsetCommit v2 and OffsetFetch v1 to this broker), commits them synchronously,
closes, and prints one JSON line: the messages read as [partition, offset, value] and the
committed offset of each partition as kafka-python reads it back.
"""
import json
import sys
import time

from kafka import KafkaConsumer, TopicPartition

bootstrap, group, topic, count = sys.argv[1:5]
count = int(count)
consumer = KafkaConsumer(
    topic,
    bootstrap_servers=bootstrap,
    group_id=group,
    auto_offset_reset='earliest',
    enable_auto_commit=False,
    session_timeout_ms=6000,
    heartbeat_interval_ms=500,
)
messages = []
deadline = time.time() + 90
while len(messages) < count and time.time() < deadline:
    for records in consumer.poll(timeout_ms=500).values():
        for record in records:
            messages.append([record.partition, record.offset, record.value.decode()])
consumer.commit()
partitions = consumer.partitions_for_topic(topic)
committed = {str(p): consumer.committed(TopicPartition(topic, p)) for p in sorted(partitions)}
consumer.close()
print(json.dumps({'messages': messages, 'committed': committed}))
