#!/usr/bin/env bash
# The whole test suite, from a fresh checkout: installs what is missing, builds from scratch, then runs
#   1. every test in the release build (unit, stress with 10 million records, crash and recovery tests),
#   2. the stress tests again under ThreadSanitizer (fewer records),
#   3. every test under AddressSanitizer + UndefinedBehaviorSanitizer (fewer records).
# Warnings are errors. Set STRATA_JOBS to change the build parallelism (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${STRATA_JOBS:-2}"

tools/install_deps.sh

run_preset() {
  local preset=$1 label=$2 records=$3
  echo "==== $preset build ====" >&2
  cmake --preset "$preset" -DSTRATA_WERROR=ON >/dev/null
  cmake --build --preset "$preset" -j"$jobs"
  echo "==== $preset tests ($label) ====" >&2
  STRATA_STRESS_RECORDS="$records" ctest --test-dir "build/$preset" --output-on-failure -L "$label" -j1 --timeout 900
}

run_preset release '.*' 10000000
run_preset tsan 'stress' 300000
run_preset asan '.*' 300000
echo "all test suites passed" >&2
