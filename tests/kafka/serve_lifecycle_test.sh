#!/usr/bin/env bash
# strata serve's start and stop: a port that cannot be bound fails before the log directory (and its LOCK) is
# created; SIGTERM ends the server within a second whatever clients are connected (an idle producer, one
# producing all along, a consumer long-polling), with exit status 0.
#   usage: serve_lifecycle_test.sh PATH_TO_STRATA
set -uo pipefail
strata=$1
work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-lifecycle.XXXXXX")
source "$(dirname "$0")/serve_helpers.sh"
client_pids=()
cleanup() {
  for pid in "${client_pids[@]}"; do kill "$pid" 2> /dev/null; done
  exec 3>&- 2> /dev/null
  cleanup_server
}
trap cleanup EXIT

die() {
  echo "FAILED: $*" >&2
  [[ -f "$work/serve.err" ]] && sed 's/^/  serve: /' "$work/serve.err" >&2
  exit 1
}

# stop_within_a_second WHAT: SIGTERM, then the server must be gone with status 0 within 1000 ms.
stop_within_a_second() {
  local started elapsed status
  started=$(date +%s%N)
  kill -TERM "$server_pid"
  wait "$server_pid"
  status=$?
  elapsed=$((($(date +%s%N) - started) / 1000000))
  server_pid=""
  echo "SIGTERM with $1: exit $status after $elapsed ms"
  [[ $status -eq 0 ]] || die "exit status $status after SIGTERM with $1"
  [[ $elapsed -lt 1000 ]] || die "SIGTERM with $1 took $elapsed ms"
}

# A busy port: the second server fails, and leaves no directory behind.
start_server
"$strata" serve --dir "$work/second" --listen "127.0.0.1:$port" 2> "$work/second.err" &&
  die "a second server bound the same port"
grep -q "listening on 127.0.0.1:$port" "$work/second.err" || die "bind error message: $(cat "$work/second.err")"
[[ ! -e "$work/second" ]] || die "the failed serve created its directory: $(ls -A "$work/second")"
stop_within_a_second "no client"

# An idle producer: kcat -P holding its connections open on a FIFO.
mkfifo "$work/in"
start_server
kcat -b "127.0.0.1:$port" -P -t idle < "$work/in" 2> /dev/null &
client_pids+=($!)
exec 3> "$work/in"
echo first >&3
sleep 2
stop_within_a_second "an idle producer"
exec 3>&-

# A producer producing all along (a line every millisecond), idempotent.
start_server
(while true; do echo "line $RANDOM"; sleep 0.001; done) |
  kcat -b "127.0.0.1:$port" -P -t busy -X enable.idempotence=true 2> /dev/null &
client_pids+=($!)
sleep 2
stop_within_a_second "a busy producer"

# A consumer in a long-polling Fetch (fetch.wait.max.ms 10 s).
start_server
echo x | timeout 10 kcat -b "127.0.0.1:$port" -P -t polled || die "kcat -P failed"
kcat -b "127.0.0.1:$port" -C -t polled -X fetch.wait.max.ms=10000 -q > /dev/null 2>&1 &
client_pids+=($!)
sleep 2
stop_within_a_second "a consumer in a long poll"
echo "serve lifecycle: ok"
