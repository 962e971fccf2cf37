#!/usr/bin/env bash
# strata's main job, from a fresh checkout: installs what is missing, builds the release preset, then runs the
# end-to-end benchmark on a temporary directory and prints a readable summary. The JSON, the latency
# distributions and the rate over time go to build/bench-report/ (report.svg, drawn with gnuplot).
# Extra arguments go to `strata bench` (for example: tools/bench.sh ingest --events 1000000).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${STRATA_JOBS:-2}"

tools/install_deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs" --target strata_cli ring_bench >/dev/null

dir=$(mktemp -d "${TMPDIR:-/var/tmp}/strata-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
if [ $# -eq 0 ]; then set -- all --disk-limit; fi
report=()
[[ " $* " == *" --report "* ]] || report=(--report build/bench-report)
build/release/tools/strata bench "$@" --dir "$dir" "${report[@]}"
