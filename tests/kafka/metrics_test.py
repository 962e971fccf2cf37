"""`strata serve --metrics` scraped after real clients (confluent-kafka) produced, consumed and committed:
records produced per partition equal what was delivered, lag equals what was left unconsumed, histograms are
cumulative with _count equal to +Inf, the text passes Prometheus' parser and a strict line check, other
paths and methods are refused, and a scrape of 1,000 partitions is timed.
usage: metrics_test.py KAFKA_HOST:PORT METRICS_HOST:PORT"""
import collections
import re
import sys
import time
import urllib.error
import urllib.request

import confluent_kafka as ck
from confluent_kafka.admin import AdminClient, NewTopic
from prometheus_client.parser import text_string_to_metric_families

bootstrap, metrics_address = sys.argv[1], sys.argv[2]
URL = "http://%s/metrics" % metrics_address
TOPIC = "metered"
SENT = 600
LEFT = {0: 7, 1: 0, 2: 31}  # per partition: records the group leaves uncommitted
FAMILIES = {
    "strata_records_produced_total": "counter", "strata_bytes_produced_total": "counter",
    "strata_records_fetched_total": "counter", "strata_bytes_fetched_total": "counter",
    "strata_kafka_request_seconds": "histogram", "strata_fdatasync_seconds": "histogram",
    "strata_connections": "gauge", "strata_consumer_group_committed_offset": "gauge",
    "strata_consumer_group_lag": "gauge",
}


def fail(message):
    print("FAILED:", message, file=sys.stderr)
    sys.exit(1)


def scrape():
    with urllib.request.urlopen(URL, timeout=10) as response:
        if response.status != 200 or not response.headers["Content-Type"].startswith("text/plain; version=0.0.4"):
            fail("scrape: %s %s" % (response.status, response.headers["Content-Type"]))
        return response.read().decode("utf-8")


LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{%s(?:,%s)*\})? (-?[0-9.e+-]+|\+Inf|NaN)$' % (LABEL, LABEL))


def strict_check(text):
    """Every line a HELP, a TYPE before its family's samples, or a well-formed sample; families not split."""
    if not text.endswith("\n"):
        fail("the text does not end with a newline")
    typed, seen_done, current = {}, set(), None
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            parts = line.split(" ", 3)
            if parts[1] == "TYPE":
                if parts[2] in typed:
                    fail("TYPE twice for " + parts[2])
                typed[parts[2]] = parts[3]
                if current is not None:
                    seen_done.add(current)
                current = parts[2]
            continue
        match = SAMPLE.match(line)
        if not match:
            fail("not a sample line: %r" % line)
        name = match.group(1)
        family = re.sub(r"_(bucket|sum|count)$", "", name) if typed.get(current) == "histogram" else name
        if family != current or family in seen_done:
            fail("sample %r outside its family's block (%s)" % (line, current))
    if typed != FAMILIES:
        fail("families %s, expected %s" % (typed, FAMILIES))


def samples_of(text):
    """{name: [(labels dict, value)]} through Prometheus' own parser."""
    out = collections.defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[sample.name].append((dict(sample.labels), sample.value))
    return out


def value(samples, name, **labels):
    found = [v for l, v in samples[name] if l == {k: str(x) for k, x in labels.items()}]
    if len(found) != 1:
        fail("%s%s: %d samples (%s)" % (name, labels, len(found), samples[name][:5]))
    return found[0]


def check_histogram(samples, name, **labels):
    want = {k: str(v) for k, v in labels.items()}
    buckets = [(l["le"], v) for l, v in samples[name + "_bucket"] if {k: x for k, x in l.items() if k != "le"} == want]
    bounds = [float(le) for le, _ in buckets]
    values = [v for _, v in buckets]
    if not buckets or buckets[-1][0] != "+Inf" or bounds != sorted(bounds) or values != sorted(values):
        fail("%s%s: buckets not cumulative and ascending: %s" % (name, labels, buckets))
    count = value(samples, name + "_count", **labels)
    if values[-1] != count or count <= 0:
        fail("%s%s: +Inf bucket %s, _count %s" % (name, labels, values[-1], count))
    if value(samples, name + "_sum", **labels) <= 0:
        fail("%s%s: _sum is not positive" % (name, labels))
    return count


def produce():
    producer = ck.Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
                            "linger.ms": 5})
    delivered = collections.Counter()

    def on_delivery(err, msg):
        if err:
            fail("delivery: %s" % err)
        delivered[msg.partition()] += 1

    for i in range(SENT):
        producer.produce(TOPIC, key=b"key-%d" % i, value=b"v" * 100, on_delivery=on_delivery)
    if producer.flush(30) != 0:
        fail("messages left unflushed")
    return delivered


