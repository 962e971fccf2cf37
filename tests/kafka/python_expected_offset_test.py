#!/usr/bin/env python3
"""Conditional appends over the Kafka protocol: confluent-kafka (librdkafka) producing records with the header
strata.expected-offset to a topic created (CreateTopics) with strata.key-index=true on `strata serve`. A record
whose expectation holds is stored (header as sent); a batch with a failed expectation is refused whole
(INVALID_RECORD) and nothing of it is stored; racing producers expecting the same offset: one wins.
Exit 77 (skipped) without the module.

usage: python_expected_offset_test.py PATH_TO_STRATA
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

try:
    from confluent_kafka import KafkaError, Producer
    from confluent_kafka.admin import AdminClient, NewTopic
except ImportError:
    print("python3-confluent-kafka missing: skipped")
    sys.exit(77)

from strata_serve import start_serve  # noqa: E402  (after the skip above)

strata = sys.argv[1]
work = tempfile.mkdtemp(prefix="strata-expected.", dir=os.environ.get("STRATA_TEST_DIR", "/var/tmp"))
server = None


def fail(message):
    print(f"FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def start_server():
    try:
        return start_serve(strata, f"{work}/log")
    except RuntimeError as e:
        fail(str(e))


def produce(bootstrap, records):
    """Produces (key, expected or None, value) records in one batch; returns one (error name, offset) each."""
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 50,
                         "enable.idempotence": False, "retries": 0})
    outcomes = [None] * len(records)

    def report(index):
        def on_delivery(err, msg):
            outcomes[index] = (err.name() if err is not None else None, msg.offset())
        return on_delivery

    for i, (key, expected, value) in enumerate(records):
        headers = [("strata.expected-offset", str(expected).encode())] if expected is not None else []
        producer.produce("accounts", key=key, value=value, headers=headers, on_delivery=report(i))
    if producer.flush(30) != 0:
        fail("records left unflushed")
    return outcomes


def cat_key(key):
    out = subprocess.run([strata, "cat", "--dir", f"{work}/log", "--topic", "accounts", "--key", key,
                          "--format", "json"], capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


try:
    server, bootstrap = start_server()
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topic = NewTopic("accounts", num_partitions=1, replication_factor=1, config={"strata.key-index": "true"})
    admin.create_topics([topic])["accounts"].result(timeout=20)

    if produce(bootstrap, [(b"a", -1, b"opened")]) != [(None, 0)]:
        fail("a first event expecting no event was not stored at offset 0")
    refused = produce(bootstrap, [(b"b", -1, b"opened"), (b"a", -1, b"opened again")])
    if [name for name, _ in refused] != ["INVALID_RECORD", "INVALID_RECORD"]:
        fail(f"a batch with one failed expectation was not refused whole: {refused}")
    stored = produce(bootstrap, [(b"a", 0, b"credited"), (b"b", -1, b"opened"), (b"a", 1, b"debited"),
                                 (b"c", None, b"unconditional")])
    if stored != [(None, 1), (None, 2), (None, 3), (None, 4)]:
        fail(f"a batch whose expectations hold (one on a record of the same batch) was not stored: {stored}")
    if produce(bootstrap, [(b"a", "x1", b"bad")])[0][0] != "INVALID_RECORD":
        fail("an expected offset that is not a number was not refused")

    events = cat_key("a")
    if [e["offset"] for e in events] != [0, 1, 3]:
        fail(f"key a's events: {events}")
    if events[1]["headers"] != [{"key": "strata.expected-offset", "value": "0"}]:
        fail(f"the header was not stored as sent: {events[1]['headers']}")

    # Racing producers, each expecting key a's last offset (3): exactly one wins.
    results = []
    lock = threading.Lock()

    def race(n):
        outcome = produce(bootstrap, [(b"a", 3, f"racer {n}".encode())])[0]
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=race, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for r in results if r[0] is None]
    if len(winners) != 1 or sorted(r[0] for r in results if r[0] is not None) != ["INVALID_RECORD"] * 3:
        fail(f"racing producers expecting offset 3: {results}")
    if [e["offset"] for e in cat_key("a")] != [0, 1, 3, winners[0][1]]:
        fail(f"key a after the race: {cat_key('a')}")
    print("expected-offset checks passed")
finally:
    if server is not None:
        server.terminate()
        server.wait(timeout=20)
    shutil.rmtree(work, ignore_errors=True)
