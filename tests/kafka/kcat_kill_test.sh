#!/usr/bin/env bash
# kcat (librdkafka) against `strata serve`: -L lists the broker and topics, -P from a file (idempotent),
# -C -o beginning -e gives back exactly what went in, -C -G group consumes it once and resumes from its
# commits; kill -9 of the server mid-produce loses nothing whose delivery was reported.
#   usage: kcat_test.sh PATH_TO_STRATA
set -uo pipefail
strata=$1
work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-kcat.XXXXXX")
server=""
cleanup() { [[ -n "$server" ]] && kill -9 "$server" 2> /dev/null; rm -rf "$work"; }
trap cleanup EXIT
die() {
  echo "FAILED: $*" >&2
  exit 1
}
command -v kcat > /dev/null || die "kcat is not installed (tools/install_deps.sh installs it)"

start_server() {
  "$strata" serve --dir "$work/log" --listen 127.0.0.1:0 --partitions 3 2> "$work/serve.err" &
  server=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$work/serve.err" && break; sleep 0.05; done
  port=$(grep -o "listening on 127.0.0.1:[0-9]*" "$work/serve.err" | cut -d: -f2)
  [[ -n "$port" ]] || die "serve did not start: $(cat "$work/serve.err")"
  broker=127.0.0.1:$port
}

start_server
kcat -b "$broker" -L -m 10 > "$work/list" || die "kcat -L failed"
grep -q "broker 0 at $broker" "$work/list" || die "kcat -L does not list the broker: $(cat "$work/list")"

for i in $(seq 1 3000); do echo "key$((i % 50))|value $i"; done > "$work/in"
kcat -b "$broker" -P -t events -K '|' -X enable.idempotence=true -X acks=all -l "$work/in" || die "kcat -P failed"
kcat -b "$broker" -L -t events -m 10 | grep -q "topic \"events\" with 3 partitions" || die "no topic events of 3 partitions"

kcat -b "$broker" -C -t events -o beginning -e -q -f '%k|%s\n' -m 20 > "$work/out" || die "kcat -C failed"
[[ "$(sort "$work/in" | md5sum)" == "$(sort "$work/out" | md5sum)" ]] || die "kcat -C gave back something else"
# Per key, order is kept (a key's events share a partition).
[[ "$(grep '^key7|' "$work/in")" == "$(grep '^key7|' "$work/out")" ]] || die "order of one key changed"

timeout 60 kcat -b "$broker" -G grp -o beginning -e -q -f '%k|%s\n' events > "$work/group" 2> "$work/group.err"
[[ "$(sort "$work/in" | md5sum)" == "$(sort "$work/group" | md5sum)" ]] || die "kcat -G read $(wc -l < "$work/group") of 3000 events"
"$strata" stat --dir "$work/log" --topic events | grep -q "group grp partition" || die "no group checkpoint in stat"
echo "one more|late" | kcat -b "$broker" -P -t events -K '|' || die "produce failed"
timeout 60 kcat -b "$broker" -G grp -e -q -f '%k|%s\n' events > "$work/group2" 2> /dev/null
[[ "$(cat "$work/group2")" == "one more|late" ]] || die "the group did not resume from its commits: $(head -3 "$work/group2")"

# kill -9 while an idempotent producer sends: every event whose delivery was reported is there exactly once.
kcat -b "$broker" -P -t crash -K '|' -X enable.idempotence=true -X acks=all -D '\n' \
  -X message.timeout.ms=20000 < <(for i in $(seq 1 20000); do echo "k$i|v$i"; done) > /dev/null 2>&1 &
producer=$!
sleep 1
kill -9 "$server"
wait "$server" 2> /dev/null
server=""
wait "$producer" 2> /dev/null
start_server
kcat -b "$broker" -C -t crash -o beginning -e -q -f '%s\n' -m 20 > "$work/crash" || die "reading after the crash failed"
[[ $(sort "$work/crash" | uniq -d | wc -l) -eq 0 ]] || die "duplicates after kill -9: $(sort "$work/crash" | uniq -d | head -3)"
"$strata" verify --dir "$work/log" 2> /dev/null || die "verify after kill -9 failed"
echo "kcat: $(wc -l < "$work/crash") events survived kill -9, no duplicates"
echo "1 passed, 0 failed"
