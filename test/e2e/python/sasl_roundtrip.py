"""SASL with the Python clients: produce three records as USER, then read them back by partition
assignment. Prints one JSON line: {"consumed": [value, ...]}, or {"error": "..."} when the client
reports that authentication failed.
Usage: sasl_roundtrip.py confluent|kafka-python BOOTSTRAP TOPIC MECHANISM USER PASSWORD

confluent-kafka (librdkafka) uses SaslHandshake v1 and SaslAuthenticate; kafka-python 2.0 uses
SaslHandshake v0 and then sends the exchange's tokens bare.
"""
import json
import sys

client, bootstrap, topic, mechanism, user, password = sys.argv[1:7]
VALUES = ["first", "second", "third"]


def confluent():
    import time
    from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
    sasl = {"bootstrap.servers": bootstrap, "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanisms": mechanism, "sasl.username": user, "sasl.password": password}
    auth_errors = []

    def on_error(error):
        if error.code() == KafkaError._AUTHENTICATION:
            auth_errors.append(error.str())

    producer = Producer(dict(sasl, acks="all", error_cb=on_error))
    for value in VALUES:
        producer.produce(topic, value=value.encode())
    deadline = time.time() + 30
    while len(producer) > 0 and not auth_errors and time.time() < deadline:
        producer.poll(0.1)
    if auth_errors:
        return {"error": auth_errors[0]}
    if len(producer) > 0:
        raise SystemExit("%d records not delivered" % len(producer))
    consumer = Consumer(dict(sasl, **{"group.id": "unused-assign-only", "enable.partition.eof": True}))
    consumer.assign([TopicPartition(topic, 0, 0)])
    consumed = []
    while True:
        message = consumer.poll(10)
        if message is None or (message.error() and message.error().code() == -191):  # _PARTITION_EOF
            break
        if message.error():
            raise SystemExit("consume failed: %s" % message.error())
        consumed.append(message.value().decode())
    consumer.close()
    return {"consumed": consumed}


def kafka_python():
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.errors import KafkaTimeoutError
    sasl = dict(bootstrap_servers=bootstrap, security_protocol="SASL_PLAINTEXT", sasl_mechanism=mechanism,
                sasl_plain_username=user, sasl_plain_password=password, api_version=(2, 0, 0))
    # After a v0 handshake a failed authentication just closes the connection (as in Kafka), and
    # kafka-python keeps reconnecting: the producer never gets metadata.
    producer = KafkaProducer(acks="all", max_block_ms=8000, **sasl)
    try:
        for value in VALUES:
            producer.send(topic, value=value.encode()).get(timeout=15)
    except KafkaTimeoutError as error:
        return {"error": "%s: %s" % (type(error).__name__, error)}
    producer.close()
    consumer = KafkaConsumer(consumer_timeout_ms=3000, check_crcs=True, **sasl)
    consumer.assign([TopicPartition(topic, 0)])
    consumer.seek_to_beginning()
    consumed = [message.value.decode() for message in consumer]
    consumer.close()
    return {"consumed": consumed}


print(json.dumps(confluent() if client == "confluent" else kafka_python()))
