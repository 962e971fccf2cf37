// project_bench: runs the `project` workload of `strata bench` on its own (until the CLI calls
// run_project) and prints one JSON object in the shape DESIGN.md gives `strata bench --json`.
//   project_bench [--dir D] [--events N] [--partitions N] [--size BYTES] [--batch N] [--durability
//   none|batch|sync]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench/e2e/project_workload.h"

namespace {

std::string fields(const strata::bench::WorkloadResult& r) {
  char text[512];
  std::snprintf(
      text, sizeof(text),
      "\"workload\":\"%s\",\"events\":%llu,\"producers\":%u,\"readers\":%u,\"value_bytes\":%zu,"
      "\"durability\":\"%s\",\"partitions\":%u,\"seconds\":%.6f,\"events_per_s\":%.1f,\"mb_per_s\":%.2f,"
      "\"disk_bytes\":%llu,\"peak_rss_mb\":%.1f",
      r.workload.c_str(), static_cast<unsigned long long>(r.events), r.producers, r.readers, r.value_bytes,
      std::string(durability_name(r.durability)).c_str(), r.partitions, r.seconds, r.events_per_s(), r.mb_per_s(),
      static_cast<unsigned long long>(r.disk_bytes), r.peak_rss_mb);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  strata::bench::WorkloadOptions options;
  options.directory = "/var/tmp/strata-project-bench";
  options.events = 1'000'000;
  options.durability = strata::Durability::kSync;
  strata::bench::ProjectWorkloadOptions project;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--dir") {
      options.directory = value;
    } else if (flag == "--events") {
      options.events = std::strtoull(value, nullptr, 10);
    } else if (flag == "--partitions") {
      options.partitions = static_cast<std::uint32_t>(std::strtoul(value, nullptr, 10));
    } else if (flag == "--size") {
      options.value_bytes = std::strtoull(value, nullptr, 10);
    } else if (flag == "--batch") {
      project.batch_events = std::strtoull(value, nullptr, 10);
    } else if (flag == "--durability") {
      options.durability = std::strcmp(value, "none") == 0    ? strata::Durability::kNone
                           : std::strcmp(value, "batch") == 0 ? strata::Durability::kBatch
                                                              : strata::Durability::kSync;
    } else {
      std::fprintf(stderr, "project_bench: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  auto result = strata::bench::run_project(options, project);
  if (!result) {
    std::fprintf(stderr, "project_bench: %s\n", result.status().to_string().c_str());
    return 1;
  }
  const strata::bench::LatencySummary& lag = *result->result.tail_latency;
  std::printf(
      "{%s,\"batch_events\":%zu,\"reference\":{%s},\"ratio\":%.3f,\"live_lag_us\":{\"events\":%llu,"
      "\"events_per_s\":%.0f,\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f}}\n",
      fields(result->result).c_str(), project.batch_events, fields(result->reference).c_str(), result->ratio,
      static_cast<unsigned long long>(result->live_events), result->live_events_per_s, lag.p50_us, lag.p99_us,
      lag.p999_us, lag.max_us);
  return 0;
}
