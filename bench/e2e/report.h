// `strata bench --report DIR`: the run's JSON and a picture of it, where people look.
//
// Writes into DIR (created if missing):
//   bench.json                     one JSON object per workload, as `--json` prints them
//   <workload>-ack-latency.dat     "percentile latency_us": the acknowledgement latency distribution
//   <workload>-tail-latency.dat    the same for acknowledgement to a waiting reader's callback
//   <workload>-rate.dat            "seconds events_per_s": the rate every 100 ms
//   report.gp                      the gnuplot script that draws them
//   report.svg                     drawn by gnuplot when it is on PATH (Debian: gnuplot-nox)
#pragma once

#include <string>
#include <vector>

#include "bench/e2e/workload.h"
#include "strata/status.h"

namespace strata::bench {

struct ReportEntry {
  WorkloadResult result;
  std::string json;  // the workload's JSON object, one line
};

// What the caller tells the user: the picture's path, or why there is none and how to get one.
struct ReportOutcome {
  std::string svg;      // empty when not drawn
  std::string message;  // one line for stderr
};

Result<ReportOutcome> write_report(const std::string& dir, const std::vector<ReportEntry>& entries);

}  // namespace strata::bench
