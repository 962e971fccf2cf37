#!/usr/bin/env bash
# Every codec from every client: kcat -z CODEC and confluent-kafka's compression.type store batches in the
# client's codec (strata dump shows it on every batch, strata stat reports it), consumers read back what went
# in, and librdkafka never logs that the broker "does not support compression". Then a transactional
# confluent-kafka producer's init_transactions fails at once with a fatal error instead of hanging.
#   usage: codecs_test.sh PATH_TO_STRATA
set -uo pipefail
strata=$1
python=/usr/bin/python3
work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-codecs.XXXXXX")
source "$(dirname "$0")/serve_helpers.sh"
trap cleanup_server EXIT

die() {
  echo "FAILED: $*" >&2
  [[ -f "$work/serve.err" ]] && sed 's/^/  serve: /' "$work/serve.err" >&2
  exit 1
}
k() { timeout 30 kcat -b "127.0.0.1:$port" -X socket.timeout.ms=5000 "$@"; }

# check_codec TOPIC CODEC: every stored batch of TOPIC is in CODEC, and stat says so.
check_codec() {
  "$strata" dump --dir "$work/log" --topic "$1" > "$work/dump" || die "strata dump $1 failed"
  local batches
  batches=$(grep -c "compresscodec:" "$work/dump")
  [[ $batches -gt 0 ]] || die "$1: no batches in strata dump"
  [[ $(grep -c "compresscodec: $2 " "$work/dump") -eq $batches ]] ||
    die "$1: not every batch is $2: $(grep -o 'count: [0-9]*\|compresscodec: [a-z]*' "$work/dump" | paste - - | sort | uniq -c | tr '\n' ' ')"
  "$strata" stat --dir "$work/log" --topic "$1" | grep -q "compression $2," || die "$1: strata stat does not say $2"
}

start_server --partitions 1
seq 1 500 | sed 's/$/ some text that compresses well, some text that compresses well/' > "$work/input"
for codec in gzip snappy lz4 zstd; do
  topic=kcat-$codec
  k -P -t "$topic" -z "$codec" -X linger.ms=50 -l "$work/input" 2> "$work/kcat.err" || die "kcat -z $codec failed"
  grep -q "does not support compression" "$work/kcat.err" && die "kcat -z $codec: $(cat "$work/kcat.err")"
  check_codec "$topic" "$codec"
  k -C -t "$topic" -o beginning -e -q > "$work/consumed" || die "kcat -C $topic failed"
  cmp -s "$work/input" "$work/consumed" || die "$topic: what kcat consumed differs from what it produced"
done

if "$python" -c "import confluent_kafka" 2> /dev/null; then
  timeout 120 "$python" - "127.0.0.1:$port" << 'EOF' || die "confluent-kafka codecs or transactions failed"
import sys, time
from confluent_kafka import Consumer, KafkaException, Producer

bootstrap = sys.argv[1]
# librdkafka sends a batch uncompressed when compressing does not make it smaller: values that always shrink.
def value(i, codec):
    return "event %d of the %s run: %s" % (i, codec, "repeated text " * 20)

for codec in ("gzip", "snappy", "lz4", "zstd"):
    topic = "python-" + codec
    producer = Producer({"bootstrap.servers": bootstrap, "compression.type": codec, "linger.ms": 50})
    for i in range(300):
        producer.produce(topic, value=value(i, codec).encode())
    assert producer.flush(30) == 0, codec + ": not everything delivered"
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "check-" + codec,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    got = []
    deadline = time.time() + 30
    while len(got) < 300 and time.time() < deadline:
        message = consumer.poll(1.0)
        if message is not None and message.error() is None:
            got.append(message.value().decode())
    consumer.close()
    assert got == [value(i, codec) for i in range(300)], codec

transactional = Producer({"bootstrap.servers": bootstrap, "transactional.id": "strata-tx"})
started = time.time()
try:
    transactional.init_transactions(30)
    sys.exit("init_transactions succeeded against a server without transactions")
except KafkaException as e:
    error = e.args[0]
    elapsed = time.time() - started
    print("init_transactions: %s after %.2f s (fatal=%s, retriable=%s)" % (error.str(), elapsed, error.fatal(), error.retriable()))
    assert not error.retriable(), "a retriable error keeps a client waiting"
    assert error.fatal(), "expected a fatal error"
    assert elapsed < 5, "init_transactions took %.1f s" % elapsed
    assert "transactions" in error.str(), error.str()
EOF
  for codec in gzip snappy lz4 zstd; do check_codec "python-$codec" "$codec"; done
else
  echo "python3-confluent-kafka missing: its part skipped"
fi
stop_server
echo "codecs: ok"
