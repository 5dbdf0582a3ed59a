"""Static membership (group.instance.id, KIP-345) with confluent-kafka (librdkafka):

    groups_static_confluent.py BOOTSTRAP GROUP TOPIC

Consumers "a" and "b" (instance ids) join GROUP on TOPIC and settle. Then b's process "restarts":
its consumer closes (a static member does not leave the group on close) and a new consumer with
the same instance id starts. Prints one JSON line: each consumer's assignment events, and a's
events while b was away and back.
"""
import json
import sys
import time

from confluent_kafka import Consumer

bootstrap, group, topic = sys.argv[1:4]
events = {'a': [], 'b': [], 'b-again': []}


def consumer(name, instance):
    def on_assign(_, partitions):
        events[name].append(['assigned', sorted(p.partition for p in partitions)])

    def on_revoke(_, partitions):
        events[name].append(['revoked', sorted(p.partition for p in partitions)])

    c = Consumer({
        'bootstrap.servers': bootstrap,
        'group.id': group,
        'group.instance.id': instance,
        'auto.offset.reset': 'earliest',
        'session.timeout.ms': 30000,
        'heartbeat.interval.ms': 500,
    })
    c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    return c


def poll_until(consumers, done, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline and not done():
        for c in consumers:
            c.poll(0.1)


a = consumer('a', 'instance-a')
b = consumer('b', 'instance-b')
poll_until([a, b], lambda: events['a'] and events['b'] and sum(len(e[1]) for e in events['a'][-1:] + events['b'][-1:]) == 4, 60)
settled_a = list(events['a'])
b.close()
poll_until([a], lambda: False, 3)
b_again = consumer('b-again', 'instance-b')
poll_until([a, b_again], lambda: len(events['b-again']) > 0, 30)
poll_until([a, b_again], lambda: False, 3)
# Taken before the closes, whose revocations are not part of the story.
result = {'a': settled_a, 'b': events['b'], 'b-again': list(events['b-again']), 'a-during-restart': events['a'][len(settled_a):]}
a.close()
b_again.close()
print(json.dumps(result))
