// The `project` workload of `strata bench` (DESIGN.md): a SQLite projection with an upsert per event on a
// JSON field catches up on N events, against the same statements run on the same events straight from memory
// on one SQLite connection (the reference: SQLite's own limit on this machine); then the projector follows
// the log while one producer appends 1,000 events/s, and the lag from append to committed in the read model
// is measured per event (Projector::wait_until).
#pragma once

#include <chrono>

#include "bench/e2e/workload.h"

namespace strata::bench {

struct ProjectWorkloadOptions {
  std::size_t batch_events = 10'000;     // per transaction, for the projector and the reference alike
  std::uint64_t distinct_keys = 10'000;  // the JSON field the upsert keys on
  double live_events_per_s = 1'000;
  std::chrono::milliseconds live_duration{5'000};
};

struct ProjectWorkloadResult {
  // The projector's catch-up: events, seconds (from Projector::catch_up's start to its return), value and
  // key bytes; disk_bytes is the database file's size afterwards; tail_latency is the live phase's lag from
  // append to committed in the read model.
  WorkloadResult result;
  // The same upserts from memory on one connection (same pragmas, same transaction size), no log, no
  // checkpoint.
  WorkloadResult reference;
  double ratio = 0;  // result.events_per_s() / reference.events_per_s()
  std::uint64_t live_events = 0;
  double live_events_per_s = 0;  // the live phase's append rate
};

// Writes options.events events (options.value_bytes JSON values, keys over `distinct_keys`) to a topic of
// options.partitions partitions in options.directory, then measures as above.
Result<ProjectWorkloadResult> run_project(const WorkloadOptions& options,
                                          const ProjectWorkloadOptions& project = {});

}  // namespace strata::bench
