#!/usr/bin/python3
"""The longest pauses between a librdkafka producer's delivery reports against a running `strata serve`.

A pause near 1 s while the producer keeps sending points at a reactor that slept its whole epoll timeout
(1000 ms) instead of being woken by an acknowledgement; a pause at the first delivery includes creating the
topic. Uses Debian's python3-confluent-kafka (run it with /usr/bin/python3).

  usage: perf/kafka_delivery_gaps.py HOST:PORT [EVENTS] [TOPIC]
"""
import sys
import time

from confluent_kafka import Producer


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    bootstrap = sys.argv[1]
    events = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    topic = sys.argv[3] if len(sys.argv) > 3 else "delivery-gaps"
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                         "linger.ms": 5})
    last = [time.monotonic()]
    gaps = []

    def delivered(error, _message):
        if error:
            sys.exit(f"delivery failed: {error}")
        now = time.monotonic()
        gaps.append((now - last[0], len(gaps)))
        last[0] = now

    started = time.monotonic()
    for i in range(events):
        while True:
            try:
                producer.produce(topic, key=b"%08d" % i, value=b"x" * 100, callback=delivered)
                break
            except BufferError:
                producer.poll(0.001)
        producer.poll(0)
    producer.flush(60)
    gaps.sort(reverse=True)
    print(f"{events} events in {time.monotonic() - started:.2f} s; longest pauses (s, at delivery):",
          [(round(gap, 3), at) for gap, at in gaps[:6]])


if __name__ == "__main__":
    main()
