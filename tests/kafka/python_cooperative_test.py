"""Cooperative-sticky rebalancing (KIP-429) against `strata serve`, through confluent-kafka (librdkafka).

The protocol is the classic JoinGroup/SyncGroup one; what the broker must get right is letting members keep
partitions across a rebalance: consumer a owns all 4 partitions, b joins, a gives up some (not all) of them
and b gets exactly those; every event is consumed.
    usage: python_cooperative_test.py HOST:PORT
"""
import sys
import threading
import time

from confluent_kafka import Consumer, Producer

bootstrap = sys.argv[1]
EVENTS = 2000
PARTITIONS = 4

producer = Producer({"bootstrap.servers": bootstrap})
for i in range(EVENTS):
    producer.produce("coop", key=str(i), value=str(i))
assert producer.flush(30) == 0, "events left unflushed"

lock = threading.Lock()
seen = set()
log = []  # (consumer, "assign"|"revoke", partitions)
owned = {"a": set(), "b": set()}
stop = threading.Event()


def consume(name):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "cooperative", "auto.offset.reset": "earliest",
                         "partition.assignment.strategy": "cooperative-sticky", "session.timeout.ms": 6000,
                         "heartbeat.interval.ms": 300})

    def on_assign(_, partitions):
        with lock:
            log.append((name, "assign", sorted(p.partition for p in partitions)))
            owned[name] |= {p.partition for p in partitions}

    def on_revoke(_, partitions):
        with lock:
            log.append((name, "revoke", sorted(p.partition for p in partitions)))
            owned[name] -= {p.partition for p in partitions}

    consumer.subscribe(["coop"], on_assign=on_assign, on_revoke=on_revoke)
    while not stop.is_set():
        message = consumer.poll(0.1)
        if message is None:
            continue
        assert not message.error(), message.error()
        with lock:
            seen.add((message.partition(), message.offset()))
        time.sleep(0.002)  # slow enough that b joins while a still has events to read
    consumer.close()


a = threading.Thread(target=consume, args=("a",))
a.start()
deadline = time.time() + 30
while time.time() < deadline and len(owned["a"]) < PARTITIONS:
    time.sleep(0.05)
b = threading.Thread(target=consume, args=("b",))
b.start()
while time.time() < deadline:
    with lock:
        if len(seen) == EVENTS and owned["b"] and len(owned["a"] | owned["b"]) == PARTITIONS:
            break
    time.sleep(0.05)
stop.set()
a.join()
b.join()
for entry in log:
    print(entry)
assert len(seen) == EVENTS, f"consumed {len(seen)} of {EVENTS} events"
first_revoke = next((e for e in log if e[0] == "a" and e[1] == "revoke"), None)
assert first_revoke is not None, "a never gave up a partition to b"
assert 0 < len(first_revoke[2]) < PARTITIONS, f"an eager rebalance, not an incremental one: {first_revoke}"
b_assigned = set().union(*[set(e[2]) for e in log if e[0] == "b" and e[1] == "assign"])
assert b_assigned == set(first_revoke[2]), f"b got {sorted(b_assigned)}, a gave up {first_revoke[2]}"
print(f"cooperative-sticky: a kept {PARTITIONS - len(first_revoke[2])} partitions, b took {first_revoke[2]}; "
      f"{EVENTS} events consumed")
