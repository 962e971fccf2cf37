#!/usr/bin/env bash
# Compaction throughput and space reclaimed (issue 21): EVENTS keyed events (default 1M, ~100-byte values)
# over KEYS keys (default 10k) appended to a topic with cleanup.policy=compact and 16 MiB segments, then one
# `strata topic compact` pass, timed against the disk's sequential write rate measured in the same run
# (dd, O_DIRECT, 256 MiB, fsync). Run from the repository root with binaries built by
# `cmake --preset release` (BIN selects another build). Prints one JSON object.
#   usage: perf/compaction.sh [DIR]        (DIR: a scratch directory on the disk to measure, removed after)
set -euo pipefail
bin=${BIN:-build/release}
strata=$bin/tools/strata
events=${EVENTS:-1000000}
keys=${KEYS:-10000}
dir=$(mktemp -d "${1:-/var/tmp}/strata-compaction.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# The disk's sequential write rate (MB/s), as dd reports it.
disk_mb_s=$(dd if=/dev/zero of="$dir/sequential" bs=1M count=256 oflag=direct conv=fsync 2>&1 |
  awk '/copied/ { rate = $(NF-1); unit = $NF; if (unit ~ /^GB/) rate *= 1000; if (unit ~ /^kB/) rate /= 1000; print rate }')
rm -f "$dir/sequential"

"$strata" topic create --dir "$dir/log" --topic state --config cleanup.policy=compact --config segment.bytes=16777216
awk -v n="$events" -v k="$keys" 'BEGIN {
  pad = sprintf("%090d", 0)
  for (i = 0; i < n; i++) printf "key-%d,%d-%s\n", i % k, i, pad
}' | "$strata" append --dir "$dir/log" --topic state --key-sep , --durability batch
before=$("$strata" stat --dir "$dir/log" --topic state --json)
pass=$("$strata" topic compact --dir "$dir/log" --topic state --json)
after=$("$strata" stat --dir "$dir/log" --topic state --json)
python3 - "$disk_mb_s" "$before" "$pass" "$after" <<'EOF'
import json, sys
disk, before, compacted, after = float(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4])
bytes_before, bytes_after = before["topics"][0]["bytes"], after["topics"][0]["bytes"]
print(json.dumps({
    "workload": "compact", "events": before["topics"][0]["events"], "bytes_before": bytes_before,
    "bytes_after": bytes_after, "reclaimed_fraction": round(1 - bytes_after / bytes_before, 4),
    "pass": compacted, "disk_sequential_write_mb_per_s": disk,
    "compaction_mb_per_s_over_disk": round(compacted["mb_per_s"] / disk, 3) if disk > 0 else None}))
EOF
