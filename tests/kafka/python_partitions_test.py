#!/usr/bin/env python3
"""CreatePartitions over the Kafka protocol: confluent-kafka's AdminClient (librdkafka) and kafka-python's
KafkaAdminClient grow a topic on `strata serve`; producers then write to the new partitions, a group consumer
reads every event, the count survives a restart, and the refusals (fewer partitions, an unknown topic, an
assignment naming another broker) come back with Kafka's errors. validate_only changes nothing.
Exit 77 (skipped) without confluent-kafka; the kafka-python part is skipped without it.

usage: python_partitions_test.py PATH_TO_STRATA
"""
import os
import shutil
import sys
import tempfile
import uuid

try:
    from confluent_kafka import Consumer, KafkaException, Producer
    from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic
except ImportError:
    print("python3-confluent-kafka missing: skipped")
    sys.exit(77)

from strata_serve import start_serve  # noqa: E402  (after the skip above)

strata = sys.argv[1]
work = tempfile.mkdtemp(prefix="strata-partitions.", dir=os.environ.get("STRATA_TEST_DIR", "/var/tmp"))
server = None


def fail(message):
    print(f"FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def start_server():
    try:
        return start_serve(strata, f"{work}/log")
    except RuntimeError as e:
        fail(str(e))


def stop_server(proc):
    proc.terminate()
    proc.wait(timeout=20)


def partition_count(admin, topic):
    return len(admin.list_topics(topic, timeout=10).topics[topic].partitions)


def produce(bootstrap, topic, partitions, per_partition, tag):
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True})
    errors = []
    for p in partitions:
        for i in range(per_partition):
            producer.produce(topic, value=f"{tag}-{p}-{i}".encode(), partition=p,
                             on_delivery=lambda err, msg: errors.append(err) if err else None)
    if producer.flush(30) != 0 or errors:
        fail(f"produce to partitions {list(partitions)}: {errors[:3]}")


def consume_all(bootstrap, topic, expected):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"g-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    seen = set()
    misses = 0
    while len(seen) < expected and misses < 60:
        message = consumer.poll(0.5)
        if message is None:
            misses += 1
            continue
        if message.error():
            fail(f"consume: {message.error()}")
        seen.add((message.partition(), message.value()))
    consumer.close()
    return seen


def expect_error(future, name, what):
    try:
        future.result(timeout=20)
    except KafkaException as e:
        if e.args[0].name() != name:
            fail(f"{what}: {e.args[0].name()} ({e.args[0].str()}), expected {name}")
        return
    fail(f"{what}: accepted, expected {name}")


def kafka_python_part(bootstrap):
    try:
        from kafka.admin import KafkaAdminClient, NewPartitions as KpNewPartitions
        from kafka.errors import InvalidPartitionsError
    except ImportError:
        print("python3-kafka missing: its part skipped")
        return
    client = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=20000)
    client.create_partitions({"orders": KpNewPartitions(total_count=7)})
    try:
        client.create_partitions({"orders": KpNewPartitions(total_count=7)})
        fail("kafka-python: growing to the same count was accepted")
    except InvalidPartitionsError:
        pass
    client.close()


try:
    server, bootstrap = start_server()
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic("orders", num_partitions=2, replication_factor=1)])["orders"].result(timeout=20)
    produce(bootstrap, "orders", range(2), 50, "before")

    admin.create_partitions([NewPartitions("orders", 5)])["orders"].result(timeout=20)
    if partition_count(admin, "orders") != 5:
        fail(f"after growing to 5 the metadata shows {partition_count(admin, 'orders')} partitions")
    produce(bootstrap, "orders", range(5), 20, "after")
    seen = consume_all(bootstrap, "orders", 2 * 50 + 5 * 20)
    if len(seen) != 200 or {p for p, _ in seen} != set(range(5)):
        fail(f"the group consumer read {len(seen)} of 200 events, partitions {sorted({p for p, _ in seen})}")

    admin.create_partitions([NewPartitions("orders", 9)], validate_only=True)["orders"].result(timeout=20)
    if partition_count(admin, "orders") != 5:
        fail("validate_only changed the partition count")
    expect_error(admin.create_partitions([NewPartitions("orders", 3)])["orders"], "INVALID_PARTITIONS",
                 "shrinking to 3")
    expect_error(admin.create_partitions([NewPartitions("orders", 5)])["orders"], "INVALID_PARTITIONS",
                 "growing to the same count")
    expect_error(admin.create_partitions([NewPartitions("nothing", 4)])["nothing"], "UNKNOWN_TOPIC_OR_PART",
                 "an unknown topic")
    expect_error(admin.create_partitions([NewPartitions("orders", 6, replica_assignment=[[42]])])["orders"],
                 "INVALID_REPLICA_ASSIGNMENT", "an assignment to broker 42")

    kafka_python_part(bootstrap)
    expected = 7 if partition_count(admin, "orders") == 7 else 5

    stop_server(server)
    server, bootstrap = start_server()
    admin = AdminClient({"bootstrap.servers": bootstrap})
    if partition_count(admin, "orders") != expected:
        fail(f"after a restart: {partition_count(admin, 'orders')} partitions, expected {expected}")
    produce(bootstrap, "orders", [expected - 1], 10, "restarted")
    if len(consume_all(bootstrap, "orders", 210)) != 210:
        fail("after a restart the events of every partition were not all read")
    print(f"create-partitions checks passed ({expected} partitions)")
finally:
    if server is not None:
        server.terminate()
        server.wait(timeout=20)
    shutil.rmtree(work, ignore_errors=True)
