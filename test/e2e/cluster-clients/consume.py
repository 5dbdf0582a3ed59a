#!/usr/bin/python3
"""Reads every partition of a topic from the beginning (librdkafka through confluent_kafka, by
partition assignment, no group) and prints {"p": partition, "o": offset, "v": value} per record;
consumer errors as {"err": name, "fatal": bool}. Stops once the file `stop_file` exists and
nothing new arrived for two seconds, printing {"done": true}.
Usage: consume.py BOOTSTRAP TOPIC PARTITIONS STOP_FILE
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING

bootstrap, topic, partitions, stop_file = sys.argv[1:5]


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def on_error(err):
    emit({"err": err.name(), "fatal": err.fatal()})


consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": "unused-no-commits",
    "enable.auto.commit": False,
    "topic.metadata.refresh.interval.ms": 1000,
    "error_cb": on_error,
})
consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(int(partitions))])
last_data = time.time()
while True:
    msg = consumer.poll(0.2)
    if msg is None:
        if os.path.exists(stop_file) and time.time() - last_data > 2:
            break
        continue
    if msg.error():
        emit({"err": msg.error().name(), "fatal": msg.error().fatal()})
        continue
    last_data = time.time()
    emit({"p": msg.partition(), "o": msg.offset(), "v": msg.value().decode()})
consumer.close()
emit({"done": True})
