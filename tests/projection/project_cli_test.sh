#!/usr/bin/env bash
# The command-line contract of `strata project` (DESIGN.md), run against the built binary:
#   project_cli_test.sh STRATA CASE
# Cases: example, bad_event, definition, recreated, follow_rebuild, usage, two_topics, headers_serve_none,
# shared_db, status_states, rebuild_if_changed, rebuild_other_definition, follow_waits, deleted_db.
set -euo pipefail

strata=$1
case_name=$2
work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-project-cli.XXXXXX")
follower=""
second=""
server=""
cleanup() {
  for pid in $follower $second $server; do kill "$pid" 2>/dev/null || true; done
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
# Waits (up to 10 s) until `project status --json` shows the projection in `state` (its first projection
# named NAME; the heartbeat is every second).
wait_state() {  # db name state
  for _ in $(seq 1 200); do
    "$strata" project status --db "$1" --json 2>/dev/null | tr '}' '\n' | grep "\"name\":\"$2\"" |
      grep -q "\"state\":\"$3\"" && return 0
    sleep 0.05
  done
  die "timed out waiting for $2 to be $3: $("$strata" project status --db "$1" 2>&1 || true)"
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
    "$strata" project status --db orders.db --json |
      grep -q '"partitions":\[{"topic":"orders","partition":0,"next_offset":9,"end_offset":9' ||
      die "status --json"
    ;;
  bad_event)
    orders 1 4 | "$strata" append --dir log --topic orders --key-sep '|'
    echo 'bad|not json' | "$strata" append --dir log --topic orders --key-sep '|'
    orders 5 2 | "$strata" append --dir log --topic orders --key-sep '|'
    if "$strata" project --dir log --topic orders --db stop.db --schema "$schema" --apply "$apply" 2> err.txt; then
      die "a failing event must stop the projection"
    fi
    expect_eq "strata: topic orders partition 0 offset 4: malformed JSON" "$(cat err.txt)" "stop message"
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
  two_topics)
    # A knowledge graph: nodes and edges from two topics, one transaction stream, :topic bound.
    printf 'a|Alice\nb|Bob\nc|Carol\nd|Dan\n' | "$strata" append --dir log --topic nodes --key-sep '|'
    printf 'a|{"to":"b"}\nb|{"to":"c"}\n' | "$strata" append --dir log --topic edges --key-sep '|'
    graph_schema="CREATE TABLE node(id TEXT PRIMARY KEY, name TEXT, source TEXT);
      CREATE TABLE edge(src TEXT, dst TEXT, PRIMARY KEY(src, dst));"
    node_apply="INSERT OR REPLACE INTO node VALUES(:key, :value, :topic)"
    edge_apply="INSERT OR IGNORE INTO edge VALUES(:key, :value->>'to')"
    "$strata" project --dir log --db graph.db --name graph --schema "$graph_schema" \
      --topic nodes --apply "$node_apply" --topic edges --apply "$edge_apply" --json > out.json
    grep -q '"events_applied":6' out.json || die "summary: $(cat out.json)"
    grep -q '"positions":\[{"topic":"nodes","partition":0,"next_offset":4},{"topic":"edges","partition":0,"next_offset":2}\]' out.json ||
      die "positions per topic: $(cat out.json)"
    reach="WITH RECURSIVE r(id) AS (SELECT 'a' UNION SELECT dst FROM edge JOIN r ON src = r.id)
      SELECT group_concat(name, ',') FROM (SELECT name FROM node JOIN r USING(id) ORDER BY name)"
    expect_eq "Alice,Bob,Carol" "$(sqlite3 graph.db "$reach")" "reachable from a"
    expect_eq "nodes" "$(sqlite3 graph.db "SELECT DISTINCT source FROM node")" ":topic"
    printf 'c|{"to":"d"}\n' | "$strata" append --dir log --topic edges --key-sep '|'
    "$strata" project --dir log --db graph.db --name graph --topic nodes --apply "$node_apply" \
      --topic edges --apply "$edge_apply"
    expect_eq "Alice,Bob,Carol,Dan" "$(sqlite3 graph.db "$reach")" "the new edge, applied once"
    "$strata" project status --db graph.db > status.txt
    grep -q "graph: topic edges, nodes in .*, stopped, lag 0 events" status.txt || die "status: $(cat status.txt)"
    grep -q "topic edges partition 0: at offset 3 of 3" status.txt || die "status per topic: $(cat status.txt)"
    # Pairs must match, several topics need a name.
    if "$strata" project --dir log --db x.db --name x --topic nodes --topic edges --apply "$node_apply" 2> err.txt; then
      die "an --apply short must fail"
    fi
    grep -q "give one --apply per --topic (2 --topic, 1 --apply)" err.txt || die "pairs: $(cat err.txt)"
    if "$strata" project --dir log --db x.db --topic nodes --apply "$node_apply" --topic edges --apply "$edge_apply" 2> err.txt; then
      die "several topics without --name must fail"
    fi
    grep -q -- "--name is required with several --topic" err.txt || die "name: $(cat err.txt)"
    ;;
  headers_serve_none)
    # A Kafka client's headers through `serve --durability none`, projected while the server runs: every
    # acknowledged event is visible to the directory reader without a sync.
    "$strata" serve --dir log --listen 127.0.0.1:0 --durability none 2> serve.err &
    server=$!
    for _ in $(seq 1 200); do grep -q "listening on" serve.err && break; sleep 0.05; done
    address=$(sed -n 's/.*listening on \([0-9.:]*\).*/\1/p' serve.err | head -1)
    [ -n "$address" ] || die "the server did not start: $(cat serve.err)"
    /usr/bin/python3 - "$address" <<'PY'
