#!/usr/bin/env bash
# kcat (librdkafka 2.0.2 underneath) against `strata serve`: -L, -P from a file, -C -o beginning -e,
# -C -G group; what goes in comes out identical, and `strata cat` prints what kcat produced.
#   usage: kcat_test.sh PATH_TO_STRATA
set -uo pipefail
strata=$1
work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-kcat.XXXXXX")
source "$(dirname "$0")/serve_helpers.sh"
trap cleanup_server EXIT

die() {
  echo "FAILED: $*" >&2
  [[ -f "$work/serve.err" ]] && sed 's/^/  serve: /' "$work/serve.err" >&2
  exit 1
}
k() { timeout 30 kcat -b "127.0.0.1:$port" -X socket.timeout.ms=5000 "$@"; }

start_server --partitions 1
for i in $(seq 1 2000); do echo "key$i:value number $i with some text"; done > "$work/input"

# -L: this node, as the controller.
k -L > "$work/metadata" 2>&1 || die "kcat -L failed: $(cat "$work/metadata")"
grep -q "broker 0 at 127.0.0.1:$port (controller)" "$work/metadata" || die "kcat -L: $(cat "$work/metadata")"

# -P from a file, keys split at ':'; idempotent and acks=all.
k -P -t lines -K: -X enable.idempotence=true -X acks=all -l "$work/input" || die "kcat -P failed"

# -C from the beginning to the end.
k -C -t lines -K: -o beginning -e -q > "$work/consumed" || die "kcat -C failed"
cmp -s "$work/input" "$work/consumed" || die "kcat -C output differs from the input: $(diff "$work/input" "$work/consumed" | head -5)"

# strata cat reads the same events (values) from the directory while the server runs.
cut -d: -f2- "$work/input" > "$work/values"
"$strata" cat --dir "$work/log" --topic lines > "$work/cat" || die "strata cat failed"
cmp -s "$work/values" "$work/cat" || die "strata cat differs: $(diff "$work/values" "$work/cat" | head -5)"

# -G: a balanced consumer gets everything, commits it, and a second run finds nothing new.
k -G readers -X auto.offset.reset=earliest -K: -e -q lines > "$work/group1" || die "kcat -G failed"
cmp -s "$work/input" "$work/group1" || die "kcat -G output differs: $(diff "$work/input" "$work/group1" | head -5)"
k -G readers -X auto.offset.reset=earliest -K: -e -q lines > "$work/group2" || die "kcat -G (second run) failed"
[[ ! -s "$work/group2" ]] || die "the second kcat -G run read again: $(head -3 "$work/group2")"

# More input after a restart: the group resumes where it committed.
stop_server
start_server --partitions 1
echo "after:restart" | k -P -t lines -K: || die "kcat -P after restart failed"
k -G readers -X auto.offset.reset=earliest -K: -e -q lines > "$work/group3" || die "kcat -G after restart failed"
[[ "$(cat "$work/group3")" == "after:restart" ]] || die "kcat -G after restart read [$(head -3 "$work/group3")]"
stop_server
echo "kcat: ok"
