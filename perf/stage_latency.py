#!/usr/bin/env python3
"""Per-stage latency percentiles from a perf trace of strata's USDT probes (base/probes.h).

    perf record -e 'sdt_strata:*' -o strata.data -- build/release/tools/strata bench durable --events 20000
    perf script -i strata.data | python3 perf/stage_latency.py

Stages, each matched by the probe arguments that identify it:
  write            write_submit -> write_done          (partition_id, position)
  fdatasync        sync_submit -> sync_done            (partition_id, target)
  framed to ack    batch_framed -> the first ack whose next_offset covers the batch (partition_id)
  kafka request    request_received -> request_answered (fd, correlation_id)
Prints, per stage, how many were matched and the p50/p90/p99/max in microseconds.
"""
import re
import sys
from collections import defaultdict, deque

# "<comm> <pid> [<cpu>] <seconds>: sdt_strata:<probe>: (<address>) arg1=1 arg2=0x10 ..."
LINE = re.compile(r"\s(\d+\.\d+):\s+sdt_strata:(\w+):.*?\)((?:\s+arg\d+=\S+)*)\s*$")


def parse_args(text):
    values = []
    for item in text.split():
        value = item.split("=", 1)[1]
        number = int(value, 16) if value.startswith("0x") else int(value)
        values.append(number - (1 << 64) if number >= 1 << 63 else number)
    return values


def percentile(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


# Stages from one probe to another, matched by the arguments at these positions: probe -> (stage, key args).
STARTS = {"write_submit": ("write", (0, 1)), "sync_submit": ("fdatasync", (0, 1)),
          "request_received": ("kafka request", (0, 2))}
ENDS = {"write_done": ("write", (0, 1)), "sync_done": ("fdatasync", (0, 1)),
        "request_answered": ("kafka request", (0, 1))}


def main(stream):
    started = {}                      # (stage, key...) -> time of the start probe
    framed = defaultdict(deque)       # partition_id -> deque of (end offset, time framed)
    latencies = defaultdict(list)     # stage -> microseconds
    unmatched = 0
    for line in stream:
        match = LINE.search(line)
        if not match:
            continue
        seconds, probe, arg_text = float(match.group(1)), match.group(2), match.group(3)
        args = parse_args(arg_text)
        if probe in STARTS:
            stage, positions = STARTS[probe]
            started[(stage,) + tuple(args[i] for i in positions)] = seconds
        elif probe in ENDS:
            stage, positions = ENDS[probe]
            start = started.pop((stage,) + tuple(args[i] for i in positions), None)
            if start is None:
                unmatched += 1
            else:
                latencies[stage].append((seconds - start) * 1e6)
        elif probe == "batch_framed":
            partition_id, base_offset, records = args[0], args[1], args[2]
            framed[partition_id].append((base_offset + records, seconds))
        elif probe == "ack":
            partition_id, next_offset = args[0], args[1]
            batches = framed[partition_id]
            while batches and batches[0][0] <= next_offset:
                latencies["framed to ack"].append((seconds - batches.popleft()[1]) * 1e6)
    if not latencies:
        print("no strata probes in the input: was it recorded with -e 'sdt_strata:*'?", file=sys.stderr)
        return 1
    print(f"{'stage':<16} {'count':>9} {'p50 us':>10} {'p90 us':>10} {'p99 us':>10} {'max us':>10}")
    for stage in ("write", "fdatasync", "framed to ack", "kafka request"):
        values = sorted(latencies.get(stage, []))
        if not values:
            continue
        print(f"{stage:<16} {len(values):>9} {percentile(values, 0.5):>10.1f} {percentile(values, 0.9):>10.1f} "
              f"{percentile(values, 0.99):>10.1f} {values[-1]:>10.1f}")
    if unmatched:
        print(f"({unmatched} completions without their submission: the trace started mid-flight)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.stdin))
