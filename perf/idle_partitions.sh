#!/usr/bin/env bash
# What idle partitions cost (issue 23), measured from outside with public tools:
#   1. `strata topic create --partitions N` (default 10,000, as topics of at most 1,000 partitions: a topic
#      holds at most 4,096): wall seconds, peak RSS, disk (du) per partition; then reopening them all;
#   2. `strata serve` with 20 topics x 4 partitions holding one event each (produced with kcat), its RSS a few
#      seconds after the last event (once quiet partitions gave their staging back), and the disk they take.
# Run from the repository root after `cmake --preset release`; BIN selects another build (a baseline's).
# DIR (default /var/tmp/strata-idle) is removed and recreated; it needs about 1 MiB per partition.
set -euo pipefail
bin=${BIN:-build/release}/tools/strata
partitions=${1:-10000}
dir=${DIR:-/var/tmp/strata-idle}

rm -rf "$dir" && mkdir -p "$dir"
start=$(date +%s.%N)
peak_kb=0
for ((t = 0, left = partitions; left > 0; ++t, left -= 1000)); do
  /usr/bin/time -f '%M' -o "$dir.time" "$bin" topic create --dir "$dir/create" --topic "idle$t" \
    --partitions $((left < 1000 ? left : 1000)) >/dev/null
  peak_kb=$(( $(cat "$dir.time") > peak_kb ? $(cat "$dir.time") : peak_kb ))
done
seconds=$(echo "$(date +%s.%N) - $start" | bc)
disk_kb=$(du -sk "$dir/create" | cut -f1)
echo "create $partitions partitions: ${seconds} s, peak RSS ${peak_kb} KiB ($((peak_kb * 1024 / partitions)) B per" \
  "partition), disk ${disk_kb} KiB ($((disk_kb * 1024 / partitions)) B per partition)"
# Reopening the log (all of its partitions) to add one more topic.
/usr/bin/time -f '%e %M' -o "$dir.time" "$bin" topic create --dir "$dir/create" --topic reopened >/dev/null
read -r seconds peak_kb <"$dir.time"
echo "reopen $partitions partitions: ${seconds} s, peak RSS ${peak_kb} KiB"
rm -rf "$dir/create"

command -v kcat >/dev/null || { echo "kcat not found: skipping the server case" >&2; exit 0; }
"$bin" serve --dir "$dir/serve" --listen 127.0.0.1:0 --partitions 4 2>"$dir.serve" &  # topics auto-created
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q 'listening on' "$dir.serve" 2>/dev/null && break; sleep 0.1; done
address=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$dir.serve" | head -1)
for t in $(seq 20); do
  for p in 0 1 2 3; do echo "event" | kcat -P -b "$address" -t "idle$t" -p "$p" -X topic.metadata.refresh.interval.ms=100; done
done
sleep 3  # the writer gives a quiet partition's staging back after a second or two
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$server/status")
disk_kb=$(du -sk "$dir/serve" | cut -f1)
echo "serve, 20 topics x 4 partitions, one event each: RSS ${rss_kb} KiB, disk ${disk_kb} KiB"
