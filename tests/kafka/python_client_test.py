#!/usr/bin/env python3
"""Python's confluent-kafka (librdkafka underneath) against `strata serve`: keys, headers, lz4 and zstd
compression, an idempotent producer with acks=all, a consumer group of two members on a 4-partition topic
that get disjoint partitions and rebalance when one leaves, and what `strata cat` prints of it.

usage: python_client_test.py PATH_TO_STRATA
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

strata = sys.argv[1]
work = tempfile.mkdtemp(prefix="strata-kafka-py.", dir=os.environ.get("STRATA_TEST_DIR", "/var/tmp"))
server = None


def fail(message):
    print(f"FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def start_server():
    proc = subprocess.Popen([strata, "serve", "--dir", f"{work}/log", "--listen", "127.0.0.1:0", "--partitions", "4"],
                            stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    if "listening on" not in line:
        fail(f"serve did not start: {line}")
    port = line.split("listening on ")[1].split(" ")[0].rsplit(":", 1)[1]
    return proc, f"127.0.0.1:{port}"


def produce(bootstrap, topic, events, compression):
    errors = []
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
                         "compression.type": compression, "linger.ms": 5})
    delivered = []

    def report(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            delivered.append((msg.partition(), msg.offset()))

    for key, value, headers in events:
        producer.produce(topic, key=key, value=value, headers=headers, on_delivery=report)
    if producer.flush(30) != 0:
        fail("producer did not deliver everything in 30 s")
    if errors:
        fail(f"delivery errors: {errors[:3]}")
    return delivered


def consume_all(bootstrap, topic, group, count, timeout_s=30):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    consumer.subscribe([topic])
    got = []
    deadline = time.time() + timeout_s
    while len(got) < count and time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            fail(f"consumer error: {msg.error()}")
        got.append(msg)
    consumer.commit(asynchronous=False)
    consumer.close()
    return got


try:
    server, bootstrap = start_server()
    # Keys, headers and compression round-trip through the server.
    for compression in ("lz4", "zstd", "gzip", "snappy", "none"):
        topic = f"t-{compression}"
        events = [(f"k{i}".encode(), f"value {i} {compression}".encode(), [("h", f"{i}".encode()), ("e", b"")])
                  for i in range(500)]
        delivered = produce(bootstrap, topic, events, compression)
        if len(set(delivered)) != 500:
            fail(f"{compression}: {len(set(delivered))} distinct offsets for 500 events")
        got = consume_all(bootstrap, topic, f"g-{compression}", 500)
        received = {(m.key(), m.value()): m.headers() for m in got}
        if len(got) != 500 or len(received) != 500:
            fail(f"{compression}: consumed {len(got)} ({len(received)} distinct) of 500")
        for key, value, headers in events:
            if received.get((key, value)) != [("h", headers[0][1]), ("e", b"")]:
                fail(f"{compression}: headers of {key} came back as {received.get((key, value))}")
        # What a Kafka client produced is what `strata cat` prints (the server holds the directory's lock:
        # cat reads beside it).
        cat = subprocess.run([strata, "cat", "--dir", f"{work}/log", "--topic", topic, "--format", "json"],
                             capture_output=True, text=True, check=True)
        printed = {(j["key"], j["value"]) for j in map(json.loads, cat.stdout.splitlines())}
        if printed != {(k.decode(), v.decode()) for k, v, _ in events}:
            fail(f"{compression}: strata cat printed something else than was produced")
    print("keys, headers, 5 codecs: ok")

    # A group of two members on a 4-partition topic: disjoint partitions, every event once.
    topic = "orders"
    produce(bootstrap, topic, [(f"order-{i}".encode(), f"{i}".encode(), None) for i in range(2000)], "lz4")
    config = {"bootstrap.servers": bootstrap, "group.id": "pair", "auto.offset.reset": "earliest",
              "enable.auto.commit": False, "session.timeout.ms": 6000, "heartbeat.interval.ms": 500}
    first, second = Consumer(dict(config)), Consumer(dict(config))
    consumed = {first: {}, second: {}}  # partition -> next offset, committed when the partition is revoked

    def on_revoke(consumer, partitions):
        offsets = [TopicPartition(topic, p.partition, consumed[consumer][p.partition])
                   for p in partitions if p.partition in consumed[consumer]]
        if offsets:
            consumer.commit(offsets=offsets, asynchronous=False)
        for p in partitions:
            consumed[consumer].pop(p.partition, None)

    first.subscribe([topic], on_revoke=on_revoke)
    second.subscribe([topic], on_revoke=on_revoke)
    seen = {}
    deadline = time.time() + 40
    while time.time() < deadline and (len(first.assignment()) + len(second.assignment()) < 4 or len(seen) < 2000):
        for name, consumer in (("first", first), ("second", second)):
            msg = consumer.poll(0.2)
            if msg is not None and not msg.error():
                seen.setdefault((msg.partition(), msg.offset()), []).append(name)
                consumed[consumer][msg.partition()] = msg.offset() + 1
    a, b = {p.partition for p in first.assignment()}, {p.partition for p in second.assignment()}
    if a & b or len(a | b) != 4:
        fail(f"assignments not disjoint and complete: {a} {b}")
    if len(seen) != 2000 or any(len(v) != 1 for v in seen.values()):
        fail(f"group saw {len(seen)} of 2000 events, duplicates: {sum(len(v) > 1 for v in seen.values())}")
    for consumer in (first, second):
        offsets = [TopicPartition(topic, p, o) for p, o in consumed[consumer].items()]
        if offsets:
            consumer.commit(offsets=offsets, asynchronous=False)
    second.close()  # leaves: the first member takes every partition
    deadline = time.time() + 30
    while time.time() < deadline and len(first.assignment()) != 4:
        first.poll(0.2)
    if len(first.assignment()) != 4:
        fail(f"after a leave the remaining member has {len(first.assignment())} partitions")
    first.close()
    committed = Consumer(dict(config)).committed([TopicPartition(topic, p) for p in range(4)], timeout=10)
    if sum(tp.offset for tp in committed) != 2000:
        fail(f"committed offsets add up to {sum(tp.offset for tp in committed)}, not 2000")
    print("group of two: disjoint, exactly once, rebalance on leave, commits: ok")

    # After a restart the group resumes from its commits: nothing new to read.
    server.terminate()
    server.wait(timeout=30)
    server, bootstrap = start_server()
    produce(bootstrap, topic, [(b"late", b"late", None)], "none")
    config["bootstrap.servers"] = bootstrap
    again = consume_all(bootstrap, topic, "pair", 1, timeout_s=20)
    if [m.value() for m in again] != [b"late"]:
        fail(f"after a restart the group read {[m.value() for m in again][:5]}, expected only the new event")
    print("resume after restart: ok")

    # AdminClient.delete_topics: the topic, its files and its group's commits go; an unknown name is an error.
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.delete_topics([topic, "never-was"], operation_timeout=10)
    futures[topic].result(timeout=20)
    try:
        futures["never-was"].result(timeout=20)
        fail("deleting an unknown topic succeeded")
    except KafkaException as error:
        if error.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
            fail(f"deleting an unknown topic: {error}, not UNKNOWN_TOPIC_OR_PART")
    if topic in admin.list_topics(timeout=10).topics:
        fail(f"{topic} is still listed after delete_topics")
    if any(name.startswith(f"{topic}-") for name in os.listdir(f"{work}/log")):
        fail(f"partition directories of {topic} are left: {os.listdir(f'{work}/log')}")
    print("delete_topics: ok")
finally:
    if server is not None and server.poll() is None:
        server.terminate()
        server.wait(timeout=30)
    shutil.rmtree(work, ignore_errors=True)
print("1 passed, 0 failed")
