#!/usr/bin/env bash
# How the rings and the writer scale past 2 cores: run on a bigger machine (the 16-core device machine here),
# from the repository root, with binaries built by `cmake --preset release` (BIN selects another build).
# STRATA_BENCH_FLAGS adds flags to every strata bench (--buffered-io where O_DIRECT is refused).
# Writes one JSON line per strata workload and google-benchmark JSON for the rings into OUT (default /tmp).
set -u
bin=${BIN:-build/release}
out=${OUT:-/tmp}
dir=${1:-/var/tmp/strata-scaling}
mkdir -p "$dir"
nproc
"$bin/bench/ring_bench" --benchmark_filter='ring/(strata_mpsc|moodycamel)/.*/8/|ring/(strata_spsc|boost_spsc)/1p1c/' \
  --benchmark_min_time=0.2 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_out="$out/ring_bench.json" --benchmark_out_format=json --benchmark_color=false
for producers in 1 2 4 8; do
  "$bin/tools/strata" bench ${STRATA_BENCH_FLAGS:-} ingest --events 10000000 --producers "$producers" --json --dir "$dir"
done | tee "$out/ingest.jsonl"
# Writer threads (LogOptions::writer_threads): 100-byte events keyed over 16 partitions.
for writers in 1 4 8; do
  for producers in 1 2 4 8; do
    "$bin/tools/strata" bench ${STRATA_BENCH_FLAGS:-} ingest --events 10000000 --partitions 16 --producers "$producers" \
      --writers "$writers" --json --dir "$dir"
  done
done | tee "$out/ingest_writers.jsonl"
{
  "$bin/tools/strata" bench ${STRATA_BENCH_FLAGS:-} ingest --events 1000000 --size 4096 --disk-limit --json --dir "$dir"
  "$bin/tools/strata" bench ${STRATA_BENCH_FLAGS:-} durable --events 100000 --disk-limit --json --dir "$dir"
  "$bin/tools/strata" bench ${STRATA_BENCH_FLAGS:-} replay --events 10000000 --json --dir "$dir"
  for readers in 4 8; do "$bin/tools/strata" bench ${STRATA_BENCH_FLAGS:-} fanout --events 10000000 --readers "$readers" --json --dir "$dir"; done
} | tee "$out/workloads.jsonl"
