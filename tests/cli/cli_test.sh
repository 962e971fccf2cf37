#!/usr/bin/env bash
# The command-line contract (DESIGN.md), checked against the built `strata`: one case per ctest test.
#   usage: cli_test.sh PATH_TO_STRATA CASE
set -uo pipefail
strata=$1
case_name=$2
work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
dir=$work/log

die() {
  echo "FAILED ($case_name): $*" >&2
  exit 1
}
# expect_eq WHAT ACTUAL EXPECTED
expect_eq() { [[ "$2" == "$3" ]] || die "$1: got [$2], expected [$3]"; }
expect_contains() { [[ "$2" == *"$3"* ]] || die "$1: [$2] does not contain [$3]"; }

case "$case_name" in
  help)
    out=$("$strata" --help) || die "--help exited non-zero"
    for sub in append cat tail stat verify dump bench; do expect_contains "--help" "$out" "$sub"; done
    for sub in append cat tail stat verify dump bench; do
      "$strata" "$sub" --help > /dev/null || die "$sub --help exited non-zero"
    done
    ;;
  bad_usage)
    # Errors go to stderr with a non-zero exit and nothing on stdout.
    out=$("$strata" append --dir "$dir" --topic t --no-such-flag 2> "$work/err" < /dev/null) && die "bad flag accepted"
    expect_eq "stdout on error" "$out" ""
    [[ -s "$work/err" ]] || die "no message on stderr for a bad flag"
    out=$(echo x | "$strata" append --dir "$dir" --topic ../escape 2> "$work/err") && die "bad topic name accepted"
    expect_contains "bad topic message" "$(cat "$work/err")" "topic"
    [[ ! -e "$work/escape" ]] || die "a bad topic name created a path outside the log"
    "$strata" cat --dir "$work/missing" --topic t > /dev/null 2>&1 && die "cat of a missing directory succeeded"
    mkdir -p "$dir"
    "$strata" cat --dir "$dir" --topic nothing > /dev/null 2> "$work/err" && die "cat of a missing topic succeeded"
    [[ -s "$work/err" ]] || die "no message for a missing topic"
    # A negative or zero number where a count, an offset or a size is wanted is refused in words, not taken as
    # 2^64 - N (cat --count -5 printed everything) nor described as a range of doubles.
    echo x | "$strata" append --dir "$dir" --topic numbers || die "append failed"
    for flags in "cat --count -5" "cat --from -3" "tail --from -1" "cat --partition -1" "dump --partition -1"; do
      set -- $flags
      out=$("$strata" "$1" --dir "$dir" --topic numbers "$2" "$3" 2> "$work/err") && die "$flags accepted"
      expect_eq "stdout of $flags" "$out" ""
      expect_contains "$flags" "$(cat "$work/err")" "$2: "
    done
    expect_contains "cat --count -5" "$("$strata" cat --dir "$dir" --topic numbers --count -5 2>&1)" \
      "expected a whole number (0 or more), got '-5'"
    out=$("$strata" bench ingest --events 0 2>&1) && die "bench --events 0 accepted"
    expect_contains "bench --events 0" "$out" "--events: expected a whole number of at least 1, got 0"
    [[ "$out" != *179769* ]] || die "bench --events 0 printed a double's range: $out"
    out=$("$strata" bench ingest --disk-limit --disk-limit-seconds -1 2>&1) && die "negative --disk-limit-seconds accepted"
    out=$(echo x | "$strata" append --dir "$dir" --topic numbers --segment-bytes -5 2>&1) && die "a negative size accepted"
    expect_contains "--segment-bytes -5" "$out" "expected a size of 0 or more"
    ;;
  append_expect)
    # Conditional appends: KEY,EXPECTED,VALUE; a refused line is reported, the rest go on, exit 1.
    out=$(printf 'a,-1,opened\nb,-1,opened\na,0,credited\na,0,stale\nb,,any\n' |
      "$strata" append --dir "$dir" --topic acc --key-sep , --expect --acks 2> "$work/err") && die "a refused line exited 0"
    expect_eq "acks" "$(echo $out)" "0 1 2 3"
    expect_contains "refusal" "$(cat "$work/err")" "line 4: key a: expected offset not met: the key's last event is at offset 2"
    echo 'x,zz,bad' | "$strata" append --dir "$dir" --topic acc --key-sep , --expect 2> "$work/err" && die "a bad EXPECTED accepted"
    expect_contains "bad expected" "$(cat "$work/err")" "line 1: expected KEY,EXPECTED,VALUE"
    echo 'x,-1,v' | "$strata" append --dir "$dir" --topic acc --expect 2> /dev/null && die "--expect without --key-sep accepted"
    echo 'x,v' | "$strata" append --dir "$dir" --topic plain --key-sep , || die "plain append failed"
    echo 'x,-1,v' | "$strata" append --dir "$dir" --topic plain --key-sep , --expect 2> "$work/err" &&
      die "a conditional append to a topic without a key index was accepted"
    expect_contains "no key index" "$(cat "$work/err")" "strata.key-index=true"
    ;;
  cat_key)
    # One key's events in offset order: through the key index, and by a scan on a topic without one.
    printf 'a,-1,a0\nb,-1,b0\na,0,a1\nb,1,b1\na,2,a2\n' | "$strata" append --dir "$dir" --topic acc --key-sep , --expect ||
      die "append --expect failed"
    expect_eq "cat --key a" "$("$strata" cat --dir "$dir" --topic acc --key a | tr '\n' ' ')" "a0 a1 a2 "
    expect_eq "cat --key a --from 1" "$("$strata" cat --dir "$dir" --topic acc --key a --from 1 --count 1)" "a1"
    expect_eq "cat --key none" "$("$strata" cat --dir "$dir" --topic acc --key none)" ""
    printf 'a,p0\nb,p1\na,p2\n' | "$strata" append --dir "$dir" --topic plain --key-sep , || die "plain append failed"
    expect_eq "cat --key (scan)" "$("$strata" cat --dir "$dir" --topic plain --key a | tr '\n' ' ')" "p0 p2 "
    out=$(timeout 2 "$strata" tail --dir "$dir" --topic acc --key b)
    expect_eq "tail --key b" "$(echo $out)" "b0 b1"
    ;;
  append_acks)
    out=$(printf 'a\nb\nc\n' | "$strata" append --dir "$dir" --topic t --acks) || die "append failed"
    expect_eq "acks" "$out" $'0\n1\n2'
    out=$(printf 'd\ne\n' | "$strata" append --dir "$dir" --topic t --acks --durability none) || die "append failed"
    expect_eq "acks continue after reopen" "$out" $'3\n4'
    ;;
  cat)
    printf 'k1=one\nk2=two\nthree\n' | "$strata" append --dir "$dir" --topic t --key-sep = || die "append failed"
    expect_eq "cat lines" "$("$strata" cat --dir "$dir" --topic t)" $'one\ntwo\nthree'
    expect_eq "cat --from --count" "$("$strata" cat --dir "$dir" --topic t --from 1 --count 1)" "two"
    json=$("$strata" cat --dir "$dir" --topic t --format json --count 1)
    expect_contains "cat json" "$json" '"partition":0,"offset":0,'
    expect_contains "cat json" "$json" '"key":"k1","value":"one","headers":[]}'
    ;;
  partitions)
    # Keys go to their partition (Kafka's murmur2), acks name "PARTITION OFFSET", cat reads partition 0 first.
    printf 'a,1\nb,2\nc,3\nd,4\n' | "$strata" append --dir "$dir" --topic p --partitions 3 --key-sep , --acks \
      > "$work/acks" || die "append failed"
    [[ $(wc -l < "$work/acks") -eq 4 ]] || die "not one ack per event: $(cat "$work/acks")"
    while read -r partition offset; do
      [[ "$partition" -ge 0 && "$partition" -lt 3 && -n "$offset" ]] || die "bad ack line [$partition $offset]"
    done < "$work/acks"
    [[ $(sort "$work/acks" | uniq | wc -l) -eq 4 ]] || die "two events got the same partition and offset"
    expect_eq "cat of all partitions" "$("$strata" cat --dir "$dir" --topic p | sort | tr '\n' ' ')" "1 2 3 4 "
    printf 'x\n' | "$strata" append --dir "$dir" --topic p --partitions 2 2> "$work/err" && die "another count accepted"
    expect_contains "partition count error" "$(cat "$work/err")" "3 partitions"
    out=$(printf 'z\n' | "$strata" append --dir "$dir" --topic p --partition 2 --acks) || die "append --partition failed"
    expect_contains "append --partition" "$out" "2 "
    expect_contains "cat --partition" "$("$strata" cat --dir "$dir" --topic p --partition 2)" "z"
    dump=$("$strata" dump --dir "$dir" --topic p --partition 2 --records) || die "dump failed"
    expect_contains "dump" "$dump" "magic: 2 compresscodec: none"
    expect_contains "dump records" "$dump" 'payload: "z"'
    ;;
  cat_count)
    # --count N is N events in all, over every partition (partition 0 first), not N per partition.
    printf 'a\nb\nc\nd\ne\nf\n' | "$strata" append --dir "$dir" --topic p --partitions 3 || die "append failed"
    expect_eq "cat --count over partitions" "$("$strata" cat --dir "$dir" --topic p --count 3 | wc -l)" "3"
    expect_eq "cat --count above the total" "$("$strata" cat --dir "$dir" --topic p --count 100 | wc -l)" "6"
    expect_eq "cat --count 0" "$("$strata" cat --dir "$dir" --topic p --count 0 | wc -l)" "0"
    ;;
  stat_compression)
    # stat reports the codec the stored batches use, not the topic's setting (Kafka clients' batches keep
    # theirs: tests/kafka/codecs_test.sh). The engine keeps a batch compressed only when that makes it smaller.
    long=$(printf 'compressible text %.0s' $(seq 1 20))
    seq 1 100 | sed "s/\$/ $long/" | "$strata" append --dir "$dir" --topic z --compression zstd || die "append failed"
    expect_contains "stat text" "$("$strata" stat --dir "$dir" --topic z)" "compression zstd,"
    expect_contains "stat json" "$("$strata" stat --dir "$dir" --topic z --json)" '"compression":"zstd"'
    echo 1 | "$strata" append --dir "$dir" --topic tiny --compression lz4 || die "append failed"
    expect_contains "dump tiny" "$("$strata" dump --dir "$dir" --topic tiny)" "compresscodec: none"
    expect_contains "stat tiny" "$("$strata" stat --dir "$dir" --topic tiny)" "compression none,"
    mkdir -p "$work/empty"
    "$strata" append --dir "$work/empty" --topic e --compression lz4 < /dev/null || die "append of nothing failed"
    expect_contains "stat without batches" "$("$strata" stat --dir "$work/empty" --topic e)" "compression lz4,"
    ;;
  acks_interactive)
    # Each ack arrives while the writer of stdin waits for it (no further input, no end of input).
    mkfifo "$work/in"
    "$strata" append --dir "$dir" --topic t --acks < "$work/in" > "$work/out" &
    pid=$!
    exec 3> "$work/in"
    for i in 0 1 2; do
      echo "event $i" >&3
      for _ in $(seq 1 100); do [[ $(wc -l < "$work/out") -gt $i ]] && break; sleep 0.05; done
      [[ $(wc -l < "$work/out") -gt $i ]] || die "ack $i not printed while input stays open"
    done
    exec 3>&-
    wait $pid || die "append failed"
    expect_eq "interactive acks" "$(cat "$work/out")" $'0\n1\n2'
    ;;
  stat_json)
    printf 'x\ny\n' | "$strata" append --dir "$dir" --topic t || die "append failed"
    json=$("$strata" stat --dir "$dir" --json) || die "stat failed"
    expect_contains "stat json" "$json" '"name":"t",'
    expect_contains "stat json" "$json" '"events":2,'
    expect_contains "stat json" "$json" '"partitions":[{"partition":0,"first_offset":0,"next_offset":2,'
    expect_contains "stat text" "$("$strata" stat --dir "$dir")" "partition 0: offsets 0..2 (2 events)"
    ;;
  verify)
    seq 1 300000 | "$strata" append --dir "$dir" --topic t --durability none --segment-bytes 1MiB || die "append failed"
    "$strata" verify --dir "$dir" 2> "$work/err" || die "verify of a clean log failed: $(cat "$work/err")"
    sealed=$dir/t-0/00000000000000000000.log
    [[ -f "$sealed" ]] || die "no sealed segment"
    chmod u+w "$sealed"
    printf '\xff' | dd of="$sealed" bs=1 seek=10000 conv=notrunc status=none
    out=$("$strata" verify --dir "$dir" 2> /dev/null) && die "verify missed a flipped byte"
    expect_contains "verify report" "$out" "00000000000000000000.log: position"
    ;;
  retention)
    seq 1 700000 | "$strata" append --dir "$dir" --topic t --durability none --segment-bytes 1MiB \
      --retention-bytes 3MiB || die "append failed"
    first=$("$strata" cat --dir "$dir" --topic t --count 1)
    [[ "$first" -gt 1 ]] || die "retention kept the first event ($first)"
    "$strata" cat --dir "$dir" --topic t --from 0 --count 1 > /dev/null 2> "$work/err" && die "deleted offset readable"
    expect_contains "deleted offset message" "$(cat "$work/err")" "earliest offset kept"
    ;;
  tail_group)
    printf '1\n2\n' | "$strata" append --dir "$dir" --topic t || die "append failed"
    "$strata" tail --dir "$dir" --topic t --group g > "$work/out" &
    tail_pid=$!
    printf '3\n' | "$strata" append --dir "$dir" --topic t || die "append while tailing failed"
    for _ in $(seq 1 100); do [[ $(wc -l < "$work/out") -ge 3 ]] && break; sleep 0.05; done
    kill -INT $tail_pid
    wait $tail_pid || die "tail exited non-zero after SIGINT"
    expect_eq "tail output" "$(cat "$work/out")" $'1\n2\n3'
    expect_contains "group lag" "$("$strata" stat --dir "$dir")" "group g partition 0: at offset 3, lag 0 events"
    # A second tail in the same group resumes after what the first processed.
    printf '4\n' | "$strata" append --dir "$dir" --topic t || die "append failed"
    timeout 2 "$strata" tail --dir "$dir" --topic t --group g > "$work/out2"
    expect_eq "resumed tail" "$(cat "$work/out2")" "4"
    ;;
  bench_json)
    out=$("$strata" bench ingest --dir "$work/new/bench" --events 20000 --json 2> /dev/null) || die "bench failed"
    for key in workload events producers readers value_bytes durability seconds events_per_s mb_per_s disk_bytes; do
      expect_contains "bench json" "$out" "\"$key\":"
    done
    ;;
  bench_report)
    # --report DIR: the JSON, the latency distributions, the rate over time, and (with gnuplot) the picture.
    "$strata" bench durable --events 3000 --producers 4 --report "$work/report" > /dev/null 2> "$work/err" ||
      die "bench --report failed: $(cat "$work/err")"
    for file in bench.json durable-ack-latency.dat durable-tail-latency.dat durable-rate.dat report.gp; do
      [[ -s "$work/report/$file" ]] || die "--report wrote no $file"
    done
    expect_contains "report json" "$(cat "$work/report/bench.json")" '"workload":"durable"'
    # The distribution ends at the maximum, which the JSON reports too.
    max=$(tail -n 1 "$work/report/durable-ack-latency.dat" | awk '{ printf "%d", $2 }')
    [[ $max -gt 0 ]] || die "the latency distribution ends at $max us"
    if command -v gnuplot > /dev/null; then
      expect_contains "report message" "$(cat "$work/err")" "$work/report/report.svg"
      grep -q "<svg" "$work/report/report.svg" || die "report.svg is not an SVG picture"
    else
      expect_contains "report message without gnuplot" "$(cat "$work/err")" "gnuplot-nox"
    fi
    ;;
  *)
    die "unknown case"
    ;;
esac
