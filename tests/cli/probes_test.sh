#!/usr/bin/env bash
# The USDT probes (base/probes.h): compiled into `strata`, and usable with perf to get per-stage latencies.
#   usage: probes_test.sh PATH_TO_STRATA PATH_TO_STAGE_LATENCY_PY
# The readelf part always runs; the perf part needs root and Debian's linux-perf, and is skipped (exit 77)
# with the reason otherwise.
set -uo pipefail
strata=$1
stage_latency=$2
die() {
  echo "FAILED (probes): $*" >&2
  exit 1
}
skip() {
  echo "SKIPPED (perf part): $*" >&2
  exit 77
}
probes=$(readelf -n "$strata" | awk '/Provider: strata/ { getline; print $2 }' | sort -u | tr '\n' ' ')
for probe in append batch_framed write_submit write_done sync_submit sync_done ack reader_batch request_received \
  request_answered; do
  [[ " $probes" == *" $probe "* ]] || die "probe $probe is not in $strata (found: $probes)"
done

[[ $(id -u) == 0 ]] || skip "perf probes on uprobes need root"
command -v perf > /dev/null || skip "perf is missing (Debian package linux-perf)"
work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-probes.XXXXXX")
cleanup() {
  perf probe -q -d 'sdt_strata:*' > /dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
perf probe -q -d 'sdt_strata:*' > /dev/null 2>&1  # left by an earlier run
# Another binary with the same build id (an identical build elsewhere) makes perf look for the probes there.
perf buildid-cache --remove "$strata" > /dev/null 2>&1
perf buildid-cache --add "$strata" > /dev/null 2>&1
perf probe -x "$strata" -q --add 'sdt_strata:*' > "$work/probe.err" 2>&1 || skip "perf probe failed: $(cat "$work/probe.err")"
perf record -q -e 'sdt_strata:*' -o "$work/perf.data" -- "$strata" bench durable --events 2000 --producers 4 \
  --dir "$work/bench" > /dev/null 2> "$work/record.err" || skip "perf record failed: $(cat "$work/record.err")"
perf script -i "$work/perf.data" 2> /dev/null | /usr/bin/python3 "$stage_latency" > "$work/stages" ||
  die "stage_latency.py found no probes in the trace"
cat "$work/stages"
for stage in write fdatasync "framed to ack"; do
  grep -q "^$stage " "$work/stages" || die "no '$stage' latencies in the trace"
done
