#!/usr/bin/env bash
# How the rings and the writer scale past 2 cores: run on a bigger machine (the 16-core device machine here),
# from the repository root, with binaries built by `cmake --preset release` (BIN selects another build).
# Writes one JSON line per strata workload and google-benchmark JSON for the rings into OUT (default /tmp).
set -u
bin=${BIN:-build/release}
out=${OUT:-/tmp}
dir=${1:-/var/tmp/strata-scaling}
mkdir -p "$dir"
nproc
"$bin/bench/ring_bench" --benchmark_filter='ring/(strata_mpsc|moodycamel)/.*/8/|ring/(strata_spsc|boost_spsc)/1p1c/' \
  --benchmark_min_time=0.2 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_format=json >"$out/ring_bench.json"
"$bin/bench/ring_bench" --benchmark_filter='ring/(strata_mpsc|moodycamel)/.*/8/|ring/(strata_spsc|boost_spsc)/1p1c/' \
  --benchmark_min_time=0.2 2>&1 | tail -25
for producers in 1 2 4 8; do
  "$bin/tools/strata" bench ingest --events 10000000 --producers "$producers" --json --dir "$dir"
done | tee "$out/ingest.jsonl"
{
  "$bin/tools/strata" bench ingest --events 1000000 --size 4096 --disk-limit --json --dir "$dir"
  "$bin/tools/strata" bench durable --events 100000 --disk-limit --json --dir "$dir"
  "$bin/tools/strata" bench replay --events 10000000 --json --dir "$dir"
  for readers in 4 8; do "$bin/tools/strata" bench fanout --events 10000000 --readers "$readers" --json --dir "$dir"; done
} | tee "$out/workloads.jsonl"
