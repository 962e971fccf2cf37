"""confluent-kafka's AdminClient against `strata serve` (started with --retention-ms 86400000 --segment-bytes
2MiB): create_topics with configs, describe_configs of topics and the broker (defaults and their sources),
alter_configs, validation errors naming the config, and retention by size and by time observed in the server's
log directory. usage: python_configs_test.py HOST:PORT LOG_DIR"""
import os
import sys
import time

import confluent_kafka as ck
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewPartitions, NewTopic

bootstrap, log_dir = sys.argv[1], sys.argv[2]
admin = AdminClient({"bootstrap.servers": bootstrap})


def fail(message):
    print("FAILED:", message, file=sys.stderr)
    sys.exit(1)


def error_of(future):
    try:
        future.result(timeout=20)
    except ck.KafkaException as e:
        return e.args[0]
    return None


def describe(name, kind="topic"):
    resource = ConfigResource(kind, name)
    return admin.describe_configs([resource])[resource].result(timeout=20)


def segments(topic):
    path = os.path.join(log_dir, topic + "-0")
    files = [f for f in os.listdir(path) if f.endswith(".log")]
    return len(files), sum(os.path.getsize(os.path.join(path, f)) for f in files)


def produce(topic, megabytes):
    producer = ck.Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    value = b"x" * 1000
    for _ in range(megabytes * 1000):
        while True:
            try:
                producer.produce(topic, value=value)
                break
            except BufferError:
                producer.poll(0.1)
    if producer.flush(60) != 0:
        fail("produce to %s: messages left unflushed" % topic)


def wait_for(what, check, seconds=15):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.2)
    fail(what)


# create_topics stores the configs; describe_configs shows them as topic configs and the rest as defaults.
created = admin.create_topics([NewTopic("configured", 2, 1, config={
    "retention.ms": "3600000", "max.message.bytes": "500000", "message.timestamp.type": "LogAppendTime"})])
if error_of(created["configured"]) is not None:
    fail("create_topics with configs: %s" % error_of(created["configured"]))
configs = describe("configured")
for key, value in [("retention.ms", "3600000"), ("max.message.bytes", "500000"),
                   ("message.timestamp.type", "LogAppendTime")]:
    entry = configs.get(key)
    if entry is None or entry.value != value or entry.is_default or entry.source != ConfigSource.DYNAMIC_TOPIC_CONFIG.value:
        fail("describe %s: %s" % (key, entry and (entry.value, entry.is_default, entry.source)))
segment = configs["segment.bytes"]
if segment.value != str(2 << 20) or segment.source != ConfigSource.STATIC_BROKER_CONFIG.value:
    fail("segment.bytes should be serve's --segment-bytes default: %s %s" % (segment.value, segment.source))
cleanup = configs["cleanup.policy"]
if cleanup.value != "delete" or cleanup.source != ConfigSource.DEFAULT_CONFIG.value:
    fail("cleanup.policy default: %s %s" % (cleanup.value, cleanup.source))
broker = describe("0", "broker")
if broker["log.retention.ms"].value != "86400000" or broker["log.segment.bytes"].value != str(2 << 20):
    fail("broker configs: %s" % {k: v.value for k, v in broker.items()})

# Validation: an unknown key and bad values are INVALID_CONFIG naming the config.
for name, config, text in [("bad-key", {"retention.hours": "1"}, "retention.hours"),
                           ("bad-value", {"retention.ms": "soon"}, "retention.ms"),
                           ("bad-policy", {"cleanup.policy": "keep"}, "cleanup.policy")]:
    error = error_of(admin.create_topics([NewTopic(name, 1, 1, config=config)])[name])
    if error is None or error.code() != ck.KafkaError.INVALID_CONFIG or text not in error.str():
        fail("create_topics %s: expected INVALID_CONFIG naming %s, got %s" % (config, text, error))
    if name in admin.list_topics(timeout=10).topics:
        fail("a refused topic %s was created" % name)