import sys
from confluent_kafka import Producer
p = Producer({"bootstrap.servers": sys.argv[1], "acks": "all"})
p.produce("orders", key=b"o1", value=b'{"order":"o1","amount":5}', headers=[("trace", b"t-1"), ("raw", b"\xff\x00")])
p.produce("orders", key=b"o2", value=b'{"order":"o2","amount":7}')
assert p.flush(10) == 0
PY
    "$strata" project --dir log --topic orders --db h.db --schema "CREATE TABLE h(o INTEGER, topic TEXT, headers TEXT)" \
      --apply "INSERT INTO h VALUES(:offset, :topic, :headers)" --json > out.json
    grep -q '"events_applied":2' out.json || die "acknowledged events under --durability none: $(cat out.json)"
    expect_eq $'0|orders|{"trace":"t-1","raw":"/wA="}\n1|orders|{}' "$(sqlite3 h.db 'SELECT * FROM h ORDER BY o')" "headers"
    kill -TERM "$server"
    wait "$server" || true
    server=""
    ;;
  shared_db)
    orders 1 30 | "$strata" append --dir log --topic orders --key-sep '|'
    "$strata" project --dir log --topic orders --db shared.db --name totals --schema "$schema" --apply "$apply" --follow &
    follower=$!
    "$strata" project --dir log --topic orders --db shared.db --name counts \
      --schema "CREATE TABLE counts(k TEXT PRIMARY KEY, n INTEGER)" \
      --apply "INSERT INTO counts VALUES(:key, 1) ON CONFLICT(k) DO UPDATE SET n = n + 1" --follow &
    second=$!
    orders 31 30 | "$strata" append --dir log --topic orders --key-sep '|'
    wait_for shared.db "SELECT sum(events) FROM orders" 60
    wait_for shared.db "SELECT sum(n) FROM counts" 60
    wait_state shared.db totals live
    wait_state shared.db counts live
    # The same projection twice is refused; dropping a running one too.
    if "$strata" project --dir log --topic orders --db shared.db --name totals --apply "$apply" 2> err.txt; then
      die "a second projector of one projection must fail"
    fi
    grep -q "another projector is running projection totals" err.txt || die "busy: $(cat err.txt)"
    if "$strata" project drop --db shared.db --name counts 2> err.txt; then die "drop of a running projection"; fi
    grep -q "projection counts in shared.db is running" err.txt || die "drop busy: $(cat err.txt)"
    kill -TERM "$second"
    wait "$second" || die "SIGTERM stops --follow with exit 0"
    second=""
    # A rebuild of one projection would replace the other's tables: refused with what to do.
    if "$strata" project --dir log --topic orders --db shared.db --name totals --apply "$apply" --rebuild 2> err.txt; then
      die "a rebuild in a shared database must be refused"
    fi
    grep -q "also holds projection counts.*strata project drop --db shared.db --name counts" err.txt ||
      die "rebuild refusal: $(cat err.txt)"
    "$strata" project drop --db shared.db --name counts 2> err.txt || die "drop: $(cat err.txt)"
    expect_eq "totals" "$(sqlite3 shared.db 'SELECT group_concat(DISTINCT name) FROM strata_checkpoint')" "counts dropped"
    orders 61 3 | "$strata" append --dir log --topic orders --key-sep '|'
    wait_for shared.db "SELECT sum(events) FROM orders" 63
    ;;
  status_states)
    orders 1 5 | "$strata" append --dir log --topic orders --key-sep '|'
    "$strata" project --dir log --topic orders --db s.db --schema "$schema" --apply "$apply" --follow &
    follower=$!
    wait_state s.db orders live
    "$strata" project status --db s.db --json | grep -q '"state":"live","running":true' || die "live and running"
    "$strata" project status --db s.db | grep -q "orders: topic orders in .*, live, lag 0 events.*heartbeat" ||
      die "status text while live: $("$strata" project status --db s.db)"
    kill -TERM "$follower"
    wait "$follower" || die "SIGTERM stops --follow with exit 0"
    follower=""
    "$strata" project status --db s.db --json | grep -q '"state":"stopped","running":false' || die "stopped after SIGTERM"
    # kill -9: nobody writes "stopped"; the heartbeat ages out (3 intervals + 1 s).
    "$strata" project --dir log --topic orders --db s.db --apply "$apply" --follow &
    follower=$!
    wait_state s.db orders live
    kill -9 "$follower"
    wait "$follower" 2>/dev/null || true
    follower=""
    "$strata" project status --db s.db --json | grep -q '"state":"live","running":true' || die "live right after kill -9"
    sleep 4.2
    "$strata" project status --db s.db --json | grep -q '"state":"stopped","running":false' ||
      die "stopped once the heartbeat aged: $("$strata" project status --db s.db --json)"
    # A failing event: failed, with the error, while a follower is at it and after it exits.
    echo 'bad|not json' | "$strata" append --dir log --topic orders --key-sep '|'
    if "$strata" project --dir log --topic orders --db s.db --apply "$apply" --follow 2> err.txt; then
      die "a failing event must stop the follower"
    fi
    "$strata" project status --db s.db --json |
      grep -q '"state":"failed","running":false,"heartbeat_us":0,"error":"topic orders partition 0 offset 5: malformed JSON"' ||
      die "failed with its error: $("$strata" project status --db s.db --json)"
    "$strata" project status --db s.db | grep -q "error: topic orders partition 0 offset 5: malformed JSON" || die "text"
    ;;
  rebuild_if_changed)
    orders 1 5 | "$strata" append --dir log --topic orders --key-sep '|'
    printf '%s\n\n' "$apply" > apply.sql
    "$strata" project --dir log --topic orders --db r.db --schema "$schema" --apply @apply.sql
    # Another layout of the same statements and no --schema: the same definition.
    "$strata" project --dir log --topic orders --db r.db --apply "  $(echo "$apply" | tr '\n' ' ');"
    "$strata" project --dir log --topic orders --db r.db --apply @apply.sql --rebuild-if-changed --json > out.json
    grep -q '"rebuilt":false' out.json || die "unchanged: no rebuild: $(cat out.json)"
    doubled="INSERT INTO orders VALUES(:value->>'order', 2 * (:value->>'amount'), 1)
      ON CONFLICT(id) DO UPDATE SET total = total + excluded.total, events = events + 1"
    "$strata" project --dir log --topic orders --db r.db --schema "$schema" --apply "$doubled" --rebuild-if-changed --json > out.json
    grep -q '"rebuilt":true' out.json || die "changed: rebuilt: $(cat out.json)"
    grep -q '"positions":\[{"topic":"orders","partition":0,"next_offset":5}\]' out.json || die "positions: $(cat out.json)"
    expect_eq "30.0" "$(sqlite3 r.db 'SELECT sum(total) FROM orders')" "rebuilt with the new definition"
    ;;
  rebuild_other_definition)
    orders 1 20 | "$strata" append --dir log --topic orders --key-sep '|' --partitions 2
    "$strata" project --dir log --topic orders --db o.db --schema "$schema" --apply "$apply" --follow 2> follower.err &
    follower=$!
    wait_for o.db "SELECT sum(events) FROM orders" 20
    # --rebuild --json beside the follower, same definition: right positions, the follower goes on.
    "$strata" project --dir log --topic orders --db o.db --schema "$schema" --apply "$apply" --rebuild --json > out.json 2> err.txt
    grep -q "goes on from the rebuilt state" err.txt || die "hand-over message: $(cat err.txt)"
    grep -q '"events_applied":20,.*"handed_over":true' out.json || die "rebuild summary: $(cat out.json)"
    # (keys o0..o2 by Kafka's murmur2 partitioner: 13 events in partition 0, 7 in partition 1)
    grep -q '"positions":\[{"topic":"orders","partition":0,"next_offset":13},{"topic":"orders","partition":1,"next_offset":7}\]' out.json ||
      die "rebuild positions: $(cat out.json)"
    # With another definition: the follower stops, and both say so.
    doubled="INSERT INTO orders VALUES(:value->>'order', 2 * (:value->>'amount'), 1)
      ON CONFLICT(id) DO UPDATE SET total = total + excluded.total, events = events + 1"
    "$strata" project --dir log --topic orders --db o.db --schema "$schema" --apply "$doubled" --rebuild 2> err.txt
    grep -q "runs the previous one and stops at its next heartbeat: restart it with this definition" err.txt ||
      die "rebuild message: $(cat err.txt)"
    if wait "$follower"; then die "the follower must stop with an error"; fi
    follower=""
    grep -q "was rebuilt by another process with another definition" follower.err || die "follower: $(cat follower.err)"
    "$strata" project status --db o.db --json | grep -q '"state":"failed"' || die "status: failed"
    expect_eq "$(seq 1 20 | awk '{s += 2 * $1} END {printf "%.1f", s}')" "$(sqlite3 o.db 'SELECT sum(total) FROM orders')" \
      "the rebuilt model stays"
    ;;
  follow_waits)
    "$strata" project --dir later --topic orders --db w.db --schema "$schema" --apply "$apply" --follow 2> err.txt &
    follower=$!
    for _ in $(seq 1 100); do grep -q "waiting" err.txt && break; sleep 0.05; done
    grep -q "strata: waiting for log directory later to exist" err.txt || die "waiting line: $(cat err.txt)"
    kill -0 "$follower" || die "the follower must wait"
    orders 1 4 | "$strata" append --dir later --topic orders --key-sep '|'
    wait_for w.db "SELECT sum(events) FROM orders" 4
    kill -TERM "$follower"
    wait "$follower" || die "SIGTERM stops --follow with exit 0"
    follower=""
    # The directory exists, the topic not yet: waited for too (and without --follow, an error at once).
    if "$strata" project --dir later --topic refunds --db r.db --schema "$schema" --apply "$apply" 2> err.txt; then
      die "a missing topic without --follow must fail"
    fi
    grep -q "no topic refunds" err.txt || die "missing topic: $(cat err.txt)"
    "$strata" project --dir later --topic refunds --db r.db --schema "$schema" --apply "$apply" --follow 2> err.txt &
    follower=$!
    for _ in $(seq 1 100); do grep -q "waiting" err.txt && break; sleep 0.05; done
    grep -q "strata: waiting: no topic refunds in later" err.txt || die "waiting line for a topic: $(cat err.txt)"
    kill -0 "$follower" || die "the follower must wait for the topic"
    orders 1 2 | "$strata" append --dir later --topic refunds --key-sep '|'
    wait_for r.db "SELECT sum(events) FROM orders" 2
    wait_state r.db refunds live
    kill -TERM "$follower"
    wait "$follower" || die "SIGTERM stops --follow with exit 0"
    follower=""
    ;;
  deleted_db)
    orders 1 3 | "$strata" append --dir log --topic orders --key-sep '|'
    "$strata" project --dir log --topic orders --db d.db --schema "$schema" --apply "$apply" --follow 2> err.txt &
    follower=$!
    wait_for d.db "SELECT sum(events) FROM orders" 3
    rm -f d.db d.db-wal d.db-shm
    for _ in $(seq 1 100); do kill -0 "$follower" 2>/dev/null || break; sleep 0.05; done
    if wait "$follower"; then die "a deleted database must stop the follower with an error"; fi
    follower=""
    grep -q "the database d.db was deleted under the projector" err.txt || die "message: $(cat err.txt)"
    ;;
  *)
    die "unknown case"
    ;;
esac
echo "ok ($case_name)"
