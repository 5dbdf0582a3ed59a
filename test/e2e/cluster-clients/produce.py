#!/usr/bin/python3
"""Continuous producer for the cluster tests (librdkafka through confluent_kafka).

Produces `count` messages with values `<prefix>-<n>` round-robin over the topic's partitions at
about `rate` per second, acks=all, and prints one JSON line per delivery report:
{"v": value, "p": partition, "o": offset} on success, {"v": value, "err": name, "fatal": bool}
on failure; client-level errors (error_cb) as {"client_err": name, "fatal": bool}.
Until the file `stop_file` exists it keeps going after `count` (count 0 = until stopped).
Usage: produce.py BOOTSTRAP TOPIC PREFIX COUNT RATE IDEMPOTENT(true|false) STOP_FILE
"""
import json
import os
import sys
import time

from confluent_kafka import Producer

bootstrap, topic, prefix, count, rate, idempotent, stop_file = sys.argv[1:8]
count = int(count)
rate = float(rate)


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def on_error(err):
    emit({"client_err": err.name(), "fatal": err.fatal()})


def on_delivery(err, msg):
    value = msg.value().decode()
    if err is not None:
        emit({"v": value, "err": err.name(), "fatal": err.fatal()})
    else:
        emit({"v": value, "p": msg.partition(), "o": msg.offset()})


producer = Producer({
    "bootstrap.servers": bootstrap,
    "acks": "all",
    "enable.idempotence": idempotent == "true",
    "message.timeout.ms": 120000,
    "linger.ms": 5,
    "retry.backoff.ms": 100,
    # A restarted broker is back within seconds: do not wait up to librdkafka's default 10 s.
    "reconnect.backoff.max.ms": 1000,
    "topic.metadata.refresh.interval.ms": 1000,
    "error_cb": on_error,
})

sent = 0
started = time.time()
while (count == 0 or sent < count) and not os.path.exists(stop_file):
    partitions = len(producer.list_topics(topic, timeout=10).topics[topic].partitions) if sent == 0 else partitions
    producer.produce(topic, value=f"{prefix}-{sent}".encode(), partition=sent % partitions, on_delivery=on_delivery)
    sent += 1
    producer.poll(0)
    delay = started + sent / rate - time.time()
    if delay > 0:
        time.sleep(delay)
remaining = producer.flush(130)
emit({"done": True, "sent": sent, "undelivered": remaining})
