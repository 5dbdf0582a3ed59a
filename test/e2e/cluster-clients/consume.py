#!/usr/bin/python3
"""Reads every partition of a topic from the beginning (librdkafka through confluent_kafka, by
partition assignment, no group) and prints {"p": partition, "o": offset, "v": value} per record;
consumer errors as {"err": name, "fatal": bool}.

It stops once the file `<stop_file>.ends` exists (JSON: {"<partition>": end offset}) and it has
read every partition up to its end, or 60 s after that file appeared (then the test finds what is
missing), printing {"done": true, "complete": bool}. RDKAFKA_DEBUG in the environment sets
librdkafka's `debug` (the log goes to stderr).
Usage: consume.py BOOTSTRAP TOPIC PARTITIONS STOP_FILE
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING

bootstrap, topic, partitions, stop_file = sys.argv[1:5]
ends_file = stop_file + ".ends"


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def on_error(err):
    emit({"err": err.name(), "fatal": err.fatal()})


config = {
    "bootstrap.servers": bootstrap,
    "group.id": "unused-no-commits",
    "enable.auto.commit": False,
    "topic.metadata.refresh.interval.ms": 1000,
    # A restarted broker is back within seconds: do not wait up to librdkafka's default 10 s.
    "reconnect.backoff.max.ms": 1000,
    "error_cb": on_error,
}
if os.environ.get("RDKAFKA_DEBUG"):
    config["debug"] = os.environ["RDKAFKA_DEBUG"]
consumer = Consumer(config)
consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(int(partitions))])

next_offset = {}
ends = None
ends_seen_at = None
complete = False
while True:
    if ends is None and os.path.exists(ends_file):
        with open(ends_file) as f:
            ends = {int(p): end for p, end in json.load(f).items()}
        ends_seen_at = time.time()
    if ends is not None:
        complete = all(next_offset.get(p, 0) >= end for p, end in ends.items())
        if complete or time.time() - ends_seen_at > 60:
            break
    msg = consumer.poll(0.2)
    if msg is None:
        continue
    if msg.error():
        emit({"err": msg.error().name(), "fatal": msg.error().fatal()})
        continue
    next_offset[msg.partition()] = max(next_offset.get(msg.partition(), 0), msg.offset() + 1)
    emit({"p": msg.partition(), "o": msg.offset(), "v": msg.value().decode()})
consumer.close()
emit({"done": True, "complete": complete})
