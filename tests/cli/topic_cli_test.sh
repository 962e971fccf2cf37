#!/usr/bin/env bash
# The `strata topic` contract (DESIGN.md): create|alter|describe|delete with --config KEY=VALUE and --json,
# errors naming the key, compact refused for a topic without cleanup.policy=compact. One case per ctest test.
#   usage: topic_cli_test.sh PATH_TO_STRATA CASE
set -uo pipefail
strata=$1
case_name=$2
work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-topic-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
dir=$work/log

die() {
  echo "FAILED ($case_name): $*" >&2
  exit 1
}
expect_eq() { [[ "$2" == "$3" ]] || die "$1: got [$2], expected [$3]"; }
expect_contains() { [[ "$2" == *"$3"* ]] || die "$1: [$2] does not contain [$3]"; }
# refused WHAT EXPECTED_TEXT ARGS...: exit non-zero, nothing on stdout, EXPECTED_TEXT on stderr.
refused() {
  local what=$1 text=$2
  shift 2
  local out
  out=$("$strata" "$@" 2> "$work/err") && die "$what: accepted"
  expect_eq "$what: stdout" "$out" ""
  expect_contains "$what: stderr" "$(cat "$work/err")" "$text"
}

case "$case_name" in
  create_describe)
    "$strata" topic create --dir "$dir" --topic orders --partitions 3 --config retention.ms=60000 \
      --config segment.bytes=1048576 || die "create failed"
    "$strata" topic create --dir "$dir" --topic audit || die "create without configs failed"
    expect_eq "describe one" "$("$strata" topic describe --dir "$dir" --topic orders)" \
      $'orders\tpartitions=3\tretention.ms=60000\tsegment.bytes=1048576'
    expect_eq "describe all" "$("$strata" topic describe --dir "$dir")" \
      $'audit\tpartitions=1\norders\tpartitions=3\tretention.ms=60000\tsegment.bytes=1048576'
    json=$("$strata" topic describe --dir "$dir" --topic orders --json) || die "describe --json failed"
    python3 -c 'import json,sys; t=json.loads(sys.argv[1])["topics"][0]; assert t["name"]=="orders" and t["partitions"]==3 and t["configs"]=={"retention.ms":"60000","segment.bytes":"1048576"}, t' "$json" \
      || die "describe --json: $json"
    # The topic is a real one: events go to its partitions.
    echo hello | "$strata" append --dir "$dir" --topic orders --partition 2 || die "append to the created topic failed"
    expect_eq "cat" "$("$strata" cat --dir "$dir" --topic orders --partition 2)" "hello"
    ;;
  alter)
    "$strata" topic create --dir "$dir" --topic t --config retention.ms=60000 --config max.message.bytes=5000 \
      || die "create failed"
    out=$("$strata" topic alter --dir "$dir" --topic t --config retention.bytes=1048576 --config retention.ms= --json) \
      || die "alter failed"
    expect_contains "alter --json" "$out" '"configs":{"max.message.bytes":"5000","retention.bytes":"1048576"}'
    expect_eq "describe after alter" "$("$strata" topic describe --dir "$dir" --topic t)" \
      $'t\tpartitions=1\tmax.message.bytes=5000\tretention.bytes=1048576'
    # The partition count grows (Kafka's CreatePartitions); the new partition takes events; it never shrinks.
    echo before | "$strata" append --dir "$dir" --topic t --partition 0 || die "append before growth failed"
    "$strata" topic alter --dir "$dir" --topic t --partitions 3 || die "alter --partitions failed"
    expect_eq "describe after growth" "$("$strata" topic describe --dir "$dir" --topic t)" \
      $'t\tpartitions=3\tmax.message.bytes=5000\tretention.bytes=1048576'
    echo after | "$strata" append --dir "$dir" --topic t --partition 2 || die "append to a new partition failed"
    expect_eq "cat partition 0" "$("$strata" cat --dir "$dir" --topic t --partition 0)" "before"
    expect_eq "cat partition 2" "$("$strata" cat --dir "$dir" --topic t --partition 2)" "after"
    refused "shrink" "can only grow" topic alter --dir "$dir" --topic t --partitions 2
    refused "alter nothing" "give --config KEY=VALUE or --partitions N" topic alter --dir "$dir" --topic t
    ;;
  errors)
    refused "unknown key" "unknown topic config retention.hours" topic create --dir "$dir" --topic t \
      --config retention.hours=1
    refused "bad value" "invalid value soon for config retention.ms" topic create --dir "$dir" --topic t \
      --config retention.ms=soon
    refused "not KEY=VALUE" "is not KEY=VALUE" topic create --dir "$dir" --topic t --config retention.ms
    refused "compact policy" "expected delete, compact or compact,delete" topic create --dir "$dir" --topic t \
      --config cleanup.policy=keep
    [[ -z "$("$strata" topic describe --dir "$dir" 2> /dev/null)" ]] || die "a refused create left a topic"
    "$strata" topic create --dir "$dir" --topic t || die "create failed"
    refused "create twice" "already exists" topic create --dir "$dir" --topic t
    refused "alter bad value" "segment.bytes" topic alter --dir "$dir" --topic t --config segment.bytes=10
    refused "alter missing topic" "no topic nothing" topic alter --dir "$dir" --topic nothing --config retention.ms=1
    refused "describe missing" "no topic nothing" topic describe --dir "$dir" --topic nothing
    refused "compact a plain topic" "is not compacted" topic compact --dir "$dir" --topic t
    refused "no --topic" "--topic is required" topic create --dir "$dir"
    # A server holding the log: the change is refused with a reason, describe still works.
    "$strata" serve --dir "$dir" --listen 127.0.0.1:0 2> "$work/serve.err" &
    server=$!
    for _ in $(seq 1 100); do grep -q "listening on" "$work/serve.err" && break; sleep 0.1; done
    refused "alter while served" "while no server has the log open" topic alter --dir "$dir" --topic t \
      --config retention.ms=1
    expect_eq "describe while served" "$("$strata" topic describe --dir "$dir")" $'t\tpartitions=1'
    kill -TERM "$server" && wait "$server"
    ;;
  compact)
    # A compacted topic: 20000 events over 50 keys (a few 1 MiB segments), then one pass.
    "$strata" topic create --dir "$dir" --topic state --config cleanup.policy=compact --config segment.bytes=1048576 \
      || die "create failed"
    awk 'BEGIN { for (i = 0; i < 20000; i++) printf "key-%d,%d-%0120d\n", i % 50, i, 0 }' |
      "$strata" append --dir "$dir" --topic state --key-sep , || die "append failed"
    expect_contains "dirty before" "$("$strata" stat --dir "$dir" --topic state)" "dirty ratio 1.00"
    json=$("$strata" topic compact --dir "$dir" --topic state --json) || die "compact failed"
    python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["segments_rewritten"]>0 and s["events_removed"]>0 and s["bytes_reclaimed"]>0, s' "$json" \
      || die "compact --json: $json"
    expect_contains "dirty after" "$("$strata" stat --dir "$dir" --topic state)" "dirty ratio 0.00"
    "$strata" verify --dir "$dir" --topic state > /dev/null || die "verify after compaction failed"
    # Each key's latest event is there, at its offset; the older ones of the sealed segments are gone.
    expect_eq "latest of key-7" "$("$strata" cat --dir "$dir" --topic state --format json |
      python3 -c 'import json,sys; print([json.loads(l)["value"][:5] for l in sys.stdin if json.loads(l)["key"]=="key-7"][-1])')" "19957"
    events=$("$strata" cat --dir "$dir" --topic state | wc -l)
    (( events < 20000 && events >= 50 )) || die "$events events after compaction"
    refused "compact with configs" "takes no --config" topic compact --dir "$dir" --topic state --config a=b
    refused "compact a missing topic" "no topic nothing" topic compact --dir "$dir" --topic nothing
    ;;
  delete)
    "$strata" topic create --dir "$dir" --topic t --partitions 2 || die "create failed"
    "$strata" topic delete --dir "$dir" --topic t || die "delete failed"
    [[ ! -e "$dir/t-0" && ! -e "$dir/t.strata-topic" ]] || die "delete left files: $(ls "$dir")"
    refused "delete again" "no topic t" topic delete --dir "$dir" --topic t
    ;;
  *)
    die "unknown case"
    ;;
esac
echo "ok ($case_name)"
