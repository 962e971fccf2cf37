"""confluent-kafka (Python, on librdkafka) against `strata serve`: keys, headers, lz4 and zstd compression,
an idempotent producer and a consumer group. usage: python_test.py HOST:PORT"""
import sys
import time

import confluent_kafka as ck

bootstrap = sys.argv[1]
COUNT = 500


def fail(message):
    print("FAILED:", message, file=sys.stderr)
    sys.exit(1)


for codec in ["lz4", "zstd", "none"]:
    topic = "python-" + codec
    producer = ck.Producer({"bootstrap.servers": bootstrap, "compression.type": codec,
                            "enable.idempotence": True, "acks": "all", "linger.ms": 5})
    errors = []
    for i in range(COUNT):
        # Header values are never None here: confluent-kafka 1.7.0 mis-counts references to None header values
        # and the interpreter aborts at exit (a client bug, not the server's).
        producer.produce(topic, key=b"key-%d" % i, value=(b"value-%d " % i) * 20,
                         headers=[("trace", b"t%d" % i), ("empty", b"")],
                         on_delivery=lambda err, msg: errors.append(err) if err else None)
    if producer.flush(30) != 0:
        fail(codec + ": messages left unflushed")
    if errors:
        fail(codec + ": delivery errors: %s" % errors[:3])

    consumer = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": "python-" + codec,
                            "auto.offset.reset": "earliest", "enable.partition.eof": True})
    consumer.subscribe([topic])
    received = []
    deadline = time.time() + 30
    while time.time() < deadline and len(received) < COUNT:
        message = consumer.poll(0.5)
        if message is None or message.error():
            continue
        received.append((message.key(), message.value(), message.headers()))
    consumer.close()
    if len(received) != COUNT:
        fail("%s: received %d of %d" % (codec, len(received), COUNT))
    for i, (key, value, headers) in enumerate(received):
        if key != b"key-%d" % i or value != (b"value-%d " % i) * 20:
            fail("%s: message %d is %r / %r" % (codec, i, key, value[:20]))
        if headers != [("trace", b"t%d" % i), ("empty", b"")]:
            fail("%s: message %d headers %r" % (codec, i, headers))
    print(codec, "ok")
