#!/usr/bin/env bash
# strata mirror against a second `strata serve`: a source log that keeps growing (strata append in another
# process), copied to the server by a mirror killed with SIGKILL at random points (the topic created by the
# mirror with the source's partition count); then, while a forward mirror follows, copied back from the
# server into a third log by a reverse mirror killed the same way. Once caught up, every copy holds exactly
# its source's events, in order, in every partition, at the same offsets.
#   usage: mirror_serve_test.sh PATH_TO_STRATA
set -uo pipefail
strata=$1
work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-mirror-serve.XXXXXX")
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../kafka/serve_helpers.sh"
appender=""
forward=""
cleanup() {
  [[ -n "$appender" ]] && kill "$appender" 2> /dev/null
  [[ -n "$forward" ]] && kill -KILL "$forward" 2> /dev/null
  cleanup_server
}
trap cleanup EXIT
die() {
  echo "FAILED: $*" >&2
  exit 1
}

# append_chunks FIRST COUNT: COUNT chunks of 200 keyed events into src, a pause between chunks.
append_chunks() {
  for chunk in $(seq "$1" $(($1 + $2 - 1))); do
    for i in $(seq 1 200); do echo "key$((i % 41))|chunk $chunk event $i"; done |
      "$strata" append --dir "$work/src" --topic orders --partitions 3 --key-sep '|' || exit 1
    sleep 0.05
  done
}

# kill_rounds N ARGS...: starts `strata mirror ARGS... --follow` N times, each killed with SIGKILL after a
# random 0.3 to 0.9 s.
kill_rounds() {
  local rounds=$1
  shift
  for round in $(seq 1 "$rounds"); do
    "$strata" mirror "$@" --follow 2> "$work/mirror.err" &
    local pid=$!
    sleep "0.$((RANDOM % 7 + 3))"
    kill -KILL "$pid"
    wait "$pid" 2> /dev/null
    [[ $? -eq 137 ]] || die "round $round: the mirror exited before SIGKILL: $(tail -3 "$work/mirror.err")"
  done
}

# same_events SOURCE_DIR COPY_DIR: per partition, the copy holds the source's events at the same offsets,
# each with its source offset in strata.source-offset (and nothing else added).
same_events() {
  for p in 0 1 2; do
    "$strata" cat --dir "$1" --topic orders --partition $p --format json > "$work/a" || die "cat $1 failed"
    "$strata" cat --dir "$2" --topic orders --partition $p --format json > "$work/b" || die "cat $2 failed"
    python3 - "$work/a" "$work/b" "$3" << 'EOF' || die "partition $p of $2 differs from $1"
import json, sys
a = [json.loads(line) for line in open(sys.argv[1])]
b = [json.loads(line) for line in open(sys.argv[2])]
keep_time = sys.argv[3] == "timestamps"
def strip(headers):
    return [h for h in headers if h["key"] != "strata.source-offset"]
if len(a) != len(b):
    sys.exit(f"{len(b)} events where the source has {len(a)}")
for x, y in zip(a, b):
    offsets = [h["value"] for h in y["headers"] if h["key"] == "strata.source-offset"]
    if offsets != [str(x["offset"])] or y["offset"] != x["offset"]:
        sys.exit(f"offset {y['offset']} carries {offsets}, expected {x['offset']}")
    if (x["key"], x["value"], strip(x["headers"])) != (y["key"], y["value"], strip(y["headers"])):
        sys.exit(f"offset {x['offset']}: {y} is not {x}")
    if keep_time and x["timestamp_us"] != y["timestamp_us"]:
        sys.exit(f"offset {x['offset']}: timestamp {y['timestamp_us']} is not {x['timestamp_us']}")
EOF
  done
}

start_server --no-auto-create
broker=127.0.0.1:$port

# Forward: src -> serve, the source growing, the mirror killed 5 times, then caught up.
append_chunks 1 2
append_chunks 3 30 &
appender=$!
kill_rounds 5 --dir "$work/src" --to "$broker"
wait "$appender" || die "strata append failed"
appender=""
"$strata" mirror --dir "$work/src" --to "$broker" --json > "$work/forward.json" 2> "$work/mirror.err" ||
  die "the catching-up mirror failed: $(cat "$work/mirror.err")"
