#!/usr/bin/env bash
# The long reliability runs, not part of CI: run once and report the counts (the issue's closing note has them).
#   1. kill -9 of a writing process, KILLS rounds (default 1000), each checking every acknowledged event;
#   2. simulated power loss, CUTS seeded cuts per durability (default 1000): every sync-acknowledged event kept,
#      a valid prefix under batch and none;
#   3. the Kafka server killed with -9 while an idempotent producer sends (tests/kafka/kcat_kill_test.sh), ROUNDS
#      times (default 20).
# usage: tests/crash/soak.sh [BUILD_DIR]   (default build/release; build it first with the release preset)
# Environment: KILLS, CUTS, ROUNDS.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/release}
kills=${KILLS:-1000}
cuts=${CUTS:-1000}
rounds=${ROUNDS:-20}
for binary in "$build/tests/crash_test" "$build/tests/power_loss_test" "$build/tools/strata"; do
  [[ -x $binary ]] || { echo "soak: $binary is missing: cmake --preset release && cmake --build --preset release" >&2; exit 2; }
done
failed=0
run() {
  local name=$1
  shift
  local start=$SECONDS
  echo "==== $name ====" >&2
  if "$@" > "/tmp/strata-soak-$name.log" 2>&1; then
    echo "$name: passed in $((SECONDS - start)) s" >&2
  else
    echo "$name: FAILED after $((SECONDS - start)) s, see /tmp/strata-soak-$name.log" >&2
    failed=1
  fi
  grep -E "rounds|cuts|dropped|kept|acknowledged|passed:" "/tmp/strata-soak-$name.log" | tail -n 6 >&2
}
# The crash test rereads the whole log after every kill, so one long run is quadratic: chunks of 100 rounds,
# each in a fresh directory.
kill_rounds() {
  local done=0
  while ((done < kills)); do
    local chunk=$((kills - done < 100 ? kills - done : 100))
    STRATA_CRASH_ROUNDS=$chunk "$build/tests/crash_test" || return 1
    done=$((done + chunk))
    echo "kill -9 rounds passed: $done of $kills"
  done
}
run kill9 kill_rounds
run power_loss env STRATA_POWER_LOSS_ROUNDS="$cuts" "$build/tests/power_loss_test"
kafka_kill() {
  for ((round = 1; round <= rounds; round++)); do
    bash tests/kafka/kcat_kill_test.sh "$build/tools/strata" || return 1
  done
}
run kafka_kill9 kafka_kill
exit $failed
