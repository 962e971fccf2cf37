#!/usr/bin/env bash
# strata verify --repair-from: a log mirrored to a second `strata serve`, then damaged on disk. A flipped byte
# in a batch's records is repaired byte for byte (the segment equals the original); a damaged batch header is
# repaired by a rebuilt batch holding the same events; a copy that lacks the events, or holds another log's,
# leaves the damage reported and the exit non-zero; a log another process has open is refused.
#   usage: repair_test.sh PATH_TO_STRATA
set -uo pipefail
strata=$1
work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-repair.XXXXXX")
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../kafka/serve_helpers.sh"
trap cleanup_server EXIT
die() {
  echo "FAILED: $*" >&2
  exit 1
}
src=$work/src

# flip FILE POSITION: inverts one byte in place.
flip() {
  python3 - "$1" "$2" << 'PY'
import sys
path, at = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(at); b = f.read(1); f.seek(at); f.write(bytes([b[0] ^ 0xff]))
PY
}

# Three sealed segments of 1 MiB and an active one, 1 KB events in batches the engine framed.
for chunk in 1 2 3 4; do
  for i in $(seq 1 1000); do printf 'key%d|chunk %d event %d %01000d\n' $((i % 17)) "$chunk" "$i" 0; done |
    "$strata" append --dir "$src" --topic orders --segment-bytes 1048576 --key-sep '|' || die "append failed"
done
segments=("$src"/orders-0/*.log)
[[ ${#segments[@]} -ge 3 ]] || die "expected sealed segments, got ${#segments[@]}"
"$strata" cat --dir "$src" --topic orders --format json > "$work/before.json" || die "cat failed"

start_server
"$strata" mirror --dir "$src" --to "127.0.0.1:$port" 2> "$work/mirror.err" || die "mirror: $(cat "$work/mirror.err")"

first=${segments[0]}
second=${segments[1]}
cp "$first" "$work/original.log"
flip "$first" 300000   # inside a batch's records: its header still says where it starts and ends
flip "$second" 8       # the batchLength of the segment's first batch: the header cannot be trusted
"$strata" verify --dir "$src" > "$work/verify.out" 2>&1 && die "verify passed a damaged log"

out=$("$strata" verify --dir "$src" --repair-from "127.0.0.1:$port" 2> "$work/repair.err") ||
  die "repair failed: $out $(cat "$work/repair.err")"
echo "$out"
[[ "$out" == *"$(basename "$first"): position"*"repaired byte for byte"* ]] || die "first segment: $out"
[[ "$out" == *"$(basename "$second"): position 0: "*"repaired: the same events rebuilt"* ]] || die "second segment: $out"
cmp "$first" "$work/original.log" || die "the repaired segment differs from the original"
"$strata" verify --dir "$src" > /dev/null 2>&1 || die "verify after the repair: $("$strata" verify --dir "$src" 2>&1)"
"$strata" cat --dir "$src" --topic orders --format json > "$work/after.json" || die "cat after the repair failed"
cmp "$work/before.json" "$work/after.json" || die "the repaired log reads back other events"

# A copy without the events: the damage is reported, the exit is non-zero, the segment untouched.
stop_server
rm -rf "$work/log"
start_server
flip "$first" 300000
cp "$first" "$work/damaged.log"
out=$("$strata" verify --dir "$src" --repair-from "127.0.0.1:$port" 2> "$work/repair.err") &&
  die "a repair from a copy without the events passed: $out"
[[ "$out" == *"NOT repaired"* ]] || die "no NOT repaired line: $out $(cat "$work/repair.err")"
cmp "$first" "$work/damaged.log" || die "a failed repair changed the segment"

# A copy of another log, its offsets 1:1 like a mirror's: its events are not the damaged batch's, and the
# repair refuses them rather than put them in (it once reported "repaired" and the log read back the other
# log's events).
other=$work/other
for chunk in 1 2 3 4; do
  for i in $(seq 1 1000); do printf 'key%d|other %d event %d %01000d\n' $((i % 17)) "$chunk" "$i" 1; done |
    "$strata" append --dir "$other" --topic orders --segment-bytes 1048576 --key-sep '|' || die "append failed"
done
"$strata" mirror --dir "$other" --to "127.0.0.1:$port" 2> "$work/mirror.err" || die "mirror: $(cat "$work/mirror.err")"
out=$("$strata" verify --dir "$src" --repair-from "127.0.0.1:$port" 2> "$work/repair.err") &&
  die "a repair from a copy of another log passed: $out"
[[ "$out" == *"NOT repaired"*"are not the damaged batch's"* ]] || die "another log's copy: $out $(cat "$work/repair.err")"
cmp "$first" "$work/damaged.log" || die "a refused repair changed the segment"

# The log open in another process: refused, naming why.
stop_server
"$strata" serve --dir "$src" --listen 127.0.0.1:0 2> "$work/src-serve.err" &
src_server=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/src-serve.err" && break; sleep 0.1; done
out=$("$strata" verify --dir "$src" --repair-from 127.0.0.1:1 2>&1) && die "a repair of an open log passed"
kill -TERM "$src_server"
wait "$src_server"
[[ "$out" == *"open in another process"* ]] || die "open log: $out"
echo "repair: byte-identical and rebuilt repairs, refusals as expected"