grep -q '"offsets_equal":false' "$work/forward.json" && die "offsets differ: $(cat "$work/forward.json")"
grep -q '"events":6400,' "$work/forward.json" && die "the killed rounds copied nothing"
same_events "$work/src" "$work/log" timestamps

# Reverse: serve -> back while a forward mirror follows the growing source, the reverse mirror killed 4 times.
append_chunks 33 20 &
appender=$!
"$strata" mirror --dir "$work/src" --to "$broker" --follow 2> "$work/forward.err" &
forward=$!
kill_rounds 4 --from "$broker" --dir "$work/back"
wait "$appender" || die "strata append failed"
appender=""
kill -TERM "$forward"
wait "$forward" || die "the following mirror did not stop cleanly on SIGTERM: $(tail -3 "$work/forward.err")"
forward=""
"$strata" mirror --dir "$work/src" --to "$broker" 2> "$work/mirror.err" || die "forward: $(cat "$work/mirror.err")"
"$strata" mirror --from "$broker" --dir "$work/back" --json > "$work/reverse.json" 2> "$work/mirror.err" ||
  die "the catching-up reverse mirror failed: $(cat "$work/mirror.err")"
grep -q '"offsets_equal":false' "$work/reverse.json" && die "offsets differ: $(cat "$work/reverse.json")"
same_events "$work/src" "$work/log" timestamps
same_events "$work/log" "$work/back" timestamps

# --groups: a group's position moves along; a Kafka consumer of the group on the server re-reads nothing.
timeout 3 "$strata" tail --dir "$work/src" --topic orders --partition 1 --group billing > /dev/null
echo "late|after the move" | "$strata" append --dir "$work/src" --topic orders --partition 1 --key-sep '|' ||
  die "append failed"
"$strata" mirror --dir "$work/src" --to "$broker" --groups --json > "$work/groups.json" 2> "$work/mirror.err" ||
  die "mirror --groups failed: $(cat "$work/mirror.err")"
grep -q '"group_offsets_committed":1,' "$work/groups.json" || die "no group offset committed: $(cat "$work/groups.json")"
timeout 30 kcat -b "$broker" -G billing -e -q -f '%p %s\n' orders > "$work/group" 2> /dev/null
[[ "$(cat "$work/group")" == "1 after the move" ]] || die "the moved group read: $(head -3 "$work/group")"

# Bad input: a topic neither the source nor the server has.
"$strata" mirror --dir "$work/src" --to "$broker" --topic nosuch 2> "$work/err" && die "a missing topic was accepted"
grep -q "source topic nosuch not found" "$work/err" || die "unclear error: $(cat "$work/err")"
"$strata" mirror --from "$broker" --dir "$work/back" --topic nosuch 2> "$work/err" && die "a missing topic was accepted"
grep -q "topic nosuch not found on the cluster at $broker" "$work/err" || die "unclear error: $(cat "$work/err")"
# Bad usage: both directions at once, a --to option with --from.
"$strata" mirror --dir "$work/src" --to "$broker" --from "$broker" 2> "$work/err" && die "--to with --from was accepted"
grep -q "exactly one of --to BOOTSTRAP and --from BOOTSTRAP" "$work/err" || die "unclear error: $(cat "$work/err")"
"$strata" mirror --dir "$work/back" --from "$broker" --groups 2> "$work/err" && die "--from with --groups was accepted"
grep -q "apply to --to only" "$work/err" || die "unclear error: $(cat "$work/err")"
# --transactional against a server that serves no transactions: refused, naming the server.
"$strata" mirror --dir "$work/src" --to "$broker" --transactional 2> "$work/err" &&
  die "--transactional was accepted by a server without transactions"
grep -q "the cluster at $broker refused a transactional producer" "$work/err" || die "unclear error: $(cat "$work/err")"
stop_server
echo "mirror against strata serve: OK"
