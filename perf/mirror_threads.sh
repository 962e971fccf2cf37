#!/usr/bin/env bash
# Where `strata bench mirror` spends CPU, thread by thread (issue 20): the bench runs under `perf record`
# (cpu-clock, 1000 Hz) and each busy thread's samples are counted inside the mirror's phase and inside the
# kafka-produce reference's phase, each phase being the lifetime of its librdkafka broker thread. On two cores
# the phases are CPU-bound, so compare CPU per phase, not only the rates (which swing 1.4-2.2 M here).
# Usage: perf/mirror_threads.sh [runs] (default 3); BIN selects another build (a baseline's), EVENTS the count.
# Needs perf (linux-perf) and python3; run from the repository root after `cmake --preset release`.
set -euo pipefail
bin=${BIN:-build/release}/tools/strata
runs=${1:-3}
events=${EVENTS:-1000000}
work=$(mktemp -d /var/tmp/strata-mirror-threads.XXXXXX)
trap 'rm -rf "$work"' EXIT

for ((run = 1; run <= runs; ++run)); do
  perf record -q -F 1000 -o "$work/perf.data" "$bin" bench mirror --events "$events" --dir "$work/bench" --json \
    >"$work/result.json" 2>/dev/null
  rm -rf "$work/bench"
  perf script -i "$work/perf.data" -F comm,tid,time 2>/dev/null | python3 -c '
import collections, json, sys
result = json.load(open(sys.argv[1]))
rows = []
for line in sys.stdin:
    fields = line.split()
    if len(fields) >= 3:
        rows.append((fields[0], int(fields[1]), float(fields[2].rstrip(":"))))
first, last, count = {}, {}, collections.Counter()
for comm, tid, at in rows:
    first.setdefault(tid, at)
    last[tid] = at
    count[(comm, tid)] += 1
# The mirror producer broker thread starts first, the reference one second (the mock cluster comes after).
brokers = sorted((tid for (comm, tid), n in count.items() if comm.startswith("rdk:broker") and n > 50),
                 key=lambda tid: first[tid])
print("mirror %.2f M events/s, kafka-produce %.2f M, ratio %.3f" % (
    result["events_per_s"] / 1e6, result["reference"]["events_per_s"] / 1e6, result["ratio"]))
for name, broker in zip(("mirror", "kafka-produce"), brokers[:2]):
    begin, end = first[broker], last[broker]
    busy = collections.Counter()
    for comm, tid, at in rows:
        if begin <= at <= end:
            busy[(comm, tid)] += 1
    top = ", ".join("%s %d" % (comm, n) for (comm, tid), n in busy.most_common(5))
    print("  %-13s phase %4.0f ms; CPU ms by thread: %s" % (name, (end - begin) * 1000, top))
' "$work/result.json"
done