# A compacted topic, as Kafka Connect creates its internal topics, and its policy described back.
compact_config = {"cleanup.policy": "compact", "min.compaction.lag.ms": "1000", "delete.retention.ms": "5000"}
error = error_of(admin.create_topics([NewTopic("compacted", 1, 1, config=compact_config)])["compacted"])
if error is not None:
    fail("create_topics compacted: %s" % error)
described = describe("compacted")
for key, value in compact_config.items():
    if described[key].value != value:
        fail("compacted topic: %s=%s, expected %s" % (key, described[key].value, value))

# alter_configs replaces the set: retention.ms stays, max.message.bytes goes back to its default.
resource = ConfigResource("topic", "configured", set_config={"retention.ms": "7200000", "segment.ms": "60000"})
if error_of(admin.alter_configs([resource])[resource]) is not None:
    fail("alter_configs failed")
configs = describe("configured")
if configs["retention.ms"].value != "7200000" or configs["segment.ms"].value != "60000":
    fail("alter_configs not applied: %s" % {k: v.value for k, v in configs.items()})
if not configs["max.message.bytes"].is_default:
    fail("alter_configs should reset the keys it leaves out")
bad = ConfigResource("topic", "configured", set_config={"segment.bytes": "12"})
error = error_of(admin.alter_configs([bad])[bad])
if error is None or error.code() != ck.KafkaError.INVALID_CONFIG or "segment.bytes" not in error.str():
    fail("alter_configs with a bad value: %s" % error)
missing = ConfigResource("topic", "no-such-topic", set_config={"retention.ms": "1"})
error = error_of(admin.alter_configs([missing])[missing])
if error is None or error.code() != ck.KafkaError.UNKNOWN_TOPIC_OR_PART:
    fail("alter_configs of a missing topic: %s" % error)

# max.message.bytes: a batch above it is refused with MESSAGE_TOO_LARGE.
admin.create_topics([NewTopic("small-batches", 1, 1, config={"max.message.bytes": "2000"})])["small-batches"].result()
producer = ck.Producer({"bootstrap.servers": bootstrap, "acks": "all"})
errors = []
producer.produce("small-batches", value=b"y" * 5000, on_delivery=lambda err, msg: errors.append(err))
producer.flush(30)
if not errors or errors[0] is None or errors[0].code() != ck.KafkaError.MSG_SIZE_TOO_LARGE:
    fail("a 5000-byte message to max.message.bytes=2000: %s" % errors)

# Retention by size: 8 MB through 1 MiB segments keeps about 2 MiB on disk.
admin.create_topics([NewTopic("by-size", 1, 1, config={
    "retention.bytes": str(2 << 20), "segment.bytes": str(1 << 20)})])["by-size"].result()
produce("by-size", 8)
wait_for("retention.bytes: %s segments, %s bytes on disk" % segments("by-size"),
         lambda: segments("by-size")[1] <= (4 << 20))
print("by-size: %d segments, %d bytes on disk after 8 MB produced" % segments("by-size"))

# Retention by time, altered on an idle topic: the server's timer deletes the old segments.
admin.create_topics([NewTopic("by-time", 1, 1, config={"segment.bytes": str(1 << 20)})])["by-time"].result()
produce("by-time", 4)
before = segments("by-time")
if before[0] < 4:
    fail("by-time: expected at least 4 segments, found %d" % before[0])
time.sleep(1)
resource = ConfigResource("topic", "by-time", set_config={"segment.bytes": str(1 << 20), "retention.ms": "500"})
admin.alter_configs([resource])[resource].result()
wait_for("retention.ms: still %s segments" % (segments("by-time"),), lambda: segments("by-time")[0] == 1)
print("by-time: %d segments before, %d after retention.ms=500 on the idle topic" % (before[0], segments("by-time")[0]))

# CreatePartitions grows the configured topic (Kafka.python_partitions tests it in depth).
error = error_of(admin.create_partitions([NewPartitions("configured", 4)])["configured"])
if error is not None:
    fail("create_partitions to 4: %s" % error)
if len(admin.list_topics("configured", timeout=10).topics["configured"].partitions) != 4:
    fail("configured: not 4 partitions after create_partitions")
print("ok")
