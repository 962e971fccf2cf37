#!/usr/bin/env python3
"""A compacted topic read by a librdkafka consumer (confluent-kafka): an idempotent producer writes keyed
records and a tombstone to a topic created (CreateTopics) with cleanup.policy=compact on `strata serve`;
`strata topic compact` runs a pass; a consumer from the beginning then reads each key's latest record (and
every record of the active segment) at its original offset, skips the offsets compaction removed (gaps inside
batches, empty batches) up to the high watermark, never sees the expired tombstone's key, and its committed
offset survives a restart. Exit 77 (skipped) without the module.

usage: python_compacted_test.py PATH_TO_STRATA
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

try:
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic
except ImportError:
    print("python3-confluent-kafka missing: skipped")
    sys.exit(77)

from strata_serve import start_serve  # noqa: E402  (after the skip above)

strata = sys.argv[1]
work = tempfile.mkdtemp(prefix="strata-compacted.", dir=os.environ.get("STRATA_TEST_DIR", "/var/tmp"))
server = None


def fail(message):
    print(f"FAILED: {message}", file=sys.stderr)
    if server is not None:
        server.kill()
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1)


def start_server():
    try:
        return start_serve(strata, f"{work}/log")
    except RuntimeError as e:
        fail(str(e))


def stop_server(proc):
    proc.send_signal(signal.SIGTERM)
    if proc.wait(timeout=20) != 0:
        fail("serve did not stop cleanly")


def consume_all(bootstrap, end):
    """Every record from the beginning up to `end` (the high watermark), committed as a group."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "readers", "auto.offset.reset": "earliest",
                         "enable.auto.commit": False, "enable.partition.eof": True})
    consumer.assign([TopicPartition("state", 0)])
    records = []
    while True:
        msg = consumer.poll(10)
        if msg is None:
            fail(f"consumer stuck after {records[-1][0] if records else 'nothing'} (end {end})")
        if msg.error():
            if msg.error().code() == -191 and consumer.position([TopicPartition("state", 0)])[0].offset >= end:
                break  # _PARTITION_EOF at the high watermark
            if msg.error().code() == -191:
                continue
            fail(f"consumer error {msg.error()}")
        records.append((msg.offset(), msg.key().decode(), None if msg.value() is None else msg.value().decode()))
    consumer.commit(offsets=[TopicPartition("state", 0, end)], asynchronous=False)
    consumer.close()
    return records


try:
    server, bootstrap = start_server()
    admin = AdminClient({"bootstrap.servers": bootstrap})
    config = {"cleanup.policy": "compact", "segment.bytes": "1048576", "delete.retention.ms": "0"}
    admin.create_topics([NewTopic("state", 1, 1, config=config)])["state"].result(timeout=20)
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                         "linger.ms": 5})
    produced = {}  # offset -> (key, value)

    def report(err, msg):
        if err is not None:
            fail(f"produce failed: {err}")
        produced[msg.offset()] = (msg.key().decode(), None if msg.value() is None else msg.value().decode())

    producer.produce("state", key="gone", value="soon deleted", on_delivery=report)
    producer.produce("state", key="gone", value=None, on_delivery=report)  # a tombstone
    for i in range(24000):
        producer.produce("state", key=f"key-{i % 200}", value=f"{i}-" + "x" * 150, on_delivery=report)
        if i % 1000 == 0:
            producer.poll(0)
    if producer.flush(60) != 0:
        fail("records left unflushed")
    del producer, admin  # closed before the server stops (no reconnect noise)
    stop_server(server)

    compacted = subprocess.run([strata, "topic", "compact", "--dir", f"{work}/log", "--topic", "state", "--json"],
                               capture_output=True, text=True)
    if compacted.returncode != 0:
        fail(f"strata topic compact: {compacted.stderr}")
    stats = json.loads(compacted.stdout)
    if stats["events_removed"] == 0 or stats["tombstones_removed"] != 1 or stats["bytes_reclaimed"] == 0:
        fail(f"compaction removed too little: {stats}")

    server, bootstrap = start_server()
    end = max(produced) + 1
    records = consume_all(bootstrap, end)
    offsets = [offset for offset, _, _ in records]
    if offsets != sorted(set(offsets)):
        fail("offsets out of order or repeated")
    for offset, key, value in records:
        if produced.get(offset) != (key, value):
            fail(f"offset {offset}: {key}={value}, produced {produced.get(offset)}")
    if any(key == "gone" for _, key, _ in records):
        fail("the expired tombstone's key is still there")
    latest = {}
    for offset in sorted(produced):
        latest[produced[offset][0]] = offset
    missing = [offset for key, offset in latest.items() if key != "gone" and offset not in set(offsets)]
    if missing:
        fail(f"latest records missing: {missing[:5]}")
    if len(records) >= len(produced) - stats["events_removed"] + 1 or len(records) < len(latest) - 1:
        fail(f"{len(records)} records read, {len(produced)} produced, {stats['events_removed']} removed")
    stop_server(server)

    # The group's committed offset survived compaction and a restart.
    server, bootstrap = start_server()
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "readers"})
    committed = consumer.committed([TopicPartition("state", 0)], timeout=20)[0].offset
    consumer.close()
    if committed != end:
        fail(f"committed offset {committed}, expected {end}")
    stop_server(server)
    server = None
    print(f"ok: {len(records)} of {len(produced)} records after compaction, read to offset {end}")
finally:
    if server is not None:
        server.kill()
    shutil.rmtree(work, ignore_errors=True)
