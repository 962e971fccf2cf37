#!/usr/bin/env bash
# The command-line contract of `strata project` (DESIGN.md), run against the built binary:
#   project_cli_test.sh STRATA CASE
# Cases: example, bad_event, definition, recreated, follow_rebuild, usage.
set -euo pipefail

strata=$1
case_name=$2
work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-project-cli.XXXXXX")
follower=""
cleanup() {
  if [ -n "$follower" ]; then kill "$follower" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

die() {
  echo "FAIL ($case_name): $*" >&2
  exit 1
}
expect_eq() {  # expected actual what
  [ "$1" == "$2" ] || die "$3: expected [$1], got [$2]"
}
# Waits (up to 10 s) until the query's result equals the expected value.
wait_for() {  # db query expected
  for _ in $(seq 1 200); do
    [ "$(sqlite3 "$1" "$2" 2>/dev/null || true)" == "$3" ] && return 0
    sleep 0.05
  done
  die "timed out waiting for [$2] = [$3] (last: $(sqlite3 "$1" "$2" 2>&1 || true))"
}

schema="CREATE TABLE orders(id TEXT PRIMARY KEY, total REAL NOT NULL, events INTEGER NOT NULL)"
apply="INSERT INTO orders VALUES(:value->>'order', :value->>'amount', 1)
  ON CONFLICT(id) DO UPDATE SET total = total + excluded.total, events = events + 1"

orders() {  # first count
  for i in $(seq "$1" $(($1 + $2 - 1))); do
    echo "o$((i % 3))|{\"order\":\"o$((i % 3))\",\"amount\":$i}"
  done
}

case "$case_name" in
  example)
    orders 1 6 | "$strata" append --dir log --topic orders --key-sep '|'
    "$strata" project --dir log --topic orders --db orders.db --schema "$schema" --apply "$apply" --json > out.json
    grep -q '"events_applied":6' out.json || die "summary: $(cat out.json)"
    expect_eq $'o0|9.0|2\no1|5.0|2\no2|7.0|2' "$(sqlite3 orders.db 'SELECT * FROM orders ORDER BY id')" "totals"
    # A second run applies only what is new.
    orders 7 3 | "$strata" append --dir log --topic orders --key-sep '|'
    "$strata" project --dir log --topic orders --db orders.db --schema "$schema" --apply "$apply"
    expect_eq "18.0|3" "$(sqlite3 orders.db "SELECT total, events FROM orders WHERE id='o0'")" "o0 after 9 events"
    "$strata" project status --db orders.db > status.txt
    grep -q "orders: topic orders in .*, stopped, lag 0 events" status.txt || die "status: $(cat status.txt)"
    "$strata" project status --db orders.db --json | grep -q '"partitions":\[{"partition":0,"next_offset":9,"end_offset":9' ||
      die "status --json"
    ;;
  bad_event)
    orders 1 4 | "$strata" append --dir log --topic orders --key-sep '|'
    echo 'bad|not json' | "$strata" append --dir log --topic orders --key-sep '|'
    orders 5 2 | "$strata" append --dir log --topic orders --key-sep '|'
    if "$strata" project --dir log --topic orders --db stop.db --schema "$schema" --apply "$apply" 2> err.txt; then
      die "a failing event must stop the projection"
    fi
    expect_eq "strata: partition 0 offset 4: malformed JSON" "$(cat err.txt)" "stop message"
    expect_eq "0" "$(sqlite3 stop.db 'SELECT next_offset FROM strata_checkpoint')" "left at the last good batch"
    "$strata" project --dir log --topic orders --db skip.db --schema "$schema" --apply "$apply" --on-error skip --batch 2
    expect_eq "6" "$(sqlite3 skip.db 'SELECT sum(events) FROM orders')" "events applied around the bad one"
    expect_eq "4|bad|not json|malformed JSON" \
      "$(sqlite3 skip.db 'SELECT offset, key, CAST(value AS TEXT), error FROM strata_dead_letter')" "dead letter"
    "$strata" project status --db skip.db | grep -q "1 dead letters" || die "status counts dead letters"
    # A statement wrong for every event is one message, before any event.
    if "$strata" project --dir log --topic orders --db typo.db --schema "$schema" \
      --apply "INSERT INTO orders(idd) VALUES(:key)" 2> err.txt; then
      die "a typo must fail"
    fi
    expect_eq "strata: projection orders: apply: table orders has no column named idd" "$(cat err.txt)" "typo"
    ;;
  definition)
    orders 1 5 | "$strata" append --dir log --topic orders --key-sep '|'
    echo "$apply" > apply.sql
    "$strata" project --dir log --topic orders --db orders.db --schema "$schema" --apply @apply.sql
    doubled="INSERT INTO orders VALUES(:value->>'order', 2 * (:value->>'amount'), 1)
      ON CONFLICT(id) DO UPDATE SET total = total + excluded.total, events = events + 1"
    if "$strata" project --dir log --topic orders --db orders.db --schema "$schema" --apply "$doubled" 2> err.txt; then
      die "a changed definition must be refused"
    fi
    grep -q "definition changed.*--rebuild" err.txt || die "refusal says to rebuild: $(cat err.txt)"
    "$strata" project --dir log --topic orders --db orders.db --schema "$schema" --apply "$doubled" --rebuild
    expect_eq "30.0" "$(sqlite3 orders.db 'SELECT sum(total) FROM orders')" "rebuilt with the new definition"
    [ ! -e orders.db.rebuild ] || die "the rebuild's file is removed after the swap"
    ;;
  recreated)
    orders 1 5 | "$strata" append --dir log --topic orders --key-sep '|'
    "$strata" project --dir log --topic orders --db orders.db --schema "$schema" --apply "$apply"
    rm -rf log
    orders 1 8 | "$strata" append --dir log --topic orders --key-sep '|'
    if "$strata" project --dir log --topic orders --db orders.db --schema "$schema" --apply "$apply" 2> err.txt; then
      die "a recreated log must be refused"
    fi
    grep -q "another history of topic orders" err.txt || die "message: $(cat err.txt)"
    "$strata" project status --db orders.db | grep -q "recreated" || die "status shows the recreated log"
    "$strata" project --dir log --topic orders --db orders.db --schema "$schema" --apply "$apply" --rebuild
    expect_eq "8" "$(sqlite3 orders.db 'SELECT sum(events) FROM orders')" "rebuilt from the new log"
    ;;
  follow_rebuild)
    orders 1 30 | "$strata" append --dir log --topic orders --key-sep '|' --partitions 2
    "$strata" project --dir log --topic orders --db orders.db --schema "$schema" --apply "$apply" --follow &
    follower=$!
    wait_for orders.db "SELECT sum(events) FROM orders" 30
    orders 31 10 | "$strata" append --dir log --topic orders --key-sep '|'
    wait_for orders.db "SELECT sum(events) FROM orders" 40
    "$strata" project status --db orders.db | grep -q "live" || die "status while following: live"
    # A rebuild beside the follower: swapped in, and the follower goes on from it.
    "$strata" project --dir log --topic orders --db orders.db --schema "$schema" --apply "$apply" --rebuild 2> err.txt
    grep -q "goes on from the rebuilt state" err.txt || die "rebuild hands over: $(cat err.txt)"
    orders 41 5 | "$strata" append --dir log --topic orders --key-sep '|'
    wait_for orders.db "SELECT sum(events) FROM orders" 45
    expect_eq "$(seq 1 45 | awk '{s += $1} END {printf "%.1f", s}')" "$(sqlite3 orders.db 'SELECT sum(total) FROM orders')" \
      "each event once across the swap"
    kill -TERM "$follower"
    wait "$follower" || die "SIGTERM stops --follow with exit 0"
    follower=""
    "$strata" project status --db orders.db | grep -q "stopped" || die "status after SIGTERM: stopped"
    ;;
  usage)
    if "$strata" project --dir . --topic t 2> err.txt; then die "missing options must fail"; fi
    grep -q -- "--db, --apply required" err.txt || die "usage message: $(cat err.txt)"
    if "$strata" project status --db missing.db 2> err.txt; then die "status of a missing file must fail"; fi
    grep -q "missing.db does not exist" err.txt || die "status message: $(cat err.txt)"
    ;;
  *)
    die "unknown case"
    ;;
esac
echo "ok ($case_name)"