def consume_and_commit(delivered):
    """Reads each partition up to delivered - LEFT and commits that position; returns records consumed."""
    consumer = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": "metered-readers",
                            "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    consumer.assign([ck.TopicPartition(TOPIC, p, 0) for p in delivered])
    wanted = {p: delivered[p] - LEFT[p] for p in delivered}
    position = collections.Counter()
    deadline = time.time() + 30
    while time.time() < deadline and any(position[p] < wanted[p] for p in wanted):
        message = consumer.poll(0.5)
        if message is None or message.error():
            continue
        p = message.partition()
        if position[p] < wanted[p] and message.offset() == position[p]:
            position[p] += 1
    if any(position[p] != wanted[p] for p in wanted):
        fail("consumed %s, wanted %s" % (dict(position), wanted))
    consumer.commit(offsets=[ck.TopicPartition(TOPIC, p, wanted[p]) for p in wanted], asynchronous=False)
    return consumer, sum(wanted.values())


def check_counts(samples, delivered, consumed):
    for p, count in delivered.items():
        if value(samples, "strata_records_produced_total", topic=TOPIC, partition=p) != count:
            fail("partition %d: records produced %s, delivered %d" % (
                p, value(samples, "strata_records_produced_total", topic=TOPIC, partition=p), count))
        if value(samples, "strata_bytes_produced_total", topic=TOPIC, partition=p) < count * 100:
            fail("partition %d: fewer bytes produced than the values sent" % p)
        committed = count - LEFT[p]
        if value(samples, "strata_consumer_group_committed_offset", group="metered-readers", topic=TOPIC,
                 partition=p) != committed:
            fail("partition %d: committed offset is not %d" % (p, committed))
        if value(samples, "strata_consumer_group_lag", group="metered-readers", topic=TOPIC, partition=p) != LEFT[p]:
            fail("partition %d: lag is not %d" % (p, LEFT[p]))
        fetched = value(samples, "strata_records_fetched_total", topic=TOPIC, partition=p)
        if not count - LEFT[p] <= fetched:
            fail("partition %d: %s records fetched, at least %d were consumed" % (p, fetched, count - LEFT[p]))
        if value(samples, "strata_bytes_fetched_total", topic=TOPIC, partition=p) < fetched * 100:
            fail("partition %d: fewer bytes fetched than the values" % p)
    if value(samples, "strata_consumer_group_lag", group="metered-readers", topic=TOPIC) != sum(LEFT.values()):
        fail("the summed lag is not %d" % sum(LEFT.values()))
    if sum(delivered.values()) != SENT or consumed != SENT - sum(LEFT.values()):
        fail("the clients moved %s and %d records" % (dict(delivered), consumed))


def check_http_refusals():
    for method, path, status in [("GET", "/", 404), ("GET", "/metricsx", 404), ("POST", "/metrics", 405),
                                 ("DELETE", "/metrics", 405)]:
        request = urllib.request.Request("http://%s%s" % (metrics_address, path), method=method)
        try:
            urllib.request.urlopen(request, timeout=10)
            fail("%s %s answered 200" % (method, path))
        except urllib.error.HTTPError as error:
            if error.code != status:
                fail("%s %s answered %d, not %d" % (method, path, error.code, status))


def time_wide_scrape():
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic("wide", num_partitions=1000, replication_factor=1)])["wide"].result(30)
    consumer = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": "wide-readers"})
    consumer.commit(offsets=[ck.TopicPartition("wide", p, 0) for p in range(1000)], asynchronous=False)
    consumer.close()
    times = []
    for _ in range(21):
        start = time.perf_counter()
        text = scrape()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    samples = samples_of(text)
    if len([1 for l, _ in samples["strata_records_produced_total"] if l["topic"] == "wide"]) != 1000:
        fail("the wide topic's partitions are not all shown")
    print("scrape of %d partitions (%d bytes): median %.2f ms, max %.2f ms" % (
        len(samples["strata_records_produced_total"]), len(text), times[10], times[-1]))
    if times[10] > 50:
        fail("a scrape of 1,000 partitions took %.1f ms (median)" % times[10])


delivered = produce()
consumer, consumed = consume_and_commit(delivered)
text = scrape()
strict_check(text)
samples = samples_of(text)
check_counts(samples, delivered, consumed)
for api in ["Produce", "Fetch", "Metadata", "OffsetCommit", "ApiVersions"]:
    check_histogram(samples, "strata_kafka_request_seconds", api=api)
check_histogram(samples, "strata_fdatasync_seconds")
if value(samples, "strata_connections") < 1:
    fail("no connection counted while a consumer is open")
consumer.close()
deadline = time.time() + 10
while value(samples_of(scrape()), "strata_connections") != 0:
    if time.time() > deadline:
        fail("connections still counted 10 s after every client closed")
    time.sleep(0.1)
check_http_refusals()
time_wide_scrape()
strict_check(scrape())
print("metrics ok")
